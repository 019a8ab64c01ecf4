"""Reports about one incident merge; its severity follows the latest report (S7: dozens at
9:00, 300-400 at 9:30), and a report elsewhere, later or of another kind stays apart."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.events.conftest import Hub
from zhili.events.intake import prepare, write_batch
from zhili.events.merging import distance_m
from zhili.events.models import Event
from zhili.events.schemas import EventIn


def _one(hub: Hub, payload: EventIn, now: dt.datetime, actor=None):
    with hub.sessions() as s:
        d = prepare(hub.state, actor or hub.actor("grid_worker"), payload, "grid")
        [o] = write_batch(s, hub.state, hub.ctx, [d], now=now)
        s.commit()
    return o


def test_reports_merge_and_the_incident_follows_the_latest(hub: Hub) -> None:
    lon, lat = hub.point
    t0 = dt.datetime(2026, 3, 2, 1, 0)
    first = _one(
        hub, EventIn(category="stability.mass_gathering", lon=lon, lat=lat, crowd_size=40), t0
    )
    second = _one(
        hub,
        EventIn(category="stability.mass_gathering", lon=lon, lat=lat, crowd_size=350),
        t0 + dt.timedelta(minutes=30),
    )
    assert first.level == "town" and first.incident_code is None
    assert second.state == "duplicate" and second.incident_code == first.code
    with hub.sessions() as s:
        inc = s.scalar(select(Event).where(Event.code == first.code))
        assert (inc.crowd_size, inc.severity, inc.level) == (350, 4, "district")
        assert inc.department == "区社会治理综合指挥中心"


def test_far_later_or_different_reports_stay_apart(hub: Hub) -> None:
    lon, lat = hub.point
    t0 = dt.datetime(2026, 3, 2, 1, 0)
    base = _one(hub, EventIn(category="urban.debris", lon=lon, lat=lat), t0)
    far_lat = lat + 0.01  # about 1.1 km north
    assert distance_m(lon, lat, lon, far_lat) > 1000
    far = _one(
        hub,
        EventIn(category="urban.debris", lon=lon, lat=far_lat),
        t0 + dt.timedelta(minutes=5),
        actor=hub.actor("grid_worker", "town"),
    )
    later = _one(
        hub, EventIn(category="urban.debris", lon=lon, lat=lat), t0 + dt.timedelta(hours=5)
    )
    other = _one(hub, EventIn(category="care.welfare_check", lon=lon, lat=lat), t0)
    near = _one(
        hub, EventIn(category="urban.posters", lon=lon, lat=lat), t0 + dt.timedelta(minutes=9)
    )
    assert far.incident_code is None and later.incident_code is None
    assert other.incident_code is None  # care reports never merge (each is a person)
    assert near.incident_code == base.code  # same family, same place, same hour
