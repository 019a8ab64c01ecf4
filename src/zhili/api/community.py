"""/api/qr (police QR codes, S5), /api/cameras (thrown objects, S3) and a resident's daily
activity from the gates (S1, S2). See docs/COMMUNITY.md."""

from __future__ import annotations

import datetime as dt
import os

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhili.api.deps import db, privacy, purpose, requires
from zhili.community import cameras, qr
from zhili.community.access import local_today, resident_activity
from zhili.db.times import naive_utc
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.purpose import Purpose

router = APIRouter(prefix="/api", tags=["community"])


@router.get("/qr/registrations")
def registrations(
    status: str | None = Query(default="pending", pattern=r"^(pending|verified|rejected|moved)$"),
    area: str | None = Query(default=None, pattern=r"^\d{6,15}$"),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("qr.list", "GET /api/qr/registrations")),
) -> dict:
    """The registration queue in the caller's area (masked)."""
    return qr.list_registrations(session, ctx, current, status, area, limit, offset)


class DecisionIn(BaseModel):
    note: str | None = Field(default=None, max_length=255)


@router.post("/qr/registrations/{registration_id}/verify")
def verify(
    registration_id: int,
    body: DecisionIn | None = None,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(
        requires("qr.verify", "POST /api/qr/registrations/{registration_id}/verify")
    ),
) -> dict:
    """The officer checked the ID card at the door: the registration stands."""
    return qr.decide(session, ctx, current, registration_id, True, body.note if body else None)


@router.post("/qr/registrations/{registration_id}/reject")
def reject(
    registration_id: int,
    body: DecisionIn,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(
        requires("qr.verify", "POST /api/qr/registrations/{registration_id}/reject")
    ),
) -> dict:
    """The registrant does not live there (say why in the note)."""
    return qr.decide(session, ctx, current, registration_id, False, body.note)


@router.post("/qr/registrations/{registration_id}/end")
def end(
    registration_id: int,
    body: DecisionIn,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(
        requires("qr.verify", "POST /api/qr/registrations/{registration_id}/end")
    ),
) -> dict:
    """The tenant has moved out: a verified registration ends (say why in the note)."""
    return qr.end_registration(session, ctx, current, registration_id, body.note or "")


@router.get("/qr/sheets/{building_id}", response_class=HTMLResponse)
def sheet(
    building_id: str,
    request: Request,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("qr.print", "GET /api/qr/sheets/{building_id}")),
) -> HTMLResponse:
    """The printable page of a building's codes (HTML with inline SVG; print to A4)."""
    # The address on the codes: the configured public one, else the one the caller used.
    base = os.environ.get("ZHILI_PUBLIC_URL") or str(request.base_url)
    return HTMLResponse(qr.building_sheet(session, ctx, current, building_id, base))


@router.get("/qr/codes/{token}")
def landing(
    token: str,
    session: Session = Depends(db),
    _: Actor = Depends(requires("public", "GET /api/qr/codes/{token}")),
) -> dict:
    """What scanning a code shows anyone: the place and what can be done there."""
    return qr.landing(session, token)


@router.get("/qr/codes/{token}/residents")
def residents(
    token: str,
    unmask: bool = False,
    stated: Purpose | None = Depends(purpose),
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("qr.residents", "GET /api/qr/codes/{token}/residents")),
) -> dict:
    """Who is registered there, for an authorized officer with a stated purpose (audited)."""
    return qr.registered(session, ctx, current, token, stated, unmask)


class RegistrationIn(BaseModel):
    model_config = {"extra": "forbid"}
    name: str = Field(min_length=2, max_length=30)
    id_number: str = Field(min_length=15, max_length=24)
    phone: str | None = Field(default=None, max_length=20)
    room: str | None = Field(default=None, max_length=16, description="unit-room, building codes")


