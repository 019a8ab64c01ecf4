"""/api/events: intake from every channel, the dispatcher's queue, one event with its timeline,
the lifecycle actions, photos, the three rates, and the routing rules as data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.api.deps import caller, db, privacy, requires
from zhili.events import lifecycle as L
from zhili.events.attachments import (
    MAX_PHOTO_BYTES,
    PHOTO_TYPES,
    add_attachment,
    attachment_path,
)
from zhili.events.categories import tree
from zhili.events.intake import prepare
from zhili.events.models import EventAttachment, Worker
from zhili.events.queries import get_event, list_events, my_notifications
from zhili.events.routing import Rule, save_version
from zhili.events.schemas import EventIn
from zhili.events.stats import rates
from zhili.events.workflow import ActionIn, act, load_event
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import NotFound, authorize

router = APIRouter(prefix="/api", tags=["events"])

# Which channel a report comes through, from the author's role.
ROLE_CHANNEL = {
    "citizen": "citizen",
    "grid_worker": "grid",
    "part_time_grid_worker": "grid",
    "department_system": "department",
    "device_gateway": "device",
}


@router.get("/event-categories")
def categories(
    lang: str = "zh", _: Actor = Depends(requires("public", "GET /api/event-categories"))
) -> dict:
    t = tree()
    return {
        "families": [
            {
                "code": f.code,
                "name": f.zh if lang.startswith("zh") else f.en,
                "module": f.module,
                "categories": [
                    {
                        "code": c.code,
                        "name": c.name(lang),
                        "deadline_class": c.deadline_class,
                        "deadline_hours": t.classes[c.deadline_class],
                        "public": c.public,
                    }
                    for c in t.categories.values()
                    if c.family == f.code
                ],
            }
            for f in t.families.values()
        ],
        "states": {k: v[0 if lang.startswith("zh") else 1] for k, v in L.STATES.items()},
    }


# POST /api/events reads its own request: at thousands of reports a second, FastAPI's
# parameter solving, body validation through a dict and response serialisation cost as much
# as the rest of the request (docs/PERFORMANCE.md, intake). The checks are the same: the one
# actor resolution and `requires` check, EventIn validated from the raw bytes.
_REPORT_CHECK = requires("event.report|event.push|device.report", "POST /api/events")


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its $defs put in place: an operation's schema in OpenAPI
    cannot point into its own $defs."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


_REPORT_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 128},
            "description": "A retry with the same key answers 200 with the first event.",
        }
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inlined(EventIn.model_json_schema())}},
    },
}


# A report is text (photos go to /api/events/{code}/attachments): a larger body is refused before
# more of it is read.
MAX_REPORT_BYTES = 256 * 1024


async def _report_body(request: Request) -> bytes:
    too_large = HTTPException(413, f"a report may have at most {MAX_REPORT_BYTES} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REPORT_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REPORT_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
    )


@router.post(
    "/events",
    status_code=201,
    response_model=None,
    openapi_extra=_REPORT_DOC,
    responses={
        201: {"description": "The event, written and committed"},
        200: {"description": "An idempotent retry: the event the first request made"},
    },
)
async def report(request: Request) -> Response:
    """Report an event. Send an Idempotency-Key header so that a retry cannot make a second
    event: the same key answers 200 with the event the first request made."""
    current = await _REPORT_CHECK(await caller(request))
    try:
        payload = EventIn.model_validate_json(await _report_body(request))
    except ValidationError as exc:  # FastAPI's own 422, with the body's locations
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    hub = request.app.state.events
    channel = ROLE_CHANNEL.get(current.role, "staff")
    key = request.headers.get("idempotency-key")
    draft = prepare(hub.state, current, payload, channel, key)
    outcome = await hub.writer.write(draft)
    return _json(outcome.as_dict(), 201 if outcome.created else 200)


@router.get("/events")
def events(
    state: str | None = Query(default=None, pattern=r"^[a-z_]{3,16}$"),
    open_only: bool = Query(default=False, alias="open"),
    area: str | None = Query(default=None, pattern=r"^\d{6,15}$"),
    family: str | None = Query(default=None, max_length=24),
    department: str | None = Query(default=None, max_length=64),
    worker_id: int | None = None,
    overdue: bool | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    lang: str = "zh",
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("event.list|event.read_own", "GET /api/events")),
) -> dict:
    return list_events(
        session,
        ctx,
        current,
        state=state,
        open_only=open_only,
        area=area,
        family=family,
        department=department,
        worker_id=worker_id,
        overdue=overdue,
        limit=limit,
        offset=offset,
        lang=lang,
    )


@router.get("/events/{code}")
def event(
    code: str,
    lang: str = "zh",
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("event.read|event.read_own", "GET /api/events/{code}")),
) -> dict:
    return get_event(session, ctx, current, code, lang)


_ACTING = "|".join(
    sorted(
        {
            "event.dispatch",
            "event.handle",
            "event.supervise",
            "event.return_visit",
            "event.rate",
            "event.reopen",
            "event.reopen_own",
            "event.transfer",
            "event.escalate",
        }
    )
)


@router.post("/events/{code}/actions/{action}")
def action(
    code: str,
    action: str,
    request: Request,
    body: ActionIn | None = None,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires(_ACTING, "POST /api/events/{code}/actions/{action}")),
) -> dict:
    """dispatch, accept, reply, supervise, send_back, close, return_visit, rate, reopen,
    reject, transfer, merge, escalate, note, urge: each only where the state allows it."""
    e = act(session, request.app.state.events.state, ctx, current, code, action, body)
    return {"id": e.code, "state": e.state, "level": e.level, "department": e.department}


@router.post("/events/{code}/attachments", status_code=201)
async def attach(
    code: str,
    request: Request,
    file: UploadFile = File(...),
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(
        requires("event.report|event.handle", "POST /api/events/{code}/attachments")
    ),
) -> dict:
    """A photo (JPEG, PNG, WebP, HEIC; at most 10 MB), kept on disk by its SHA-256."""
    if file.content_type not in PHOTO_TYPES:
        raise ValueError(f"photos only ({', '.join(sorted(PHOTO_TYPES))}), not {file.content_type}")
    data = await file.read(MAX_PHOTO_BYTES + 1)
    row = add_attachment(
        session,
        ctx,
        current,
        Path(request.app.state.data),
        code,
        data,
        file.content_type,
        file.filename,
    )
    return {"id": row.id, "sha256": row.sha256, "size": row.size}


def _allowed(actor: Actor) -> dict[str, str]:
    from zhili.privacy.policy import allowed_actions

    return allowed_actions(actor.role)


def _attachment_path(request: Request, digest: str) -> Path:
    return attachment_path(Path(request.app.state.data), digest)


@router.get("/events/{code}/attachments/{attachment_id}")
def attachment(
    code: str,
    attachment_id: int,
    request: Request,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(
        requires("event.read|event.read_own", "GET /api/events/{code}/attachments/{attachment_id}")
    ),
) -> FileResponse:
    perm = "event.read_own" if "event.read_own" in _allowed(current) else "event.read"
    e = load_event(session, current, code, perm)
    row = session.get(EventAttachment, attachment_id)
    if row is None or row.event_id != e.id:
        raise NotFound(f"no attachment {attachment_id} on {code}")
    ctx.audit(session, current, "event.attachment.read", resource=f"event:{code}", result_count=1)
    session.commit()
    return FileResponse(_attachment_path(request, row.sha256), media_type=row.content_type)


@router.get("/event-stats")
def event_stats(
    by: str = Query(default="department", pattern=r"^(department|district|town|village|family)$"),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    area: str | None = Query(default=None, pattern=r"^\d{6,15}$"),
    session: Session = Depends(db),
    current: Actor = Depends(requires("event.stats", "GET /api/event-stats")),
) -> dict:
    return {"by": by, "items": rates(session, current, by, since, until, area)}


class RuleIn(BaseModel):
    category: str = Field(max_length=48)
    level: str = Field(pattern=r"^(grid|village|town|district)$")
    department: str = Field(min_length=1, max_length=64)
    start: bool = False
    respond_minutes: int = Field(ge=1, le=60 * 24 * 30)
    deadline_hours: float = Field(gt=0, le=24 * 90)


class RulesIn(BaseModel):
    note: str = Field(min_length=2, max_length=500)
    rules: list[RuleIn] = Field(min_length=1, max_length=5000)


@router.get("/routing/rules")
def routing_rules(
    request: Request,
    session: Session = Depends(db),
    current: Actor = Depends(requires("routing.read", "GET /api/routing/rules")),
) -> dict:
    book = request.app.state.events.state.book(session)
    return {"version": book.version, "rules": [r.__dict__ for r in book.rules]}


@router.put("/routing/rules")
def replace_rules(
    body: RulesIn,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("routing.edit", "PUT /api/routing/rules")),
) -> dict:
    """Activate a new version of the rules (the old versions stay for the events they routed)."""
    authorize(current, "routing.edit")
    version = save_version(
        session, [Rule(**r.model_dump()) for r in body.rules], current.id, body.note
    )
    ctx.audit(
        session,
        current,
        "routing.edit",
        resource=f"routing:v{version}",
        result_count=len(body.rules),
    )
    session.commit()
    return {"version": version, "rules": len(body.rules)}


@router.get("/me/notifications")
def notifications(
    limit: int = Query(default=50, ge=1, le=500),
    session: Session = Depends(db),
    current: Actor = Depends(requires("me.read", "GET /api/me/notifications")),
) -> dict:
    worker = _my_worker(session, current)
    return {"items": my_notifications(session, current, limit, worker.id if worker else None)}


class PositionIn(BaseModel):
    lon: float = Field(ge=73, le=135)
    lat: float = Field(ge=3, le=54)
    on_duty: bool | None = None


def _my_worker(session: Session, actor: Actor) -> Worker | None:
    if not actor.person_id:
        return None
    return session.scalar(select(Worker).where(Worker.person_id == actor.person_id).limit(1))


@router.post("/workers/me/position")
def position(
    body: PositionIn,
    request: Request,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("worker.position", "POST /api/workers/me/position")),
) -> dict[str, Any]:
    """A grid worker's phone reports where they are and whether they are on duty."""
    worker = _my_worker(session, current)
    if worker is None:
        raise NotFound("this account is not a grid worker")
    worker.lon, worker.lat = body.lon, body.lat
    worker.position_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if body.on_duty is not None:
        worker.on_duty = body.on_duty
    hub = request.app.state.events
    if hasattr(hub.state.dispatcher, "update"):
        hub.state.dispatcher.update(
            worker.id,
            grid_code=worker.grid_code,
            lon=body.lon,
            lat=body.lat,
            on_duty=worker.on_duty,
        )
    ctx.audit(session, current, "worker.position", resource=f"worker:{worker.id}", result_count=1)
    session.commit()
    return {"worker_id": worker.id, "on_duty": worker.on_duty}
