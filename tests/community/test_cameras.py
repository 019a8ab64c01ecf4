"""S3: a thrown object at a building: the façade cameras covering its floors, the clips to
pull (padded), the blind sides; a camera's own detection opens one event, and two cameras
seeing the same throw make one incident."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import func, select

from tests.community.conftest import Store
from zhili.community.cameras import (
    ENTRANCE_PAD,
    FACADE_PAD,
    coverage,
    covering,
    on_thrown_object,
    thrown_object_draft,
)
from zhili.devices.models import Device
from zhili.events.models import Event
from zhili.privacy.actors import Actor
from zhili.privacy.policy import Forbidden, NotFound

AT = dt.datetime(2019, 7, 3, 6, 20, 15)  # naive UTC


def _facade(store: Store) -> pl.DataFrame:
    d = pl.read_parquet(store.twin / "truth" / "devices.parquet")
    return d.filter(
        (pl.col("compound_id") == store.pilot["compound_id"]) & (pl.col("role") == "facade")
    )


def test_the_pilot_has_the_seeds_cameras(store: Store) -> None:
    with store.sessions() as s:
        cameras = (
            select(func.count())
            .select_from(Device)
            .where(Device.kind == "camera", Device.compound_id == store.pilot["compound_id"])
        )
        n = s.scalar(cameras)
        facade = s.scalar(cameras.where(Device.role == "facade"))
    assert (n, facade) == (210, 47)


def test_both_sides_of_a_building_and_padded_clips(store: Store) -> None:
    both = _facade(store).group_by("building_id").len().filter(pl.col("len") == 2)
    building = both["building_id"].sort()[0]
    with store.sessions() as s:
        cov = coverage(s, building, 10, 14, AT, AT + dt.timedelta(minutes=5))
    direct = [c for c in cov.clips if c.why == "direct"]
    assert {c.facing for c in direct} == {"south", "north"} and cov.gaps == []
    assert all(c.start == AT - FACADE_PAD for c in direct)
    assert all(c.end == AT + dt.timedelta(minutes=5) + FACADE_PAD for c in direct)
    gates = [c for c in cov.clips if c.why == "gate"]
    assert gates and all(c.start == AT - ENTRANCE_PAD for c in gates)
    assert any(c.why.startswith("entrance") for c in cov.clips)
    d = cov.as_dict()
    assert d["facade_cameras"] == 2 and d["floors"] == [10, 14]


def test_a_blind_side_is_named_and_neighbours_are_offered(store: Store) -> None:
    one = _facade(store).group_by("building_id").len().filter(pl.col("len") == 1)
    building = one["building_id"][0]
    with store.sessions() as s:
        cov = coverage(s, building, 30, 3, AT, AT)  # reversed, and past the top floor
    assert (cov.floor_from, cov.floor_to) == (3, 17)
    assert [c.facing for c in cov.clips if c.why == "direct"] == ["south"]
    assert cov.gaps and "north" in cov.gaps[0]
    oblique = [c for c in cov.clips if c.why.startswith("oblique")]
    assert oblique and all(c.facing == "north" for c in oblique)


def test_bad_requests(store: Store) -> None:
    building = _facade(store)["building_id"][0]
    with store.sessions() as s:
        with pytest.raises(NotFound):
            coverage(s, "B9999999", 1, 2, AT, AT)
        with pytest.raises(ValueError, match="ends before"):
            coverage(s, building, 1, 2, AT, AT - dt.timedelta(hours=1))
        with pytest.raises(ValueError, match="two days"):
            coverage(s, building, 1, 2, AT, AT + dt.timedelta(days=3))


def test_who_may_ask(store: Store) -> None:
    building = _facade(store)["building_id"][0]
    police = store.officer("department_handler", scope="330110", department="police")
    housing = store.officer("department_handler", scope="330110", department="housing")
    outside = Actor(id="user:o", role="town_officer", scope="330110001")
    with store.sessions() as s:
        assert covering(s, police, building, 5, 6, AT, AT).clips
        assert covering(s, store.officer(), building, 5, 6, AT, AT).clips
        with pytest.raises(Forbidden):
            covering(s, housing, building, 5, 6, AT, AT)
        with pytest.raises(NotFound):
            covering(s, outside, building, 5, 6, AT, AT)


def test_a_detection_opens_one_event_and_two_cameras_one_incident(store: Store) -> None:
    both = _facade(store).group_by("building_id").len().filter(pl.col("len") == 2)
    building = both["building_id"].sort()[-1]
    cams = _facade(store).filter(pl.col("building_id") == building).sort("facing")
    north, south = cams["device_id"].to_list()
    first = on_thrown_object(store.sessions, store.state, store.ctx, south, AT, 12)
    retry = on_thrown_object(store.sessions, store.state, store.ctx, south, AT, 12)
    other = on_thrown_object(
        store.sessions, store.state, store.ctx, north, AT + dt.timedelta(seconds=2), 11
    )
    assert first.created and not retry.created and retry.code == first.code
    assert other.created and other.incident_code == first.code  # merged: one throw
    with store.sessions() as s:
        e = s.scalar(select(Event).where(Event.code == first.code))
        assert e.category == "public_order.thrown_object" and e.channel == "device"
        assert e.reporter_actor == f"device:{south}" and e.reported_at == AT
        assert e.entities == [{"kind": "device", "id": south}]
        assert "约 12 层" in e.title and "回溯 10-14 层" in e.description
        assert south in e.description and north in e.description  # both façades' clips
        assert e.severity >= 3
        with pytest.raises(NotFound):
            thrown_object_draft(s, store.state, "CAM-9999999", AT, 3)
