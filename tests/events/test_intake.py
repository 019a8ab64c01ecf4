"""Intake: a report is checked, routed by the rules, dispatched to the nearest on-duty worker
when its level is the grid, written with its deadlines, told to the reporter and audited;
a retry with the same Idempotency-Key never makes a second event."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.events.conftest import Hub
from zhili.events.categories import UnknownCategory
from zhili.events.intake import LocationError, prepare, write_batch
from zhili.events.models import Event, EventNotification, EventTimer
from zhili.events.schemas import EventIn
from zhili.privacy.models import AuditRecord
from zhili.privacy.policy import Forbidden


def _write(hub: Hub, actor, payloads, channel="grid", keys=None):
    keys = keys or [None] * len(payloads)
    with hub.sessions() as s:
        drafts = [
            prepare(hub.state, actor, p, channel, k) for p, k in zip(payloads, keys, strict=True)
        ]
        out = write_batch(s, hub.state, hub.ctx, drafts)
        s.commit()
    return out


def test_a_grid_report_goes_to_the_nearest_on_duty_worker(hub: Hub) -> None:
    lon, lat = hub.point
    gw = hub.actor("grid_worker")
    [o] = _write(hub, gw, [EventIn(category="urban.road_damage", lon=lon, lat=lat)])
    assert o.created and o.code.startswith("E")
    assert (o.state, o.level, o.department) == ("dispatched", "grid", "网格员")
    assert o.worker_id == 2  # 55 m away; worker 1 is 190 m away
    with hub.sessions() as s:
        e = s.scalar(select(Event).where(Event.code == o.code))
        assert e.area_code == hub.grid
        assert e.due_at - e.created_at == dt.timedelta(hours=168)
        timers = s.scalars(select(EventTimer).where(EventTimer.event_id == e.id)).all()
        assert [t.kind for t in timers] == ["resolve"]  # dispatched: nothing left to respond
        told = s.scalars(
            select(EventNotification.recipient).where(EventNotification.event_id == e.id)
        ).all()
        assert set(told) == {gw.id, "worker:2"}
        audit = s.scalar(select(AuditRecord).where(AuditRecord.resource == f"event:{o.code}"))
        assert audit.actor_id == gw.id and audit.action == "event.report"


def test_a_town_level_report_waits_for_the_department_with_a_respond_deadline(hub: Hub) -> None:
    [o] = _write(
        hub,
        hub.actor("town_officer", "town"),
        [EventIn(category="petition.real_estate", area_code=hub.grid[:12])],
        channel="staff",
    )
    assert (o.state, o.level, o.department) == ("received", "town", "镇街信访办")
    with hub.sessions() as s:
        kinds = s.scalars(
            select(EventTimer.kind)
            .join(Event, Event.id == EventTimer.event_id)
            .where(Event.code == o.code)
        ).all()
    assert sorted(kinds) == ["resolve", "respond"]


def test_a_crowd_lifts_the_level_at_once(hub: Hub) -> None:
    lon, lat = hub.point
    gw = hub.actor("grid_worker")
    small, big = _write(
        hub,
        gw,
        [
            EventIn(category="governance.abnormal_situation", lon=lon, lat=lat, crowd_size=40),
            EventIn(category="urban.debris", lon=lon, lat=lat, crowd_size=250),
        ],
    )
    assert small.level == "town" and big.level == "district"


def test_idempotency_keys_make_retries_safe(hub: Hub) -> None:
    lon, lat = hub.point
    gw = hub.actor("grid_worker")
    p = EventIn(category="urban.road_damage", lon=lon, lat=lat)
    a, b = _write(hub, gw, [p, p], keys=["k-1", "k-1"])  # a retry inside one batch
    [c] = _write(hub, gw, [p], keys=["k-1"])  # and after the commit
    [d] = _write(hub, hub.actor("grid_worker", ident="2"), [p], keys=["k-1"])  # another author
    assert a.created and not b.created and not c.created and d.created
    assert a.code == b.code == c.code != d.code
    with hub.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 2


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (dict(category="urban.nothing", area_code="330110"), UnknownCategory),
        (dict(category="urban.road_damage"), LocationError),  # no place
        (dict(category="urban.road_damage", lon=121.9, lat=30.1), LocationError),  # not ours
        (dict(category="urban.road_damage", area_code="330110999999999"), LocationError),
        (dict(category="urban.road_damage", area_code="330110001"), Forbidden),  # not my grid
    ],
)
def test_bad_reports_get_a_clear_error(hub: Hub, payload: dict, error: type) -> None:
    with pytest.raises(error):
        prepare(hub.state, hub.actor("grid_worker"), EventIn(**payload), "grid")


def test_citizens_report_anywhere_and_only_public_categories_reach_open311(hub: Hub) -> None:
    citizen = hub.actor("citizen", "none", person_id="P0001")
    d = prepare(
        hub.state, citizen, EventIn(category="criminal.theft", area_code=hub.grid), "citizen"
    )
    assert d.reporter_person == "P0001"
    key = hub.actor("open311_client", "district")
    with pytest.raises(LocationError, match="not open to public"):
        prepare(hub.state, key, EventIn(category="criminal.theft", area_code=hub.grid), "open311")
    assert prepare(
        hub.state, key, EventIn(category="urban.posters", area_code=hub.grid), "open311"
    ).token


def test_a_reported_time_with_an_offset_is_stored_as_utc(hub: Hub) -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    at = dt.datetime(2026, 12, 7, 5, 0, tzinfo=beijing)
    [o] = _write(
        hub,
        hub.actor("grid_worker"),
        [EventIn(category="urban.posters", area_code=hub.grid, reported_at=at)],
    )
    with hub.sessions() as s:
        stored = s.scalar(select(Event.reported_at).where(Event.code == o.code))
    assert stored == dt.datetime(2026, 12, 6, 21, 0)
