"""Police QR codes on every building and every rented dwelling (S5, 一标三实 in practice).

The code carries a URL on our server with the place's token (`/qr/<token>`), nothing else.
Scanning it:
  - anyone sees what the place is and what can be done there (no personal data);
  - a tenant self-registers (name, ID number, phone): pending until an officer verifies or
    rejects it; verifying a person at a new place ends their registration elsewhere (moved);
  - an authorized officer sees who is registered there (purpose-bound, masked, audited);
  - an officer files a hazard, which enters the event hub like any report (photos through
    POST /api/events/{code}/attachments).
Who counts as an officer is policy data (privacy/policy.py: qr.*, DEPARTMENT_ACTIONS).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from dataclasses import dataclass

import segno
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhili.community.load import new_token
from zhili.community.models import CommunityPlace, QrRegistration
from zhili.events.intake import Draft, Outcome, prepare, write_batch
from zhili.events.runtime import HubState
from zhili.events.schemas import EntityRef, EventIn
from zhili.hub.models import Resident
from zhili.identifiers import phone as phone_id
from zhili.identifiers import resident_id
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.masking import mask_id, mask_name, mask_phone
from zhili.privacy.policy import NotFound, Resource, authorize, check_department
from zhili.privacy.purpose import Purpose
from zhili.privacy.scope import scope_condition

PENDING, VERIFIED, REJECTED, MOVED = "pending", "verified", "rejected", "moved"
STATUSES = (PENDING, VERIFIED, REJECTED, MOVED)
LIVE = (PENDING, VERIFIED)  # the registrations that say someone lives there
# A flat's hazard is the police's rental-housing matter; a building's, comprehensive
# governance's (routing decides the department at each level).
HAZARD_CATEGORY = {"flat": "public_order.rental_hazard", "building": "governance.safety_hazard"}
# Roles whose reports come through the grid channel (the rest report as staff).
GRID_ROLES = frozenset({"grid_worker", "part_time_grid_worker"})
_NAME = re.compile(r"^[\u3400-\u9fffA-Za-z·•. ]{2,30}$")


class Conflict(ValueError):
    status = 409


class BadRegistration(ValueError):
    status = 422


def public_url() -> str:
    """The server's address as printed on the codes (ZHILI_PUBLIC_URL; the default suits a
    demo on this machine)."""
    return os.environ.get("ZHILI_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def code_url(token: str, base: str | None = None) -> str:
    return f"{(base or public_url()).rstrip('/')}/qr/{token}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def place_by_token(session: Session, token: str) -> CommunityPlace:
    place = session.scalar(select(CommunityPlace).where(CommunityPlace.token == token))
    if place is None:
        raise NotFound("no such code")  # revoked, mistyped or never issued: the same answer
    return place


def _resource(place: CommunityPlace) -> Resource:
    return Resource(kind="place", id=place.ref, area=place.grid_code)


def landing(session: Session, token: str) -> dict:
    """What anyone scanning the code sees: the place and what can be done there."""
    place = place_by_token(session, token)
    base = f"/api/qr/codes/{token}"
    out = {
        "kind": place.kind,
        "label": place.label,
        "compound": place.compound_name,
        "building_id": place.building_id,
        "floors": place.floors,
        "area_code": place.grid_code,
        "actions": {
            "register": {
                "method": "POST",
                "path": f"{base}/registrations",
                "who": "tenants: name, ID number, phone (pending until an officer verifies)",
                "needs_room": place.kind == "building",
            },
            "residents": {
                "method": "GET",
                "path": f"{base}/residents",
                "who": "authorized officers, with a stated purpose (audited)",
            },
            "hazard": {
                "method": "POST",
                "path": f"{base}/hazards",
                "who": "officers and grid workers; photos via /api/events/{code}/attachments",
            },
        },
    }
    if place.kind == "building":
        out["rented_flats"] = session.scalar(
            select(func.count())
            .select_from(CommunityPlace)
            .where(CommunityPlace.kind == "flat", CommunityPlace.building_id == place.building_id)
        )
    return out


@dataclass(frozen=True)
class RegistrationView:
    id: int
    place: str
    name: str
    id_number: str
    phone: str | None
    status: str
    submitted_at: str
    decided_at: str | None
    masked: bool

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _view(reg: QrRegistration, label: str, masked: bool) -> RegistrationView:
    return RegistrationView(
        id=reg.id,
        place=label,
        name=(mask_name(reg.name) if masked else reg.name) or "",
        id_number=(mask_id(reg.id_number) if masked else reg.id_number) or "",
        phone=mask_phone(reg.phone) if masked else reg.phone,
        status=reg.status,
        submitted_at=reg.submitted_at.isoformat() + "Z",
        decided_at=reg.decided_at.isoformat() + "Z" if reg.decided_at else None,
        masked=masked,
    )


def _places_of(session: Session, place: CommunityPlace) -> dict[int, str]:
    """The place itself, and for a building every rented flat in it: id → label."""
    query = select(CommunityPlace.id, CommunityPlace.label).where(CommunityPlace.id == place.id)
    if place.kind == "building" and place.building_id:
        query = select(CommunityPlace.id, CommunityPlace.label).where(
            (CommunityPlace.id == place.id)
            | ((CommunityPlace.building_id == place.building_id) & (CommunityPlace.kind == "flat"))
        )
    return dict(session.execute(query).all())


def registered(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    token: str,
    purpose: Purpose | None,
    unmask: bool = False,
) -> dict:
    """Who is registered at the code's place (a building: at its rented flats), for an
    authorized officer with a purpose; masked unless unmasking is allowed and asked for."""
    place = place_by_token(session, token)
    resource = _resource(place)
    authorize(actor, "qr.residents", resource, purpose)
    check_department(actor, "qr.residents")
    if unmask:
        authorize(actor, "person.unmask", resource, purpose)
    labels = _places_of(session, place)
    regs = session.scalars(
        select(QrRegistration)
        .where(QrRegistration.place_id.in_(list(labels)), QrRegistration.status.in_(LIVE))
        .order_by(QrRegistration.place_id, QrRegistration.id)
    ).all()
    ctx.audit(
        session,
        actor,
        "person.unmask" if unmask else "qr.residents",
        resource=f"qr:{place.ref}",
        subjects=sorted({r.person_id for r in regs if r.person_id}),
        purpose=purpose,
        result_count=len(regs),
    )
    session.commit()
    return {
        "kind": place.kind,
        "label": place.label,
        "registered": sum(r.status == VERIFIED for r in regs),
        "pending": sum(r.status == PENDING for r in regs),
        "items": [_view(r, labels[r.place_id], masked=not unmask).as_dict() for r in regs],
    }


def _flat_in_building(
    session: Session, building: CommunityPlace, room: str | None
) -> CommunityPlace:
    """A building's code registers a tenant at one of its rented flats: `room` is
    unit-room ("2-502") or the room alone when the building has one unit."""
    if not room:
        raise BadRegistration("a building's code needs the room: unit-room, e.g. 2-502")
    m = re.fullmatch(r"\s*(?:(\d{1,2})\s*[-单元]+\s*)?(\d{1,5})\s*室?\s*", room)
    if m is None:
        raise BadRegistration(f"room {room!r}: write unit-room, e.g. 2-502")
    unit, number = m.group(1), m.group(2)
    query = select(CommunityPlace).where(
        CommunityPlace.kind == "flat",
        CommunityPlace.building_id == building.building_id,
        CommunityPlace.room == number,
    )
    if unit is not None:
        query = query.where(CommunityPlace.unit == int(unit))
    hits = session.scalars(query).all()
    if len(hits) != 1:
        raise BadRegistration(
            f"no rented flat {room} in {building.label}"
            if not hits
            else f"room {room} is ambiguous in {building.label}: give the unit, e.g. 2-{number}"
        )
    return hits[0]


def _checked(name: str, id_number: str, phone: str | None) -> tuple[str, str, str | None]:
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise BadRegistration("name: 2 to 30 characters, Chinese or Latin letters")
    number, why = resident_id.validate(id_number)
    if number is None:
        raise BadRegistration(f"ID number is not valid ({why})")
    mobile = None
    if phone:
        mobile, why = phone_id.validate(phone)
        if mobile is None:
            raise BadRegistration(f"phone is not a mobile number ({why})")
    return name, number, mobile


def self_register(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    token: str,
    name: str,
    id_number: str,
    phone: str | None,
    room: str | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """A tenant registers at the code's place. The same person at the same place again
    answers the registration already there (a rescan is not a second tenant)."""
    place = place_by_token(session, token)
    if place.kind == "building":
        place = _flat_in_building(session, place, room)
    name, number, mobile = _checked(name, id_number, phone)
    existing = session.scalar(
        select(QrRegistration).where(
            QrRegistration.place_id == place.id,
            QrRegistration.id_number == number,
            QrRegistration.status.in_(LIVE),
        )
    )
    created = existing is None
    if existing is None:
        person = session.scalar(select(Resident.person_id).where(Resident.id_number == number))
        existing = QrRegistration(
            place_id=place.id,
            grid_code=place.grid_code,
            name=name,
            id_number=number,
            phone=mobile,
            person_id=person,
            status=PENDING,
            submitted_at=now or _now(),
            submitted_by=actor.id,
        )
        session.add(existing)
        session.flush()
        ctx.audit(
            session,
            actor,
            "qr.register",
            resource=f"qr:{place.ref}",
            subjects=[person] if person else [],
            result_count=1,
        )
    session.commit()
    return {**_view(existing, place.label, masked=True).as_dict(), "created": created}


def decide(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    registration_id: int,
    verify: bool,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """An officer verifies (checked the ID card at the door) or rejects a registration."""
    reg = session.get(QrRegistration, registration_id)
    if reg is None:
        raise NotFound(f"no registration {registration_id}")
    authorize(actor, "qr.verify", Resource(kind="registration", id=str(reg.id), area=reg.grid_code))
    check_department(actor, "qr.verify")
    if reg.status != PENDING:
        raise Conflict(f"registration {reg.id} is {reg.status}, not pending")
    if not verify and not (note or "").strip():
        raise ValueError("a rejection needs a note saying why")
    now = now or _now()
    place = session.get(CommunityPlace, reg.place_id)
    assert place is not None
    reg.status = VERIFIED if verify else REJECTED
    reg.decided_at, reg.decided_by, reg.note = now, actor.id, (note or None)
    moved = 0
    if verify:
        # One home at a time: a verified registration elsewhere has ended.
        moved = session.execute(
            update(QrRegistration)
            .where(
                QrRegistration.id_number == reg.id_number,
                QrRegistration.id != reg.id,
                QrRegistration.status == VERIFIED,
            )
            .values(status=MOVED, decided_at=now, decided_by=actor.id, note=f"迁至 {place.label}")
        ).rowcount
    ctx.audit(
        session,
        actor,
        "qr.verify" if verify else "qr.reject",
        resource=f"qr_registration:{reg.id}",
        subjects=[reg.person_id] if reg.person_id else [],
        result_count=1,
    )
    session.commit()
    return {**_view(reg, place.label, masked=True).as_dict(), "ended_elsewhere": moved or 0}


def end_registration(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    registration_id: int,
    note: str,
    now: dt.datetime | None = None,
) -> dict:
    """An officer ends a verified registration: the tenant has moved out (退租注销)."""
    if not (note or "").strip():
        raise ValueError("ending a registration needs a note saying why")
    reg = session.get(QrRegistration, registration_id)
    if reg is None:
        raise NotFound(f"no registration {registration_id}")
    authorize(actor, "qr.verify", Resource(kind="registration", id=str(reg.id), area=reg.grid_code))
    check_department(actor, "qr.verify")
    if reg.status != VERIFIED:
        raise Conflict(f"registration {reg.id} is {reg.status}, not verified")
    reg.status, reg.decided_at, reg.decided_by, reg.note = MOVED, now or _now(), actor.id, note
    ctx.audit(
        session,
        actor,
        "qr.end",
        resource=f"qr_registration:{reg.id}",
        subjects=[reg.person_id] if reg.person_id else [],
        result_count=1,
    )
    session.commit()
    place = session.get(CommunityPlace, reg.place_id)
    return _view(reg, place.label if place else "", masked=True).as_dict()


def list_registrations(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    status: str | None = PENDING,
    area: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict:
    """The registration queue inside the actor's area (masked, audited)."""
    authorize(actor, "qr.list")
    check_department(actor, "qr.list")
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    query = (
        select(QrRegistration, CommunityPlace.label)
        .join(CommunityPlace, CommunityPlace.id == QrRegistration.place_id)
        .where(scope_condition(actor, QrRegistration.grid_code))
    )
    if status:
        query = query.where(QrRegistration.status == status)
    if area:
        query = query.where(QrRegistration.grid_code.startswith(area, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(QrRegistration.submitted_at, QrRegistration.id).limit(limit).offset(offset)
    ).all()
    ctx.audit(
        session,
        actor,
        "qr.list",
        resource=f"qr_registrations?status={status}&area={area or actor.scope}",
        subjects=sorted({r.person_id for r, _ in rows if r.person_id}),
        result_count=len(rows),
    )
    session.commit()
    return {"total": total, "items": [_view(r, label, masked=True).as_dict() for r, label in rows]}


def hazard_draft(
    state: HubState,
    actor: Actor,
    place: CommunityPlace,
    description: str,
    title: str | None = None,
    severity: int | None = None,
    idempotency_key: str | None = None,
) -> Draft:
    """A hazard at the code's place as an event hub report (the intake checks the author may
    report there)."""
    payload = EventIn(
        category=HAZARD_CATEGORY[place.kind],
        area_code=place.grid_code,
        lon=place.lon,
        lat=place.lat,
        address=place.label,
        title=title or f"{place.label} 隐患",
        description=description,
        severity=severity,
        entities=[EntityRef(kind="house", id=place.ref)] if place.kind == "flat" else None,
    )
    channel = "grid" if actor.role in GRID_ROLES else "staff"
    return prepare(state, actor, payload, channel, idempotency_key)


def file_hazard(
    session: Session,
    state: HubState,
    ctx: PrivacyContext,
    actor: Actor,
    token: str,
    description: str,
    title: str | None = None,
    severity: int | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """The same as the API route, written in the caller's session (tests, tools)."""
    place = place_by_token(session, token)
    draft = hazard_draft(state, actor, place, description, title, severity)
    [outcome] = write_batch(session, state, ctx, [draft], now=now)
    session.commit()
    return outcome


def rotate_token(session: Session, ref: str, now: dt.datetime | None = None) -> str:
    """A new code for a place (the old one, lost or copied, stops working at once); the
    caller commits."""
    place = session.scalar(select(CommunityPlace).where(CommunityPlace.ref == ref))
    if place is None:
        raise NotFound(f"no place {ref}")
    place.token, place.token_issued_at = new_token(), now or _now()
    session.flush()
    return place.token


# The printable sheet: one page per building, the building's code first, then one code per
# rented flat, each with its label, cut along the dashed lines.
_SHEET_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; }
h1 { font-size: 16pt; margin: 0 0 4mm; }
p.note { font-size: 9pt; color: #444; margin: 0 0 6mm; }
.codes { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; }
.code { border: 1px dashed #999; padding: 3mm; text-align: center; break-inside: avoid; }
.code.building { grid-column: span 3; }
.code svg { width: 40mm; height: 40mm; }
.code.building svg { width: 60mm; height: 60mm; }
.label { font-size: 11pt; font-weight: bold; margin-top: 2mm; }
.kind { font-size: 8pt; color: #666; }
"""


def _svg(url: str) -> str:
    # Error correction M (15 %): codes on doors get scratched and dirty.
    return segno.make(url, error="m").svg_inline(scale=4, border=2)


def building_sheet(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    building_id: str,
    base_url: str | None = None,
) -> str:
    """The printable HTML page of a building's codes (audited: codes are capabilities)."""
    building = session.scalar(
        select(CommunityPlace).where(
            CommunityPlace.kind == "building", CommunityPlace.ref == building_id
        )
    )
    if building is None:
        raise NotFound(f"no building {building_id}")
    authorize(actor, "qr.print", _resource(building))
    flats = session.scalars(
        select(CommunityPlace)
        .where(CommunityPlace.kind == "flat", CommunityPlace.building_id == building_id)
        .order_by(CommunityPlace.unit, CommunityPlace.floor, CommunityPlace.room)
    ).all()
    cells = []
    for p in [building, *flats]:
        kind = "楼栋码 building" if p.kind == "building" else "出租房屋码 rented flat"
        cells.append(
            f'<div class="code {p.kind}">{_svg(code_url(p.token, base_url))}'
            f'<div class="label">{html.escape(p.label)}</div>'
            f'<div class="kind">{kind} · {html.escape(p.ref)}</div></div>'
        )
    ctx.audit(
        session, actor, "qr.print", resource=f"qr_sheet:{building_id}", result_count=len(cells)
    )
    session.commit()
    title = html.escape(building.label)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title} 二维码</title><style>{_SHEET_CSS}</style></head><body>"
        f"<h1>{title} · 警务二维码（{len(flats)} 套出租房屋）</h1>"
        '<p class="note">扫码：租客自主申报登记；民警查看登记人员、上报隐患。'
        "Scan: tenants self-register; officers see who is registered and report hazards.</p>"
        f'<div class="codes">{"".join(cells)}</div></body></html>'
    )
