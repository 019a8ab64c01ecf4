"""Dispatch to the nearest on-duty worker: the index against brute force, the fallbacks, the
workforce loaded from the tiny twin. No timing here: latency lives in `bench_dispatch`."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.privacy.conftest import sqlite_or_pg  # noqa: F401  (the backend fixture)
from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.events.bench_dispatch import measure_dispatch
from zhili.events.dispatch import Choice, WorkerIndex, distance_m, load_index
from zhili.events.models import Worker
from zhili.events.workers import load_workers, report_position
from zhili.geo import DistrictLayout, get_layout

VILLAGE_A = "330110001001"
VILLAGE_B = "330110001002"
GRID_A1, GRID_A2, GRID_B1 = VILLAGE_A + "001", VILLAGE_A + "002", VILLAGE_B + "001"


@pytest.fixture(scope="module")
def layout(twin_dir: Path) -> DistrictLayout:
    return get_layout(twin_dir / "geo")


@pytest.fixture
def session(sqlite_or_pg: str) -> Iterator[Session]:  # noqa: F811
    """A migrated store on each backend (the bulk upsert differs between them)."""
    upgrade(sqlite_or_pg)
    engine = make_engine(sqlite_or_pg)
    with make_sessionmaker(engine)() as s:
        yield s
    engine.dispose()


def w(
    id: int,
    grid: str,
    lon: float | None,
    lat: float | None,
    on_duty: bool = True,
    kind: str = "part_time",
) -> dict:
    return {"id": id, "grid_code": grid, "on_duty": on_duty, "lon": lon, "lat": lat, "kind": kind}


# -- the rule against brute force ---------------------------------------------------------


def brute_force(model: dict[int, dict], area: str, lon: float | None, lat: float | None):
    """The rule written the slow, obvious way: (level, best distance, admissible ids)."""
    for level, length in (("grid", 15), ("village", 12)):
        if len(area) < length:
            continue
        here = [
            r for r in model.values() if r["on_duty"] and r["grid_code"][:length] == area[:length]
        ]
        if not here:
            continue
        placed = [r for r in here if r["lon"] is not None]
        if lon is not None and placed:
            d = {r["id"]: distance_m(lon, lat, r["lon"], r["lat"]) for r in placed}
            return level, min(d.values()), d
        full = [r["id"] for r in here if r["kind"] == "full_time"]
        return level, None, {min(full or [r["id"] for r in here]): None}
    return None


def check(index: WorkerIndex, model: dict[int, dict], area: str, lon, lat) -> Choice | None:
    got = index.nearest(area, lon, lat)
    want = brute_force(model, area, lon, lat)
    if want is None:
        assert got is None
        return got
    level, best, admissible = want
    assert got is not None and got.level == level
    if best is None:
        assert got.distance_m is None and got.worker_id in admissible
    else:
        # Ranked by the equirectangular approximation: only near-ties (< 0.1 %) may swap.
        assert admissible[got.worker_id] <= best * (1 + 1e-3) + 1e-6
        assert got.distance_m == pytest.approx(admissible[got.worker_id], abs=1e-6)
    return got


def random_worker(rnd: random.Random, id: int, grids: list[str]) -> dict:
    placed = rnd.random() > 0.1
    return w(
        id,
        rnd.choice(grids),
        120.0 + rnd.random() * 0.05 if placed else None,
        30.4 + rnd.random() * 0.05 if placed else None,
        on_duty=rnd.random() < 0.4,
        kind="full_time" if rnd.random() < 0.2 else "part_time",
    )


def test_nearest_matches_brute_force_under_random_updates() -> None:
    rnd = random.Random(20190501)
    villages = [f"3301100{t:02d}{v:03d}" for t in range(1, 4) for v in range(1, 4)]
    grids = [f"{v}{g:03d}" for v in villages for g in range(1, 5)]
    model = {i: random_worker(rnd, i, grids) for i in range(1, 301)}
    index = WorkerIndex.from_rows(list(model.values()))
    levels = set()
    for step in range(3_000):
        if step % 3 == 0:  # a position report, a duty change, a reassignment, or a new worker
            i = rnd.randint(1, 320)
            r = random_worker(rnd, i, grids)
            if i in model:
                if rnd.random() < 0.7:
                    r["grid_code"] = model[i]["grid_code"]
                if r["lon"] is None:  # a report never erases a known position
                    r["lon"], r["lat"] = model[i]["lon"], model[i]["lat"]
                r["kind"] = model[i]["kind"]
            model[i] = r
            index.update(
                i, grid_code=r["grid_code"], lon=r["lon"], lat=r["lat"], on_duty=r["on_duty"],
                kind=r["kind"],
            )  # fmt: skip
        area = rnd.choice(grids + villages + ["330110009001001", "3301100"])
        placed = rnd.random() > 0.1
        lon = 120.0 + rnd.random() * 0.05 if placed else None
        lat = 30.4 + rnd.random() * 0.05 if placed else None
        got = check(index, model, area, lon, lat)
        levels.add(None if got is None else (got.level, got.distance_m is None))
    # Every branch of the rule was taken.
    assert {("grid", False), ("village", False), ("grid", True), None} <= levels


# -- the rule, case by case ---------------------------------------------------------------


def test_nearest_in_the_grid_not_the_nearest_overall() -> None:
    index = WorkerIndex.from_rows(
        [w(1, GRID_A1, 120.100, 30.400), w(2, GRID_A2, 120.2001, 30.4001)]
    )
    got = index.nearest(GRID_A2, 120.100, 30.400)
    assert got is not None and (got.worker_id, got.level) == (2, "grid")
    assert got.distance_m == pytest.approx(distance_m(120.100, 30.400, 120.2001, 30.4001), rel=1e-4)


def test_off_duty_workers_are_skipped() -> None:
    index = WorkerIndex.from_rows(
        [w(1, GRID_A1, 120.1000, 30.4000, on_duty=False), w(2, GRID_A1, 120.1100, 30.4000)]
    )
    got = index.nearest(GRID_A1, 120.1000, 30.4000)
    assert got is not None and got.worker_id == 2


def test_village_fallback_when_nobody_is_on_duty_in_the_grid() -> None:
    index = WorkerIndex.from_rows(
        [
            w(1, GRID_A1, 120.1000, 30.4000, on_duty=False),  # right there, but off duty
            w(2, GRID_A2, 120.1300, 30.4000),
            w(3, GRID_A2, 120.1100, 30.4000),
            w(4, GRID_B1, 120.1001, 30.4000),  # nearer, but another village
        ]
    )
    got = index.nearest(GRID_A1, 120.1000, 30.4000)
    assert got == Choice(
        3, "village", pytest.approx(distance_m(120.1, 30.4, 120.11, 30.4), rel=1e-4)
    )
    # A village-level event (12 digits) goes straight to the village.
    assert index.nearest(VILLAGE_A, 120.1000, 30.4000).worker_id == 3  # type: ignore[union-attr]


def test_none_when_nobody_in_the_village_is_on_duty() -> None:
    index = WorkerIndex.from_rows(
        [w(1, GRID_A1, 120.1, 30.4, on_duty=False), w(4, GRID_B1, 120.1, 30.4)]
    )
    assert index.nearest(GRID_A2, 120.1, 30.4) is None
    assert index.nearest("330110001", 120.1, 30.4) is None  # a town: the department's
    index.update(1, on_duty=True)
    assert index.nearest(GRID_A2, 120.1, 30.4) == Choice(1, "village", pytest.approx(0.0))
    index.update(1, on_duty=False)
    assert index.nearest(GRID_A2, 120.1, 30.4) is None


def test_update_moves_a_worker_between_grids() -> None:
    index = WorkerIndex.from_rows([w(1, GRID_A1, 120.1, 30.4), w(2, GRID_B1, 120.3, 30.4)])
    assert index.nearest(GRID_B1, 120.1, 30.4).worker_id == 2  # type: ignore[union-attr]
    index.update(1, grid_code=GRID_B1, lon=120.2, lat=30.4)
    assert index.nearest(GRID_B1, 120.1, 30.4).worker_id == 1  # type: ignore[union-attr]
    assert index.nearest(GRID_A1, 120.1, 30.4) is None  # nor left behind in village A
    assert (index.on_duty(GRID_A1), index.on_duty(VILLAGE_A), index.on_duty(GRID_B1)) == (0, 0, 2)
    index.update(1, lon=120.35, lat=30.4)  # a plain position report
    assert index.nearest(GRID_B1, 120.1, 30.4).worker_id == 2  # type: ignore[union-attr]


def test_without_a_position_full_time_first_then_lowest_id() -> None:
    index = WorkerIndex.from_rows(
        [
            w(5, GRID_A1, 120.1, 30.4),
            w(9, GRID_A1, 120.2, 30.4, kind="full_time"),
            w(7, GRID_A1, 120.3, 30.4, kind="full_time"),
        ]
    )
    assert index.nearest(GRID_A1, None, None) == Choice(7, "grid", None)
    index.update(7, on_duty=False)
    index.update(9, on_duty=False)
    assert index.nearest(GRID_A1, None, None) == Choice(5, "grid", None)


def test_workers_without_a_position_come_after_those_with_one() -> None:
    index = WorkerIndex.from_rows(
        [w(1, GRID_A1, None, None, kind="full_time"), w(2, GRID_A1, 120.5, 30.4)]
    )
    assert index.nearest(GRID_A1, 120.1, 30.4).worker_id == 2  # type: ignore[union-attr]
    index.update(2, on_duty=False)
    # Still the grid's worker, though nobody knows where they are.
    assert index.nearest(GRID_A1, 120.1, 30.4) == Choice(1, "grid", None)


def test_unknown_worker_needs_a_grid() -> None:
    index = WorkerIndex()
    with pytest.raises(KeyError):
        index.update(1, lon=120.1, lat=30.4)
    index.update(1, grid_code=GRID_A1, lon=120.1, lat=30.4, on_duty=True)
    assert index.nearest(GRID_A1, 120.1, 30.4) == Choice(1, "grid", pytest.approx(0.0))
    index.remove(1)
    assert index.nearest(GRID_A1, 120.1, 30.4) is None and len(index) == 0


def test_one_writer_and_readers_in_threads() -> None:
    rnd = random.Random(3)
    grids = [GRID_A1, GRID_A2, GRID_B1]
    index = WorkerIndex.from_rows([random_worker(rnd, i, grids) for i in range(1, 200)])
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                got = index.nearest(rnd.choice(grids), 120.02, 30.42)
                assert got is None or got.worker_id in range(1, 200)
        except BaseException as e:  # reported to the main thread
            errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    for k in range(5_000):
        index.update(
            1 + k % 199, grid_code=rnd.choice(grids), lon=120 + rnd.random() * 0.05,
            lat=30.4 + rnd.random() * 0.05, on_duty=rnd.random() < 0.5,
        )  # fmt: skip
    stop.set()
    for t in readers:
        t.join()
    assert not errors


# -- the workforce from the twin ----------------------------------------------------------


def test_load_workers_from_the_tiny_twin(
    session: Session, twin_dir: Path, layout: DistrictLayout, truth
) -> None:
    n = load_workers(session, twin_dir)
    twin = truth("workers")
    assert n == twin.height == session.scalar(select(func.count()).select_from(Worker))
    rows = session.scalars(select(Worker).order_by(Worker.id)).all()
    full = [r for r in rows if r.kind == "full_time"]
    part = [r for r in rows if r.kind == "part_time"]
    # One full-time worker per grid, every one on duty.
    assert len(full) == layout.grids.height == 1_590
    assert sorted(r.grid_code for r in full) == sorted(layout.grids["code"].to_list())
    assert all(r.on_duty for r in full)
    assert sum(r.on_duty for r in part) == round(0.3 * len(part))
    # Each starts inside their own grid, with a name from the persons.
    codes = layout.grids["code"].to_numpy()
    inside = layout.locate(np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
    assert [codes[i] for i in inside] == [r.grid_code for r in rows]
    assert all(r.name and r.position_at is not None for r in rows)
    assert rows[0].id == 1 and rows[0].person_id == twin["person_id"][0]

    # Idempotent: a reload gives the same rows (same seed), and drops rows the twin lacks.
    session.add(Worker(id=999_999, name="x", kind="part_time", role="r", grid_code=GRID_A1))
    session.commit()
    before = [(r.id, r.on_duty, r.lon, r.lat) for r in rows]
    assert load_workers(session, twin_dir) == n
    session.expire_all()
    again = session.scalars(select(Worker).order_by(Worker.id)).all()
    assert [(r.id, r.on_duty, r.lon, r.lat) for r in again] == before


def test_report_position_and_the_index_from_the_table(
    session: Session, twin_dir: Path, layout: DistrictLayout
) -> None:
    load_workers(session, twin_dir)
    index = load_index(session)
    assert len(index) == session.scalar(select(func.count()).select_from(Worker))
    worker = session.scalars(select(Worker).where(Worker.kind == "full_time")).first()
    assert worker is not None and worker.lon is not None and worker.lat is not None
    grid, lon, lat = worker.grid_code, worker.lon, worker.lat
    got = index.nearest(grid, lon, lat)
    assert got is not None and got.level == "grid" and got.distance_m == pytest.approx(0.0)

    # The worker goes off duty far away; the database and then the index follow.
    report_position(session, worker.id, 120.0, 30.5, on_duty=False)
    session.commit()
    row = session.get(Worker, worker.id)
    assert row is not None and (row.lon, row.lat, row.on_duty) == (120.0, 30.5, False)
    index.update(worker.id, lon=120.0, lat=30.5, on_duty=False)
    got = index.nearest(grid, lon, lat)
    assert got is None or got.worker_id != worker.id
    assert load_index(session).nearest(grid, lon, lat) == got
    with pytest.raises(KeyError):
        report_position(session, 10**9, 120.0, 30.5)
    with pytest.raises(ValueError):
        report_position(session, worker.id, float("nan"), 30.5)


def test_measure_dispatch_reports_its_figures(layout: DistrictLayout) -> None:
    result = measure_dispatch(n_workers=3_000, n_decisions=500, seed=2, layout=layout)
    assert result["workers"] == 3_000 and result["decisions"] == 500
    assert sum(result["levels"].values()) == 500 and result["levels"]["village"] > 0
    for key in ("dispatch_p50_ms", "dispatch_p99_ms", "update_p50_ms", "update_p99_ms"):
        assert result[key] >= 0
