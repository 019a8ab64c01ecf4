"""Deadlines live in the database: a fresh process (new sessions, new hub state) finds them,
and each overdue step goes one level up, grid → village → town → district, then is urged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.events.conftest import Hub
from zhili.events.escalation import sweep
from zhili.events.intake import prepare, write_batch
from zhili.events.models import Event, EventAction, EventNotification
from zhili.events.runtime import HubState
from zhili.events.schemas import EventIn
from zhili.events.workflow import ActionIn, act


def test_overdue_steps_climb_the_four_levels(hub: Hub) -> None:
    lon, lat = hub.point
    t0 = dt.datetime(2026, 3, 2, 1, 0)
    with hub.sessions() as s:
        d = prepare(
            hub.state,
            hub.actor("grid_worker"),
            EventIn(category="fire.blocked_exit", lon=lon, lat=lat),
            "grid",
        )
        [o] = write_batch(s, hub.state, hub.ctx, [d], now=t0)
        s.commit()
    assert o.level == "grid" and o.state == "dispatched"
    # A restart: nothing in memory survives but the database.
    fresh = HubState(layout=hub.layout)
    levels, t = [], t0
    for _ in range(4):
        t += dt.timedelta(hours=25)  # past the 24 h deadline of whatever level it is at
        with hub.sessions() as s:
            assert sweep(s, fresh, hub.ctx, now=t) == 1
            e = s.scalar(select(Event).where(Event.code == o.code))
            levels.append((e.level, e.department))
    assert levels == [
        ("village", "村(社区)微型消防站"),
        ("town", "消防救援站"),
        ("district", "区消防救援大队"),
        ("district", "区消防救援大队"),  # nowhere higher: flagged and urged
    ]
    with hub.sessions() as s:
        e = s.scalar(select(Event).where(Event.code == o.code))
        assert e.overdue
        actions = s.scalars(select(EventAction.action).where(EventAction.event_id == e.id)).all()
        assert actions.count("escalate") == 3 and actions[-1] == "urge"
        kinds = s.scalars(
            select(EventNotification.kind).where(EventNotification.event_id == e.id)
        ).all()
        assert kinds.count("escalation") >= 3 and "overdue" in kinds
        assert sweep(s, fresh, hub.ctx, now=t) == 0  # each timer fires once


def test_a_closed_event_does_not_escalate(hub: Hub) -> None:
    lon, lat = hub.point
    t0 = dt.datetime(2026, 3, 2, 1, 0)
    cmd = hub.actor("district_commander", "district")
    with hub.sessions() as s:
        d = prepare(
            hub.state,
            hub.actor("grid_worker"),
            EventIn(category="urban.posters", lon=lon, lat=lat),
            "grid",
        )
        [o] = write_batch(s, hub.state, hub.ctx, [d], now=t0)
        s.commit()
        for a, body in (
            ("accept", None),
            ("reply", ActionIn(note="清理完毕")),
            ("supervise", None),
            ("close", None),
        ):
            act(s, hub.state, hub.ctx, cmd, o.code, a, body, now=t0 + dt.timedelta(hours=1))
        assert sweep(s, hub.state, hub.ctx, now=t0 + dt.timedelta(days=30)) == 0
        assert s.scalar(select(Event.level).where(Event.code == o.code)) == "grid"


def test_a_respond_deadline_missed_by_the_town_goes_to_the_district(hub: Hub) -> None:
    t0 = dt.datetime(2026, 3, 2, 1, 0)
    with hub.sessions() as s:
        d = prepare(
            hub.state,
            hub.actor("town_officer", "town"),
            EventIn(category="wages.arrears", area_code=hub.grid),
            "staff",
        )
        [o] = write_batch(s, hub.state, hub.ctx, [d], now=t0)
        s.commit()
        assert o.level == "town" and o.state == "received"
        assert sweep(s, hub.state, hub.ctx, now=t0 + dt.timedelta(hours=3)) == 0
        assert sweep(s, hub.state, hub.ctx, now=t0 + dt.timedelta(hours=5)) == 1  # 240 min
        assert s.scalar(select(Event.level).where(Event.code == o.code)) == "district"
