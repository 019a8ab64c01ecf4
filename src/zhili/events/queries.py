"""Reading events: lists inside the actor's area (scope applied in the query), one event with
its timeline, the reporter's own events. The reporter's name and contact are personal data:
masked for staff, shown to the reporter; staff reads of a reporter's details are audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zhili.events import lifecycle as L
from zhili.events.categories import tree
from zhili.events.models import Event, EventAction, EventAttachment, EventNotification
from zhili.events.workflow import load_event
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.masking import mask_name, mask_phone, mask_text
from zhili.privacy.policy import authorize, can
from zhili.privacy.scope import scope_condition


def _iso(v: dt.datetime | None) -> str | None:
    return v.isoformat() + "Z" if v else None


def summary(e: Event, lang: str = "zh") -> dict[str, Any]:
    cat = tree().categories.get(e.category)
    return {
        "id": e.code,
        "category": e.category,
        "category_name": cat.name(lang) if cat else e.category,
        "family": e.family,
        "channel": e.channel,
        "state": e.state,
        "state_name": L.STATES[e.state][0 if lang.startswith("zh") else 1],
        "severity": e.severity,
        "crowd_size": e.crowd_size,
        "level": e.level,
        "department": e.department,
        "area_code": e.area_code,
        "lon": e.lon,
        "lat": e.lat,
        "title": e.title,
        "worker_id": e.worker_id,
        "reported_at": _iso(e.reported_at),
        "created_at": _iso(e.created_at),
        "due_at": _iso(e.due_at),
        "overdue": e.overdue,
        "rating": e.rating,
    }


def detail(session: Session, e: Event, own: bool, lang: str = "zh") -> dict[str, Any]:
    out = summary(e, lang)
    incident = (
        session.scalar(select(Event.code).where(Event.id == e.incident_id))
        if e.incident_id
        else None
    )
    merged = session.scalars(select(Event.code).where(Event.incident_id == e.id)).all()
    out |= {
        # Staff see identifiers written into the text masked, like every other field.
        "description": e.description if own else mask_text(e.description, (e.reporter_name,)),
        "address": e.address,
        "incident": incident,
        "merged_reports": list(merged),
        "entities": e.entities or [],
        "reporter": {
            "actor": e.reporter_actor if own else _kind(e.reporter_actor),
            "name": e.reporter_name if own else mask_name(e.reporter_name),
            "contact": e.reporter_contact if own else mask_phone(e.reporter_contact),
        },
        "rule_version": e.rule_version,
        "timeline": [
            {
                "at": _iso(a.at),
                "actor": a.actor,
                "action": a.action,
                "from": a.from_state,
                "to": a.to_state,
                "level": a.level,
                "department": a.department,
                "note": a.note if own else mask_text(a.note, (e.reporter_name,)),
            }
            for a in session.scalars(
                select(EventAction).where(EventAction.event_id == e.id).order_by(EventAction.id)
            )
        ],
        "attachments": [
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in session.scalars(
                select(EventAttachment).where(EventAttachment.event_id == e.id)
            )
        ],
    }
    return out


def _kind(actor_id: str) -> str:
    return actor_id.split(":", 1)[0]  # "user", "key", "open311": not who


def get_event(
    session: Session, ctx: PrivacyContext, actor: Actor, code: str, lang: str = "zh"
) -> dict[str, Any]:
    own_role = can(actor, "event.read_own")
    e = load_event(session, actor, code, "event.read_own" if own_role else "event.read")
    data = detail(session, e, own=own_role, lang=lang)
    ctx.audit(
        session,
        actor,
        "event.read",
        resource=f"event:{code}",
        subjects=[e.reporter_person] if e.reporter_person and not own_role else [],
        result_count=1,
    )
    session.commit()
    return data


def list_events(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    *,
    state: str | None = None,
    open_only: bool = False,
    area: str | None = None,
    family: str | None = None,
    department: str | None = None,
    worker_id: int | None = None,
    overdue: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    lang: str = "zh",
) -> dict[str, Any]:
    """Events in scope, overdue first, then by deadline (the dispatcher's queue order)."""
    if can(actor, "event.read_own") and not can(actor, "event.list"):
        q = select(Event).where(Event.reporter_person == (actor.person_id or "-"))
    else:
        authorize(actor, "event.list")
        q = select(Event).where(scope_condition(actor, Event.area_code))
    if state:
        q = q.where(Event.state == state)
    if open_only:
        q = q.where(Event.state.in_(L.OPEN_STATES))
    if area:
        q = q.where(Event.area_code.startswith(area, autoescape=True))
    if family:
        q = q.where(Event.family == family)
    if department:
        q = q.where(Event.department == department)
    if worker_id is not None:
        q = q.where(Event.worker_id == worker_id)
    if overdue is not None:
        q = q.where(Event.overdue == overdue)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(
        q.order_by(Event.overdue.desc(), Event.due_at.is_(None), Event.due_at, Event.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    ctx.audit(
        session,
        actor,
        "event.list",
        resource=f"events?area={area or actor.scope}",
        result_count=len(rows),
    )
    session.commit()
    return {"total": total, "items": [summary(e, lang) for e in rows]}


def my_notifications(
    session: Session, actor: Actor, limit: int = 50, worker_id: int | None = None
) -> list[dict[str, Any]]:
    """What the hub told this actor (and, for a citizen, their person; for a worker, them)."""
    recipients = [actor.id]
    if actor.person_id:
        recipients.append(f"person:{actor.person_id}")
    if worker_id is not None:
        recipients.append(f"worker:{worker_id}")
    rows = session.execute(
        select(EventNotification, Event.code)
        .join(Event, Event.id == EventNotification.event_id)
        .where(or_(*[EventNotification.recipient == r for r in recipients]))
        .order_by(EventNotification.id.desc())
        .limit(limit)
    ).all()
    return [
        {"event": code, "at": _iso(n.at), "kind": n.kind, "state": n.state, "message": n.message}
        for n, code in rows
    ]
