"""What the big screen shows, as service calls: every query is authorized and scoped to the
actor's area inside the SQL, and returns compact rows (no names, no contacts).

- `snapshot`: on-duty workers (id, lon, lat, full-time flag) and open events (code, point,
  severity, state, category, overdue, version) in scope;
- `event_rows`: the same rows for events that just changed (the live feed's deltas);
- `counters`: open events by severity, overdue, today's new and closed, workers on duty;
- `charts`: events by family, by town and by day over the latest 30 days with data, and the
  year-on-year indices of S11 (criminal cases, fires, traffic accidents, petitions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.events import lifecycle as L
from zhili.events.models import Event, Worker
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import authorize
from zhili.privacy.scope import scope_condition

S11_FAMILIES = ("criminal", "fire", "traffic", "petition")
_EVENT_COLUMNS = (
    Event.code,
    Event.lon,
    Event.lat,
    Event.severity,
    Event.state,
    Event.category,
    Event.overdue,
    Event.updated_at,
    Event.area_code,
    Event.channel,
)


def _version(at: dt.datetime | None) -> int:
    return int(at.replace(tzinfo=dt.UTC).timestamp() * 1000) if at else 0


def event_row(r: Any) -> list[Any]:
    """[code, lon, lat, severity, open, category, overdue, version, area, device]."""
    return [
        r.code,
        round(r.lon, 5) if r.lon is not None else None,
        round(r.lat, 5) if r.lat is not None else None,
        r.severity,
        1 if r.state in L.OPEN_STATES else 0,
        r.category,
        1 if r.overdue else 0,
        _version(r.updated_at),
        r.area_code,
        1 if r.channel == "device" else 0,
    ]


def public_row(row: list[Any]) -> list[Any]:
    """A row as a screen gets it: without the area code (used only to filter by scope)."""
    return [*row[:8], row[9]]


def snapshot(session: Session, ctx: PrivacyContext, actor: Actor) -> dict[str, Any]:
    authorize(actor, "event.list")
    workers = session.execute(
        select(Worker.id, Worker.lon, Worker.lat, Worker.kind).where(
            Worker.on_duty, Worker.lon.is_not(None), scope_condition(actor, Worker.grid_code)
        )
    ).all()
    events = session.execute(
        select(*_EVENT_COLUMNS).where(
            Event.state.in_(L.OPEN_STATES), scope_condition(actor, Event.area_code)
        )
    ).all()
    ctx.audit(
        session,
        actor,
        "screen.snapshot",
        resource=f"screen?area={actor.scope}",
        result_count=len(workers) + len(events),
    )
    session.commit()
    return {
        "workers": [
            [w.id, round(w.lon, 5), round(w.lat, 5), 1 if w.kind == "full_time" else 0]
            for w in workers
        ],
        "events": [public_row(event_row(e)) for e in events],
    }


def event_rows(session: Session, ids: Iterable[int]) -> list[list[Any]]:
    """Rows of events by id, for the feed (which filters them by each screen's scope)."""
    ids = list(ids)
    out: list[list[Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        out += [
            event_row(r)
            for r in session.execute(select(*_EVENT_COLUMNS).where(Event.id.in_(chunk)))
        ]
    return out


def counters(session: Session, actor: Actor, now: dt.datetime | None = None) -> dict[str, int]:
    authorize(actor, "event.list")
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    in_scope = scope_condition(actor, Event.area_code)
    out = {f"sev{s}": 0 for s in (1, 2, 3, 4)}
    for severity, n in session.execute(
        select(Event.severity, func.count())
        .where(Event.state.in_(L.OPEN_STATES), in_scope)
        .group_by(Event.severity)
    ):
        out[f"sev{min(max(severity or 1, 1), 4)}"] += n
    out["open"] = sum(out[f"sev{s}"] for s in (1, 2, 3, 4))
    out["overdue"] = session.scalar(
        select(func.count()).where(Event.state.in_(L.OPEN_STATES), Event.overdue, in_scope)
    )
    out["today"] = session.scalar(select(func.count()).where(Event.created_at >= day, in_scope))
    out["closed_today"] = session.scalar(
        select(func.count()).where(Event.completed_at >= day, in_scope)
    )
    out["on_duty"] = session.scalar(
        select(func.count()).where(Worker.on_duty, scope_condition(actor, Worker.grid_code))
    )
    return {k: int(v or 0) for k, v in out.items()}


def charts(session: Session, actor: Actor, lang: str = "zh") -> dict[str, Any]:
    """Aggregates only (event.stats), within the actor's area."""
    from zhili.events.categories import tree
    from zhili.geo import get_layout

    authorize(actor, "event.stats")
    in_scope = (
        scope_condition(actor, Event.area_code)
        if actor.scope
        else Event.area_code.is_not(None)  # analysts see the whole district
    )
    last = session.scalar(select(func.max(Event.created_at)).where(in_scope))
    if last is None:
        return {"family": [], "town": [], "day": [], "years": [], "s11": {}}
    since = last - dt.timedelta(days=30)
    window = (Event.created_at > since, in_scope)
    families = tree().families
    family = [
        [families[f].zh if lang == "zh" else families[f].en, n]
        for f, n in session.execute(
            select(Event.family, func.count()).where(*window).group_by(Event.family)
        )
        if f in families
    ]
    names = dict(zip(get_layout().towns["code"], get_layout().towns["name"], strict=True))
    town = [
        [names.get(code, code), n]
        for code, n in session.execute(
            select(func.substr(Event.area_code, 1, 9), func.count())
            .where(*window)
            .group_by(func.substr(Event.area_code, 1, 9))
        )
    ]
    day_key = func.substr(func.cast(Event.created_at, _text()), 1, 10)
    day = [
        [d, n]
        for d, n in session.execute(
            select(day_key, func.count()).where(*window).group_by(day_key).order_by(day_key)
        )
    ]
    year_key = func.substr(func.cast(Event.created_at, _text()), 1, 4)
    s11: dict[str, dict[str, int]] = {f: {} for f in S11_FAMILIES}
    for f, y, n in session.execute(
        select(Event.family, year_key, func.count())
        .where(Event.family.in_(S11_FAMILIES), in_scope)
        .group_by(Event.family, year_key)
    ):
        s11[f][y] = n
    years = sorted({y for v in s11.values() for y in v})
    return {
        "family": sorted(family, key=lambda r: -r[1]),
        "town": sorted(town, key=lambda r: -r[1]),
        "day": day,
        "years": years,
        "s11": {
            (families[f].zh if lang == "zh" else families[f].en): [v.get(y, 0) for y in years]
            for f, v in s11.items()
        },
        "window": [since.date().isoformat(), last.date().isoformat()],
    }


def _text():  # type: ignore[no-untyped-def]
    from sqlalchemy import String

    return String()
