"""Feedback: the reporter is told at every state change (and every reporter of a merged
incident with them); the worker or department is told when the event reaches them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhili.events.lifecycle import LEVEL_NAMES, STATES
from zhili.events.models import Event, EventNotification


def reporter_recipients(actor: str, person: str | None) -> list[str]:
    out = [actor]
    if person:
        out.append(f"person:{person}")
    return out


def state_message(code: str, state: str, department: str, level: str, note: str = "") -> str:
    zh = STATES[state][0]
    msg = f"您反映的事项 {code} 当前状态：{zh}（{LEVEL_NAMES[level][0]}级·{department}）"
    return f"{msg}。{note}" if note else msg


def rows_for_state(
    event_id: int, recipients: list[str], state: str, message: str, at: dt.datetime, kind="state"
) -> list[dict[str, Any]]:
    return [
        {
            "event_id": event_id,
            "recipient": r,
            "at": at,
            "kind": kind,
            "state": state,
            "message": message,
            "read_at": None,
        }
        for r in recipients
    ]


def notify_reporters(
    session: Session, event: Event, kind: str, message: str, at: dt.datetime
) -> int:
    """Tell the event's reporter and the reporters of every report merged into it."""
    recipients = reporter_recipients(event.reporter_actor, event.reporter_person)
    merged = session.execute(
        select(Event.id, Event.reporter_actor, Event.reporter_person).where(
            Event.incident_id == event.id
        )
    ).all()
    rows = rows_for_state(event.id, recipients, event.state, message, at, kind)
    for m in merged:
        rows += rows_for_state(
            m.id,
            reporter_recipients(m.reporter_actor, m.reporter_person),
            event.state,
            message,
            at,
            kind,
        )
    session.execute(insert(EventNotification), rows)
    return len(rows)


def notify(
    session: Session,
    event_id: int,
    recipient: str,
    kind: str,
    message: str,
    at: dt.datetime,
    state: str | None = None,
) -> None:
    session.execute(
        insert(EventNotification),
        [rows_for_state(event_id, [recipient], state or "", message, at, kind)[0]],
    )
