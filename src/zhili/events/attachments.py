"""Photos on events: the bytes on disk under DATA/attachments/<sha256[:2]>/<sha256> (written
once, atomically), the facts in `event_attachments`, an `attach` step on the timeline and an
audit record. Used by the API (POST /api/events/{id}/attachments) and the pages alike."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from zhili.events.models import EventAction, EventAttachment
from zhili.events.workflow import load_event
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import allowed_actions

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic"})
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def attachment_path(data: Path, digest: str) -> Path:
    return Path(data) / "attachments" / digest[:2] / digest


def check_photo(data: bytes, content_type: str | None) -> None:
    """ValueError for what is not a photo we keep (type, empty, larger than 10 MB)."""
    if content_type not in PHOTO_TYPES:
        raise ValueError(f"photos only ({', '.join(sorted(PHOTO_TYPES))}), not {content_type}")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValueError("a photo may have at most 10 MB")
    if not data:
        raise ValueError("the file is empty")


def add_attachment(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    data_dir: Path,
    code: str,
    data: bytes,
    content_type: str | None,
    filename: str | None,
) -> EventAttachment:
    """Attach a photo to an event the actor may act on; commits."""
    check_photo(data, content_type)
    # Handlers attach to events in their area, citizens to their own, reporters in their area.
    allowed = allowed_actions(actor.role)
    perm = next(
        (p for p in ("event.handle", "event.read_own", "event.report") if p in allowed),
        "event.handle",
    )
    e = load_event(session, actor, code, perm)
    digest = hashlib.sha256(data).hexdigest()
    path = attachment_path(data_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = EventAttachment(
        event_id=e.id,
        sha256=digest,
        content_type=content_type or "",
        size=len(data),
        filename=(filename or "photo")[:128],
        at=now,
        actor=actor.id,
    )
    session.add(row)
    session.add(
        EventAction(
            event_id=e.id,
            at=now,
            actor=actor.id,
            action="attach",
            from_state=e.state,
            to_state=e.state,
            level=e.level,
            department=e.department,
            note=row.filename,
        )
    )
    session.flush()
    ctx.audit(session, actor, "event.attach", resource=f"event:{code}", result_count=1)
    session.commit()
    return row
