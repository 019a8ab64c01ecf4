"""Dispatch latency at the district's full workforce (issue #5 item 4: p99 <= 10 ms, 37,000).

A synthetic workforce over the real 1,590 grids: one full-time worker per grid, part-time
workers spread by the grids' population weights, positions inside their grids. Duty is
realistic and uneven: most full-time workers and a third of part-time ones on duty, and a
few grids entirely off duty so that the village fallback (and, in one-grid villages, no worker
at all) is part of what is timed. `zhili bench intake` reports these figures.
"""

from __future__ import annotations

import gc
import time

import numpy as np

from zhili.events.dispatch import WorkerIndex
from zhili.geo import DistrictLayout, get_layout

FULL_TIME_ON_DUTY = 0.9  # leave, sickness, the day off
PART_TIME_ON_DUTY = 0.3
DARK_GRID_SHARE = 0.03  # grids where nobody is on duty at the moment
NO_POSITION_SHARE = 0.02  # workers who have not reported a position yet
EVENTS_WITHOUT_POSITION = 0.05  # reports that carry an area but no point
DUTY_CHANGE_EVERY = 10  # in the update mix: one in ten reports also changes duty
GRID_MOVE_EVERY = 100  # and one in a hundred is a reassignment to another grid


def _percentiles_ms(ns: np.ndarray) -> tuple[float, float]:
    p50, p99 = np.percentile(ns, [50, 99]) / 1e6
    return round(float(p50), 4), round(float(p99), 4)


def synthetic_workers(
    layout: DistrictLayout, n_workers: int, rng: np.random.Generator
) -> list[dict]:
    """Worker rows (id, grid_code, kind, on_duty, lon, lat) over the layout's grids."""
    codes = layout.grids["code"].to_numpy()
    n_grids = codes.size
    if n_workers < n_grids:
        raise ValueError(f"need at least one worker per grid ({n_grids})")
    weight = layout.grids["pop_weight"].to_numpy().astype(np.float64)
    part_grid = rng.choice(n_grids, n_workers - n_grids, p=weight / weight.sum())
    grid = np.concatenate([np.arange(n_grids), part_grid])
    full = np.arange(n_workers) < n_grids
    on_duty = rng.random(n_workers) < np.where(full, FULL_TIME_ON_DUTY, PART_TIME_ON_DUTY)
    dark = rng.choice(n_grids, round(DARK_GRID_SHARE * n_grids), replace=False)
    on_duty[np.isin(grid, dark)] = False
    lon, lat = layout.sample_points(grid, rng)
    unknown = rng.random(n_workers) < NO_POSITION_SHARE
    return [
        {
            "id": i + 1,
            "grid_code": codes[grid[i]],
            "kind": "full_time" if full[i] else "part_time",
            "on_duty": bool(on_duty[i]),
            "lon": None if unknown[i] else float(lon[i]),
            "lat": None if unknown[i] else float(lat[i]),
        }
        for i in range(n_workers)
    ]


def measure_dispatch(
    n_workers: int = 37_000,
    n_decisions: int = 20_000,
    seed: int = 1,
    layout: DistrictLayout | None = None,
) -> dict:
    """Time `nearest()` for random events and `update()` for random position reports."""
    layout = layout or get_layout()
    rng = np.random.default_rng(seed)
    rows = synthetic_workers(layout, n_workers, rng)
    started = time.perf_counter()
    index = WorkerIndex.from_rows(rows)
    build_s = time.perf_counter() - started

    codes = layout.grids["code"].to_numpy()
    event_grid = rng.integers(0, codes.size, n_decisions)
    ev_lon, ev_lat = layout.sample_points(event_grid, rng)
    no_point = rng.random(n_decisions) < EVENTS_WITHOUT_POSITION
    events = [
        (
            str(codes[g]),
            None if no_point[k] else float(ev_lon[k]),
            None if no_point[k] else float(ev_lat[k]),
        )
        for k, g in enumerate(event_grid)
    ]
    for code, x, y in events[:1_000]:  # warm caches and the allocator before timing
        index.nearest(code, x, y)

    levels = {"grid": 0, "village": 0, "none": 0}
    decide_ns = np.empty(n_decisions, dtype=np.int64)
    clock = time.perf_counter_ns
    gc.collect()
    for k, (code, x, y) in enumerate(events):
        t0 = clock()
        choice = index.nearest(code, x, y)
        decide_ns[k] = clock() - t0
        levels["none" if choice is None else choice.level] += 1

    # Position reports: a new point inside the worker's grid; some change duty or grid.
    grid_of = {r["id"]: r["grid_code"] for r in rows}
    grid_index = {c: i for i, c in enumerate(codes)}
    who = rng.integers(1, n_workers + 1, n_decisions)
    move_to = rng.integers(0, codes.size, n_decisions)
    target = np.where(
        np.arange(n_decisions) % GRID_MOVE_EVERY == GRID_MOVE_EVERY - 1,
        move_to,
        [grid_index[grid_of[int(w)]] for w in who],
    )
    up_lon, up_lat = layout.sample_points(target, rng)
    flip = rng.random(n_decisions) < 0.5
    update_ns = np.empty(n_decisions, dtype=np.int64)
    gc.collect()
    for k in range(n_decisions):
        w = int(who[k])
        on_duty = bool(flip[k]) if k % DUTY_CHANGE_EVERY == 0 else None
        new_grid = str(codes[target[k]])
        t0 = clock()
        index.update(
            w, grid_code=new_grid, lon=float(up_lon[k]), lat=float(up_lat[k]), on_duty=on_duty
        )
        update_ns[k] = clock() - t0
        grid_of[w] = new_grid

    dispatch_p50, dispatch_p99 = _percentiles_ms(decide_ns)
    update_p50, update_p99 = _percentiles_ms(update_ns)
    return {
        "dispatch_p50_ms": dispatch_p50,
        "dispatch_p99_ms": dispatch_p99,
        "dispatch_max_ms": round(float(decide_ns.max()) / 1e6, 4),
        "update_p50_ms": update_p50,
        "update_p99_ms": update_p99,
        "index_build_s": round(build_s, 3),
        "workers": n_workers,
        "on_duty": sum(1 for r in rows if r["on_duty"]),
        "decisions": n_decisions,
        "levels": levels,
    }
