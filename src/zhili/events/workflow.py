"""Acting on an event: each lifecycle action is authorized against the event's area (or, for
the reporter's own rating and reopening, their person), checked against the state machine,
written to the timeline and the audit log, and told to the reporters."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.events import lifecycle as L
from zhili.events.models import Event, EventAction, Worker
from zhili.events.notify import notify, notify_reporters, state_message
from zhili.events.runtime import HubState
from zhili.events.timers import finish, reset_timers
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import NotFound, Resource, authorize, can

# The permission each action needs (policy.py); the reporter's own acts are "_own" variants.
PERMISSION = {
    "dispatch": "event.dispatch",
    "accept": "event.handle",
    "reply": "event.handle",
    "note": "event.handle",
    "supervise": "event.supervise",
    "send_back": "event.supervise",
    "close": "event.supervise",
    "urge": "event.supervise",
    "return_visit": "event.return_visit",
    "rate": "event.return_visit",
    "reopen": "event.reopen",
    "reject": "event.dispatch",
    "transfer": "event.transfer",
    "merge": "event.dispatch",
    "escalate": "event.escalate",
}
OWN_PERMISSION = {"rate": "event.rate", "reopen": "event.reopen_own"}
NOTE_REQUIRED = frozenset({"reply", "send_back", "reject", "transfer", "return_visit"})


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=2000)
    worker_id: int | None = None
    department: str | None = Field(default=None, max_length=64)
    rating: int | None = Field(default=None, ge=1, le=5)
    into: str | None = Field(default=None, max_length=24, description="incident code (merge)")
    level: str | None = Field(default=None, pattern=r"^(village|town|district)$")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def load_event(session: Session, actor: Actor, code: str, permission: str) -> Event:
    """The event if the actor may see it for `permission`; 404 otherwise (ids are not probed)."""
    event = session.scalar(select(Event).where(Event.code == code))
    if event is None:
        raise NotFound(f"no event {code}")
    authorize(
        actor,
        permission,
        Resource(kind="event", id=code, area=event.area_code, owner_person=event.reporter_person),
    )
    return event


def act(
    session: Session,
    state: HubState,
    ctx: PrivacyContext,
    actor: Actor,
    code: str,
    action: str,
    body: ActionIn | None = None,
    now: dt.datetime | None = None,
) -> Event:
    body = body or ActionIn()
    now = now or _now()
    if action not in PERMISSION:
        raise L.TransitionError(f"unknown action {action!r}; one of {', '.join(PERMISSION)}")
    own = action in OWN_PERMISSION and can(actor, OWN_PERMISSION[action])
    event = load_event(session, actor, code, OWN_PERMISSION[action] if own else PERMISSION[action])
    if action in NOTE_REQUIRED and not body.note.strip():
        raise ValueError(f"{action} needs a note saying why or what was done")
    before = event.state
    after = L.next_state(before, action)
    note = body.note
    book = state.book(session)
    if action == "dispatch":
        note = _dispatch(session, state, event, body, now) or note
    elif action == "close":
        event.completed_at = now
        event.overdue = event.overdue or (event.due_at is not None and now > event.due_at)
        finish(session, event.id, now)
    elif action in ("reject",):
        finish(session, event.id, now)
    elif action == "rate":
        if body.rating is None:
            raise ValueError("rate needs a rating from 1 to 5")
        event.rating = body.rating
        note = f"{body.rating}/5 {note}".strip()
    elif action == "reopen":
        event.completed_at = None
        event.worker_id = None
        event.due_at = reset_timers(
            session,
            event.id,
            event.level,
            book.rule(event.category, event.level),
            now,
            dispatched=False,
        )
    elif action == "transfer":
        if not body.department:
            raise ValueError("transfer needs the department it goes to")
        event.department = body.department
        event.worker_id = None
        event.due_at = reset_timers(
            session,
            event.id,
            event.level,
            book.rule(event.category, event.level),
            now,
            dispatched=False,
        )
    elif action == "merge":
        note = " ".join(x for x in (_merge(session, actor, event, body, now), note) if x)
        finish(session, event.id, now)
    elif action == "escalate":
        target = body.level or L.level_above(event.level)
        if target is None or L.level_index(target) <= L.level_index(event.level):
            raise L.TransitionError(f"event is at {event.level}: cannot escalate to {target}")
        escalate_to(session, state, event, target, actor.id, now, note or "上报上级")
    elif action == "urge":
        notify(
            session,
            event.id,
            f"dept:{event.department}",
            "urge",
            f"督办 {event.code}：{note}",
            now,
            event.state,
        )
    if action != "escalate":
        event.state = after
        event.updated_at = now
        session.add(
            EventAction(
                event_id=event.id,
                at=now,
                actor=actor.id,
                action=action,
                from_state=before,
                to_state=after,
                level=event.level,
                department=event.department,
                note=note,
            )
        )
        if after != before:
            notify_reporters(
                session,
                event,
                "state",
                state_message(event.code, after, event.department, event.level, note),
                now,
            )
    ctx.audit(
        session,
        actor,
        f"event.{action}",
        resource=f"event:{event.code}",
        subjects=[event.reporter_person] if event.reporter_person and own else [],
        result_count=1,
    )
    session.commit()
    return event


def _dispatch(
    session: Session, state: HubState, event: Event, body: ActionIn, now: dt.datetime
) -> str | None:
    if body.worker_id is not None:
        worker = session.get(Worker, body.worker_id)
        if worker is None or not worker.grid_code.startswith(event.area_code[:9]):
            raise ValueError(f"worker {body.worker_id} does not serve this event's town")
        event.worker_id = worker.id
    elif event.level in ("grid", "village"):
        choice = state.dispatcher.nearest(event.area_code, event.lon, event.lat)
        event.worker_id = choice.worker_id if choice is not None else None
    event.dispatched_at = now
    finish(session, event.id, now, "respond")
    target = f"worker:{event.worker_id}" if event.worker_id else f"dept:{event.department}"
    notify(
        session,
        event.id,
        target,
        "dispatch",
        f"新任务 {event.code}：{event.title}",
        now,
        L.DISPATCHED,
    )
    return f"→ worker {event.worker_id}" if event.worker_id else f"→ {event.department}"


def _merge(session: Session, actor: Actor, event: Event, body: ActionIn, now: dt.datetime) -> str:
    """A dispatcher's manual merge: `event` (received or dispatched; the state machine checked
    that) becomes a duplicate of the open incident `body.into`. Reports already merged into
    `event` move with it (no chains), the incident's timeline records the merge and its
    severity is at least the event's."""
    if not body.into:
        raise ValueError("merge needs the incident code it goes into")
    incident = load_event(session, actor, body.into, "event.read")
    if incident.id == event.id or incident.incident_id is not None:
        raise ValueError(f"{body.into} is not an incident this event can join")
    if incident.state not in L.OPEN_STATES:
        raise L.TransitionError(f"{incident.code} is {incident.state}: only an open incident")
    event.incident_id = incident.id
    for report in session.scalars(select(Event).where(Event.incident_id == event.id)).all():
        report.incident_id = incident.id
    incident.severity = max(incident.severity, event.severity)
    incident.updated_at = now
    session.add(
        EventAction(
            event_id=incident.id,
            at=now,
            actor=actor.id,
            action="merge",
            from_state=incident.state,
            to_state=incident.state,
            level=incident.level,
            department=incident.department,
            note=f"report {event.code} merged ({body.note or 'dispatcher'})",
        )
    )
    return f"→ {incident.code}"


def escalate_to(
    session: Session,
    state: HubState,
    event: Event,
    level: str,
    actor_id: str,
    now: dt.datetime,
    note: str,
) -> None:
    """Move the event up to `level`: that level's department takes over, with new deadlines."""
    book = state.book(session)
    rule = book.rule(event.category, level)
    before_level = event.level
    event.level = level
    event.department = rule.department
    dispatched = event.state not in (L.RECEIVED, L.TRANSFERRED, L.REOPENED)
    event.due_at = reset_timers(session, event.id, level, rule, now, dispatched=dispatched)
    event.deadline_hours = rule.deadline_hours
    event.updated_at = now
    session.add(
        EventAction(
            event_id=event.id,
            at=now,
            actor=actor_id,
            action="escalate",
            from_state=event.state,
            to_state=event.state,
            level=level,
            department=rule.department,
            note=f"{before_level} → {level}: {note}",
        )
    )
    notify(
        session,
        event.id,
        f"dept:{rule.department}",
        "escalation",
        f"上报事件 {event.code}（{event.title}）：{note}",
        now,
        event.state,
    )
    notify_reporters(
        session,
        event,
        "escalation",
        state_message(event.code, event.state, rule.department, level, note),
        now,
    )
