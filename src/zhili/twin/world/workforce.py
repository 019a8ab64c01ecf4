"""Grid workers (网格员): one full-time worker per grid, and part-time workers drawn from the
residents (party members, residents' representatives, building heads, volunteers).

The grids are the district's, not the twin's: all 1,590 exist at every scale, so the
full-time workforce does not shrink with the twin; part-time workers do.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.geo import DistrictLayout
from zhili.twin import spec as S
from zhili.twin.rng import stream
from zhili.twin.spec import TwinSpec

PART_TIME_ROLES = ["党员骨干", "村(居)民代表", "村民小组长", "楼道长", "两代表一委员", "平安志愿者"]


def build_workers(spec: TwinSpec, layout: DistrictLayout, people: pl.DataFrame) -> pl.DataFrame:
    rng = stream(spec.seed, "workers")
    grids = layout.grids
    n_part = spec.count(S.PART_TIME_GRID_WORKERS, minimum=20)
    candidates = people.filter((pl.col("age") >= 23) & (pl.col("age") <= 55))
    if candidates.height < grids.height + n_part:
        # A tiny twin has few people for its 1,590 grids: widen the working ages.
        candidates = people.filter((pl.col("age") >= 20) & (pl.col("age") <= 62))
    cand_grid = candidates["grid_index"].to_numpy()
    order = rng.permutation(candidates.height)
    # Full-time: prefer someone living in the grid; else anyone not yet taken.
    taken = np.zeros(candidates.height, dtype=bool)
    chosen = np.full(grids.height, -1, dtype=np.int64)
    in_grid, first = np.unique(cand_grid[order], return_index=True)
    chosen[in_grid] = order[first]
    taken[order[first]] = True
    free = order[~taken[order]]
    missing = np.flatnonzero(chosen < 0)
    if missing.size > free.size:
        raise ValueError("the twin is too small to staff every grid; use a larger scale")
    chosen[missing] = free[: missing.size]
    taken[free[: missing.size]] = True

    rest = np.flatnonzero(~taken)
    part = rng.choice(rest, min(n_part, rest.size), replace=False)
    pid = candidates["person_id"].to_numpy()
    full = pl.DataFrame(
        {
            "person_id": pid[chosen],
            "kind": "full_time",
            "role": "专职网格员",
            "grid_code": grids["code"],
        }
    )
    part_df = pl.DataFrame(
        {
            "person_id": pid[part],
            "kind": "part_time",
            "role": np.array(PART_TIME_ROLES)[rng.integers(0, len(PART_TIME_ROLES), part.size)],
            "grid_code": grids["code"].to_numpy()[cand_grid[part]],
        }
    )
    workers = pl.concat([full, part_df])
    return workers.with_columns(
        worker_id=pl.format("W{}", pl.int_range(1, workers.height + 1).cast(pl.Utf8).str.zfill(6))
    ).select("worker_id", "person_id", "kind", "role", "grid_code")
