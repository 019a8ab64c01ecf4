"""The closed loop through the service layer: each action by the right person, the reporter
told at every state change, others refused with 403 or (outside their area) 404."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.events.conftest import Hub
from zhili.events.intake import prepare, write_batch
from zhili.events.lifecycle import TransitionError
from zhili.events.models import Event, EventNotification
from zhili.events.queries import get_event, list_events, my_notifications
from zhili.events.schemas import EventIn
from zhili.events.stats import rates
from zhili.events.workflow import ActionIn, act
from zhili.privacy.models import AuditRecord
from zhili.privacy.policy import Forbidden, NotFound


def _citizen_report(hub: Hub) -> str:
    citizen = hub.actor("citizen", "none", person_id="P0001")
    with hub.sessions() as s:
        d = prepare(
            hub.state,
            citizen,
            EventIn(
                category="services.property",
                area_code=hub.grid,
                description="电梯停运三天",
                reporter_name="王小明",
                reporter_contact="13812345678",
            ),
            "citizen",
        )
        [o] = write_batch(s, hub.state, hub.ctx, [d])
        s.commit()
    return o.code


def test_the_closed_loop_tells_the_reporter_at_every_step(hub: Hub) -> None:
    code = _citizen_report(hub)
    citizen = hub.actor("citizen", "none", person_id="P0001")
    village = hub.actor("village_officer", "village")
    town = hub.actor("town_officer", "town")
    steps = [
        (village, "accept", None),  # dispatched at intake to the grid's nearest worker
        (village, "reply", ActionIn(note="已协调物业维修")),
        (town, "supervise", None),
        (town, "close", None),
        (village, "return_visit", ActionIn(note="电话回访")),
        (citizen, "rate", ActionIn(rating=4)),
    ]
    with hub.sessions() as s:
        for actor, action, body in steps:
            act(s, hub.state, hub.ctx, actor, code, action, body)
        e = s.scalar(select(Event).where(Event.code == code))
        assert (e.state, e.rating) == ("rated", 4)
        states = s.scalars(
            select(EventNotification.state)
            .where(
                EventNotification.event_id == e.id, EventNotification.recipient == "person:P0001"
            )
            .order_by(EventNotification.id)
        ).all()
        assert states == [
            "dispatched",
            "handling",
            "replied",
            "supervised",
            "completed",
            "visited",
            "rated",
        ]
        mine = my_notifications(s, citizen)
        assert mine[0]["state"] == "rated" and all(n["event"] == code for n in mine)
        # The reporter sees their own details; staff see them masked.
        assert get_event(s, hub.ctx, citizen, code)["reporter"]["contact"] == "13812345678"
        staff_view = get_event(s, hub.ctx, town, code)["reporter"]
        assert staff_view == {"actor": "user", "name": "王**", "contact": "138****5678"}
        assert [t["action"] for t in get_event(s, hub.ctx, town, code)["timeline"]] == [
            "report",
            "dispatch",
            "accept",
            "reply",
            "supervise",
            "close",
            "return_visit",
            "rate",
        ]
        # Reopening by the reporter starts again with new deadlines.
        act(s, hub.state, hub.ctx, citizen, code, "reopen", ActionIn(note="又坏了"))
        assert s.scalar(select(Event.state).where(Event.code == code)) == "reopened"


def test_who_may_act(hub: Hub) -> None:
    code = _citizen_report(hub)
    other_citizen = hub.actor("citizen", "none", ident="9", person_id="P0002")
    part_time = hub.actor("part_time_grid_worker")
    elsewhere = hub.actor("town_officer", "none")
    elsewhere = elsewhere.__class__(
        **{**elsewhere.__dict__, "scope": "330110010"}
    )  # not the test grid's town
    with hub.sessions() as s:
        with pytest.raises(Forbidden):
            act(s, hub.state, hub.ctx, part_time, code, "dispatch")
        with pytest.raises(NotFound):
            act(s, hub.state, hub.ctx, elsewhere, code, "dispatch")
        with pytest.raises(NotFound):
            act(s, hub.state, hub.ctx, other_citizen, code, "rate", ActionIn(rating=1))
        with pytest.raises(NotFound):
            get_event(s, hub.ctx, other_citizen, code)
        with pytest.raises(TransitionError):
            act(s, hub.state, hub.ctx, hub.actor("village_officer", "village"), code, "close")
        with pytest.raises(ValueError, match="note"):
            act(s, hub.state, hub.ctx, hub.actor("village_officer", "village"), code, "reject")
        assert list_events(s, hub.ctx, elsewhere)["total"] == 0
        assert list_events(s, hub.ctx, other_citizen)["total"] == 0


def test_the_three_rates(hub: Hub) -> None:
    t0 = dt.datetime(2026, 3, 2, 1, 0)
    town = hub.actor("town_officer", "town")
    codes = []
    with hub.sessions() as s:
        for _ in range(4):
            d = prepare(
                hub.state, town, EventIn(category="wages.arrears", area_code=hub.grid), "staff"
            )
            codes.append(write_batch(s, hub.state, hub.ctx, [d], now=t0)[0].code)
        s.commit()
        later = t0 + dt.timedelta(minutes=30)
        for i, code in enumerate(codes[:3]):
            when = later if i < 2 else t0 + dt.timedelta(hours=6)  # the third responds late
            if i == 2:
                from zhili.events.escalation import sweep

                sweep(s, hub.state, hub.ctx, now=when)
            for a, body in (
                ("dispatch", None),
                ("accept", None),
                ("reply", ActionIn(note="已支付")),
                ("supervise", None),
                ("close", None),
            ):
                act(
                    s,
                    hub.state,
                    hub.ctx,
                    town if i < 2 else hub.actor("district_commander", "district"),
                    code,
                    a,
                    body,
                    now=when,
                )
        act(s, hub.state, hub.ctx, town, codes[0], "rate", ActionIn(rating=5), now=later)
        act(s, hub.state, hub.ctx, town, codes[1], "rate", ActionIn(rating=2), now=later)
        by_town = rates(s, hub.actor("analyst", "district"), "town")
    [row] = by_town
    assert row["town"] == hub.grid[:9] and row["events"] == 4
    assert row["response_rate"] == 0.5  # two in time, one late, one not at all
    assert row["resolution_rate"] == 0.75
    assert row["satisfaction_rate"] == 0.5


def test_a_dispatcher_merges_a_report_into_an_open_incident(hub: Hub) -> None:
    incident, report, closed = (_citizen_report(hub) for _ in range(3))
    town = hub.actor("town_officer", "town")
    worker = hub.actor("grid_worker")
    with hub.sessions() as s:
        village = hub.actor("village_officer", "village")
        for actor, action in ((village, "accept"), (village, "reply"), (town, "supervise")):
            act(s, hub.state, hub.ctx, actor, closed, action, ActionIn(note="已修复"))
        act(s, hub.state, hub.ctx, town, closed, "close")
        with pytest.raises(Forbidden):  # merging is a dispatcher's act
            act(s, hub.state, hub.ctx, worker, report, "merge", ActionIn(into=incident))
        with pytest.raises(ValueError, match="incident code"):
            act(s, hub.state, hub.ctx, town, report, "merge")
        with pytest.raises(ValueError, match="not an incident"):
            act(s, hub.state, hub.ctx, town, report, "merge", ActionIn(into=report))
        with pytest.raises(TransitionError, match="only an open incident"):
            act(s, hub.state, hub.ctx, town, report, "merge", ActionIn(into=closed))
        s.rollback()
        e = act(
            s, hub.state, hub.ctx, town, report, "merge", ActionIn(into=incident, note="同一电梯")
        )
        assert e.state == "duplicate"
        seen = get_event(s, hub.ctx, town, incident)
        assert seen["merged_reports"] == [report]
        assert seen["timeline"][-1]["action"] == "merge" and report in seen["timeline"][-1]["note"]
        assert get_event(s, hub.ctx, town, report)["incident"] == incident
        with pytest.raises(TransitionError):  # a duplicate cannot be merged again
            act(s, hub.state, hub.ctx, town, report, "merge", ActionIn(into=incident))
        with pytest.raises(ValueError, match="not an incident"):  # nor be merged into
            act(s, hub.state, hub.ctx, town, incident, "merge", ActionIn(into=report))
        audited = s.scalars(
            select(AuditRecord.resource).where(AuditRecord.action == "event.merge")
        ).all()
        assert audited == [f"event:{report}"]
