"""The three rates Beijing's 12345 publishes, per department and per area:
response rate (taken on within the respond deadline), resolution rate (completed, and on time),
satisfaction rate (ratings of 4 or 5 among the rated). Aggregates only: no personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhili.events import lifecycle as L
from zhili.events.models import Event, EventTimer
from zhili.privacy.actors import Actor
from zhili.privacy.policy import authorize

DONE = (L.COMPLETED, L.VISITED, L.RATED)


def rates(
    session: Session,
    actor: Actor,
    by: str = "department",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    area: str | None = None,
) -> list[dict[str, Any]]:
    authorize(actor, "event.stats")
    if by == "department":
        key = Event.department
    elif by in ("town", "village", "district"):
        key = func.substr(Event.area_code, 1, L.LEVEL_CODE_LENGTH[by])
    elif by == "family":
        key = Event.family
    else:
        raise ValueError("by must be department, district, town, village or family")
    late_respond = (
        select(EventTimer.event_id)
        .where(EventTimer.kind == "respond", EventTimer.fired)
        .scalar_subquery()
    )
    counted = Event.state.not_in((L.DUPLICATE, L.REJECTED))
    q = (
        select(
            key.label("key"),
            func.count().label("events"),
            func.sum(
                case((Event.dispatched_at.is_not(None) & Event.id.not_in(late_respond), 1), else_=0)
            ).label("responded"),
            func.sum(case((Event.state.in_(DONE), 1), else_=0)).label("resolved"),
            func.sum(case((Event.state.in_(DONE) & ~Event.overdue, 1), else_=0)).label("on_time"),
            func.count(Event.rating).label("rated"),
            func.sum(case((Event.rating >= 4, 1), else_=0)).label("satisfied"),
        )
        .where(counted)
        .group_by(key)
        .order_by(key)
    )
    if since:
        q = q.where(Event.created_at >= since)
    if until:
        q = q.where(Event.created_at < until)
    if area:
        q = q.where(Event.area_code.startswith(area, autoescape=True))
    out = []
    for r in session.execute(q):
        n = r.events or 0
        out.append(
            {
                by: r.key,
                "events": n,
                "response_rate": _ratio(r.responded, n),
                "resolution_rate": _ratio(r.resolved, n),
                "on_time_rate": _ratio(r.on_time, n),
                "rated": r.rated,
                "satisfaction_rate": _ratio(r.satisfied, r.rated),
            }
        )
    return out


def _ratio(part: int | None, whole: int | None) -> float | None:
    return round((part or 0) / whole, 4) if whole else None