@router.post("/qr/codes/{token}/registrations", status_code=201)
def register(
    token: str,
    body: RegistrationIn,
    response: Response,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("public", "POST /api/qr/codes/{token}/registrations")),
) -> dict:
    """A tenant self-registers; pending until an officer verifies it. Registering again
    answers 200 with the registration already there."""
    out = qr.self_register(
        session, ctx, current, token, body.name, body.id_number, body.phone, body.room
    )
    if not out["created"]:
        response.status_code = 200
    return out


class HazardIn(BaseModel):
    model_config = {"extra": "forbid"}
    description: str = Field(min_length=2, max_length=4000)
    title: str | None = Field(default=None, max_length=128)
    severity: int | None = Field(default=None, ge=1, le=4)


@router.post("/qr/codes/{token}/hazards", status_code=201)
async def hazard(
    token: str,
    body: HazardIn,
    request: Request,
    response: Response,
    idempotency_key: str | None = Header(default=None),
    current: Actor = Depends(requires("event.report", "POST /api/qr/codes/{token}/hazards")),
) -> dict:
    """A hazard at the place, into the event hub; add photos with
    POST /api/events/{id}/attachments."""
    hub = request.app.state.events
    with request.app.state.sessions() as session:  # released before awaiting the writer
        place = qr.place_by_token(session, token)
        draft = qr.hazard_draft(
            hub.state, current, place, body.description, body.title, body.severity, idempotency_key
        )
    outcome = await hub.writer.write(draft)
    if not outcome.created:
        response.status_code = 200
    return {**outcome.as_dict(), "photos": f"/api/events/{outcome.code}/attachments"}


@router.get("/cameras/coverage")
def camera_coverage(
    building_id: str = Query(min_length=1, max_length=16),
    floor_from: int = Query(ge=1, le=200),
    floor_to: int = Query(ge=1, le=200),
    start: dt.datetime = Query(),
    end: dt.datetime | None = None,
    session: Session = Depends(db),
    current: Actor = Depends(requires("camera.coverage", "GET /api/cameras/coverage")),
) -> dict:
    """The cameras that cover floors of a building in a time window, and the clips to pull."""
    t0 = naive_utc(start)
    t1 = naive_utc(end) if end else t0
    cov = cameras.covering(session, current, building_id, floor_from, floor_to, t0, t1)
    return cov.as_dict()


class ThrownIn(BaseModel):
    model_config = {"extra": "forbid"}
    at: dt.datetime
    floor_estimate: int | None = Field(default=None, ge=1, le=200)


@router.post("/cameras/{camera_id}/thrown-object", status_code=201)
async def thrown_object(
    camera_id: str,
    body: ThrownIn,
    request: Request,
    response: Response,
    current: Actor = Depends(
        requires("device.report", "POST /api/cameras/{camera_id}/thrown-object")
    ),
) -> dict:
    """A camera's own analytics saw an object thrown from height: open an event with the
    cameras and clips for back-tracking (one event per detection; retries answer 200)."""
    hub = request.app.state.events
    with request.app.state.sessions() as session:
        draft = cameras.thrown_object_draft(
            session, hub.state, camera_id, body.at, body.floor_estimate, reporter=current
        )
    outcome = await hub.writer.write(draft)
    if not outcome.created:
        response.status_code = 200
    return outcome.as_dict()


@router.get("/community/residents/{person_id}/activity")
def activity(
    person_id: str,
    days: int = Query(default=14, ge=1, le=90),
    until: dt.date | None = None,
    stated: Purpose | None = Depends(purpose),
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(
        requires(
            "person.read|person.read_self", "GET /api/community/residents/{person_id}/activity"
        )
    ),
) -> dict:
    """A resident's gate passages per day (movement data: a purpose-bound, audited read)."""
    last = until or local_today(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    a = resident_activity(session, ctx, current, person_id, stated, last, days)
    return {"person_id": a.person_id, "days": a.days, "total": a.total, "per_day": a.per_day}
