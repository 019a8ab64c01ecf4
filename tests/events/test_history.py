"""The twin's history in the event hub's store: every event once, closed, routed, on both
backends, with the truth's per-family, per-year counts (and the seed's 2018 drop) intact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from tests.privacy.conftest import sqlite_or_pg  # noqa: F401
from zhili.db import make_engine
from zhili.db.migrate import upgrade
from zhili.events.categories import tree
from zhili.events.history import (
    CHANNEL,
    UnmappedCategory,
    category_map,
    history_frame,
    load_history,
)
from zhili.events.lifecycle import CLOSED_STATES, COMPLETED, RATED
from zhili.events.models import Event, EventAction, RoutingVersion
from zhili.events.routing import RuleBook, seed_rules
from zhili.twin.world.history import SUBCATEGORIES

# The families whose events the seed says fell by 25 % or more in 2018 (tree codes).
FALLING = ("criminal", "fire", "traffic", "petition")


def _truth(twin_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(twin_dir / "truth" / "events_history.parquet")


def test_every_twin_subcategory_maps_to_a_tree_category() -> None:
    pairs = [(f, zh) for f, subs in SUBCATEGORIES.items() for zh in subs]
    codes = category_map(pairs)
    assert set(codes.values()) <= set(tree().categories)
    assert codes[("hotline", "供水")] == "utilities.water"
    assert codes[("hotline", "噪声")] == "services.noise"
    assert codes[("labour", "拖欠工资")] == "wages.arrears"
    assert codes[("dispute", "劳动争议")] == "dispute.labour"
    assert codes[("traffic_accident", "机非事故")] == "traffic.vehicle_cyclist"


def test_an_unknown_subcategory_fails_loudly() -> None:
    with pytest.raises(UnmappedCategory, match="hotline/外星人"):
        category_map([("hotline", "供水"), ("hotline", "外星人")])


def test_the_rows_are_deterministic(twin_dir: Path) -> None:
    book = RuleBook(1, seed_rules())
    assert history_frame(twin_dir, book).equals(history_frame(twin_dir, book))


def test_history_loads_closed_and_matches_the_truth(
    sqlite_or_pg: str,  # noqa: F811
    twin_dir: Path,
) -> None:
    upgrade(sqlite_or_pg)
    truth = _truth(twin_dir)
    result = load_history(sqlite_or_pg, twin_dir, batch=500)  # several batches
    assert result["events"] == truth.height
    engine = make_engine(sqlite_or_pg)
    try:
        with Session(engine) as s:
            assert s.get(RoutingVersion, 1) is not None  # seeded for the load
            history = Event.channel == CHANNEL
            assert s.scalar(select(func.count()).where(history)) == truth.height
            assert s.scalar(select(func.count(func.distinct(Event.code)))) == truth.height
            assert s.scalar(select(func.count()).select_from(EventAction)) == 0

            t = tree()
            cats = s.execute(select(Event.family, Event.category).distinct()).all()
            assert all(c in t.categories and t.categories[c].family == f for f, c in cats)
            states = dict(s.execute(select(Event.state, func.count()).group_by(Event.state)).all())
            assert set(states) <= CLOSED_STATES and set(states) == {COMPLETED, RATED}
            ratings = s.execute(
                select(Event.state, Event.rating, func.count()).group_by(Event.state, Event.rating)
            ).all()
            assert {r for st, r, _ in ratings if st == COMPLETED} == {None}
            rated = {r: n for st, r, n in ratings if st == RATED}
            assert set(rated) <= {1, 2, 3, 4, 5} and rated[5] > rated[1]  # mostly satisfied

            # Times hang together; overdue means completed after the deadline.
            rows = s.execute(
                select(
                    Event.reported_at,
                    Event.dispatched_at,
                    Event.completed_at,
                    Event.due_at,
                    Event.updated_at,
                    Event.overdue,
                    Event.deadline_hours,
                    Event.rule_version,
                    Event.reporter_actor,
                )
            ).all()
            for rep, disp, comp, due, upd, late, hours, version, actor in rows:
                assert rep <= disp <= comp <= upd and version == 1
                assert due == rep + dt.timedelta(hours=hours)
                assert late == (comp > due) and actor.startswith("history:")
            late_share = sum(r.overdue for r in rows) / len(rows)
            assert 0 < late_share < 0.15

            # Per family and year as in the truth (hotline splits into utilities/services).
            codes = category_map(truth.select("family", "category").unique().rows())
            expected = (
                truth.with_columns(
                    family=pl.struct("family", "category").map_elements(
                        lambda r: codes[(r["family"], r["category"])].split(".")[0],
                        return_dtype=pl.Utf8,
                    ),
                    # Stored in UTC: the twin's local times are 8 hours ahead.
                    year=(pl.col("occurred_at") - pl.duration(hours=8)).dt.year(),
                )
                .group_by("family", "year")
                .len()
            )
            year = extract("year", Event.reported_at)
            got = s.execute(
                select(Event.family, year, func.count()).where(history).group_by(Event.family, year)
            ).all()
            assert {(f, int(y)): n for f, y, n in got} == {
                (f, y): n for f, y, n in expected.iter_rows()
            }
            by_year = {}
            for f, y, n in got:
                if f in FALLING:
                    by_year[int(y)] = by_year.get(int(y), 0) + n
            assert by_year[2018] < 0.85 * by_year[2017]  # the seed's drop survives the load
    finally:
        engine.dispose()


def test_reloading_replaces_history_and_keeps_live_events(
    sqlite_or_pg: str,  # noqa: F811
    twin_dir: Path,
) -> None:
    upgrade(sqlite_or_pg)
    load_history(sqlite_or_pg, twin_dir)
    engine = make_engine(sqlite_or_pg)
    try:
        now = dt.datetime(2019, 7, 1, 9)
        with Session(engine) as s:
            s.add(
                Event(
                    code="E190701000001",
                    category="urban.road_damage",
                    family="urban",
                    channel="grid",
                    state="received",
                    level="grid",
                    department="网格员",
                    area_code="330110005003006",
                    title="道路破损",
                    reporter_actor="user:1",
                    rule_version=1,
                    deadline_hours=168,
                    reported_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            s.commit()
        load_history(sqlite_or_pg, twin_dir)
        with Session(engine) as s:
            n = s.scalar(select(func.count()).where(Event.channel == CHANNEL))
            assert n == _truth(twin_dir).height
            assert s.scalar(select(func.count()).where(Event.channel != CHANNEL)) == 1
            assert s.scalar(select(func.count(RoutingVersion.version))) == 1
    finally:
        engine.dispose()
