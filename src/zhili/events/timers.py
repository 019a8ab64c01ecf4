"""Deadlines as rows: a `respond` timer until someone takes the event on, a `resolve` timer
until it is completed. They live in the database, so a restart loses none."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from zhili.events.models import EventTimer
from zhili.events.routing import Rule


def open_timers(
    event_id: int, level: str, rule: Rule, now: dt.datetime, *, dispatched: bool
) -> list[dict[str, Any]]:
    rows = [
        {
            "event_id": event_id,
            "kind": "resolve",
            "level": level,
            "due_at": now + dt.timedelta(hours=rule.deadline_hours),
            "done_at": None,
            "fired": False,
        }
    ]
    if not dispatched:
        rows.append(
            {
                "event_id": event_id,
                "kind": "respond",
                "level": level,
                "due_at": now + dt.timedelta(minutes=rule.respond_minutes),
                "done_at": None,
                "fired": False,
            }
        )
    return rows


def finish(session: Session, event_id: int, now: dt.datetime, kind: str | None = None) -> None:
    """Stop the event's running timers (of one kind, or all)."""
    q = update(EventTimer).where(EventTimer.event_id == event_id, EventTimer.done_at.is_(None))
    if kind:
        q = q.where(EventTimer.kind == kind)
    session.execute(q.values(done_at=now))


def reset_timers(
    session: Session, event_id: int, level: str, rule: Rule, now: dt.datetime, *, dispatched: bool
) -> dt.datetime:
    """New deadlines at a new level (escalation, reopening); returns the resolve deadline."""
    finish(session, event_id, now)
    rows = open_timers(event_id, level, rule, now, dispatched=dispatched)
    session.add_all(EventTimer(**r) for r in rows)
    return rows[0]["due_at"]
