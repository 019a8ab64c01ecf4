"""S1: gate passages as they arrive over MQTT (`<root>/v1/<gate kind>/<device>/access`).

A passage is a credential id, a direction and a time: the vendor's terminal matched the face
or fingerprint itself and sends only whose credential it was. A payload carrying anything
else is refused with a reason (the device ingest quarantines it): a field that looks like a
biometric (a face image, a template, a feature vector) is refused as `biometric`, so it never
reaches a table. The credential register (community_credentials) says whose passage it is.

The device ingest takes the access channel through `community.channels.AccessChannel`, which
checks each message with `check` and writes a batch's passages with `record_batch` inside the
ingest's transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhili.community.access import LOCAL_OFFSET
from zhili.community.models import CommunityCredential
from zhili.hub.models import AccessEvent

GATE_KINDS = frozenset({"gate_face", "gate_plate"})
FIELDS = frozenset({"credentialId", "direction", "dateObserved", "method"})
DIRECTIONS = {"in": "进", "out": "出", "进": "进", "出": "出"}
METHODS = frozenset({"face", "fingerprint", "card", "plate", "qr", "人脸", "指纹", "刷卡", "车牌"})
_BIOMETRIC = re.compile(r"face|image|photo|picture|finger|template|feature|biometric|iris", re.I)
_CREDENTIAL = re.compile(r"^[A-Za-z0-9_-]{4,32}$")
MAX_BATCH = 50


class Refused(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def _local(value: Any) -> dt.datetime:
    """ISO time → local naive (gates and retention count days in local time)."""
    if not isinstance(value, str):
        raise Refused("schema", "dateObserved must be an ISO 8601 time")
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused("schema", f"dateObserved {value[:40]!r} is not ISO 8601") from None
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None) + LOCAL_OFFSET
    return t


def check(body: Any) -> list[dict[str, Any]]:
    """The passages in a payload (one object or a list of ≤ 50), or Refused with why."""
    items = body if isinstance(body, list) else [body]
    if not items or len(items) > MAX_BATCH:
        raise Refused("schema", f"1 to {MAX_BATCH} passages a message")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise Refused("schema", "a passage is an object")
        extra = set(item) - FIELDS
        if extra:
            worst = sorted(k for k in extra if _BIOMETRIC.search(k))
            if worst:
                raise Refused("biometric", f"biometric fields are never taken: {worst}")
            raise Refused("schema", f"unknown fields {sorted(extra)}")
        cred = item.get("credentialId")
        if not isinstance(cred, str) or not _CREDENTIAL.fullmatch(cred):
            raise Refused("schema", "credentialId: 4-32 letters, digits, - or _")
        direction = DIRECTIONS.get(str(item.get("direction", "")))
        if direction is None:
            raise Refused("schema", "direction must be in or out")
        method = item.get("method")
        if method is not None and method not in METHODS:
            raise Refused("schema", f"method must be one of {sorted(METHODS)}")
        out.append(
            {
                "credential_id": cred,
                "direction": direction,
                "passed_at": _local(item.get("dateObserved")),
            }
        )
    return out


def record(
    session: Session,
    device_id: str,
    gate_area: str,
    passages: list[dict[str, Any]],
    received_local: dt.datetime | None = None,
) -> int:
    """Write one gate's checked passages (the caller commits)."""
    return record_batch(session, [(device_id, gate_area, passages, received_local)])


Gated = tuple[str, str, list[dict[str, Any]], "dt.datetime | None"]


def record_batch(session: Session, gates: list[Gated]) -> int:
    """Write checked passages of several gates, each (device id, the gate's grid, passages,
    receive time in local time), with one lookup and one insert (the caller commits). The
    register names the person and their grid; an unknown credential (a visitor's card) is
    kept under the gate's grid, without a person."""
    creds = sorted({p["credential_id"] for _, _, passages, _ in gates for p in passages})
    known = {
        c: (p, g)
        for c, p, g in session.execute(
            select(
                CommunityCredential.credential_id,
                CommunityCredential.person_id,
                CommunityCredential.grid_code,
            ).where(CommunityCredential.credential_id.in_(creds))
        ).all()
    }
    rows = []
    for device_id, gate_area, passages, received_local in gates:
        for p in passages:
            at = p["passed_at"]
            if received_local is not None:
                at = min(at, received_local)  # a gate's clock ahead of ours is not the future
            person, grid = known.get(p["credential_id"], (None, gate_area))
            rows.append(
                {
                    "device_id": device_id,
                    "credential_id": p["credential_id"],
                    "person_id": person,
                    "grid_code": grid,
                    "direction": p["direction"],
                    "passed_at": at,
                }
            )
    if rows:
        session.execute(insert(AccessEvent), rows)
    return len(rows)
