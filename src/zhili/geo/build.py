"""Build the synthetic geography: district outline -> towns -> villages -> grids, on a raster.

Every step is seeded from fixed names, so the same code gives the same bytes on every run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from .divisions import LINPING, YUHANG, Village, load_counties, load_divisions
from .partition import clean_fragments, fit_partition, representative_cells, spread_seeds
from .profiles import PROFILES, migrant_shares, population_weights
from .raster import RasterSpec, rasterize, row_cell_area_km2, to_km

CELL_DEG = 0.0005  # ~48 m x 55 m: the smallest urban grids still get dozens of cells
GRID_COUNT = 1590  # the seed's 1,590 full-time grid workers, one per grid
GEO_SEED = 2019
COUNTIES = (LINPING, YUHANG)

VILLAGE_SIZE = 3.0  # a village's area relative to a community's of the same town
COMMUNITY_DENSITY = 4.0  # a community's residents per km² relative to a village's
SPREAD = 0.3  # lognormal sigma of the random variation in sizes and densities
TOWN_ROUNDS = 6  # towns drift towards compact shapes but stay near their real centres
TOWN_ANCHOR = 0.4
VILLAGE_ROUNDS = 3  # centroid moves between power fits: rounder villages
GRID_ROUNDS = 2


@dataclass(frozen=True)
class BuiltGeography:
    spec: RasterSpec
    raster: np.ndarray  # int16 (ny, nx): grid index per cell, -1 outside the district
    towns: pl.DataFrame
    villages: pl.DataFrame
    grids: pl.DataFrame


def _rng(name: str) -> np.random.Generator:
    """An independent stream per named step, so changing one step never shifts another."""
    digest = hashlib.sha256(f"zhili.geo:{GEO_SEED}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def allocate(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Split `total` into integers proportional to `weights`, each at least `minimum`.

    Largest remainders, with the floor of `minimum` taken first: deterministic and exact.
    """
    n = len(weights)
    if total < minimum * n:
        raise ValueError("total too small for the minimum")
    quota = weights / weights.sum() * total
    out = np.maximum(np.floor(quota).astype(np.int64), minimum)
    while (short := total - int(out.sum())) != 0:
        if short > 0:
            order = np.lexsort((np.arange(n), -(quota - out)))
            out[order[:short]] += 1
        else:  # the minimums pushed us over: take back from those most above their quota
            over = np.where(out > minimum, out - quota, -np.inf)
            order = np.lexsort((np.arange(n), -over))
            out[order[: min(-short, int((out > minimum).sum()))]] -= 1
    return out


def _by_angle(seeds: np.ndarray, core: np.ndarray) -> np.ndarray:
    """Seeds ordered clockwise from north around `core`, so neighbouring codes are neighbours."""
    angle = np.arctan2(seeds[:, 0] - core[0], seeds[:, 1] - core[1]) % (2 * np.pi)
    return seeds[np.argsort(angle, kind="stable")]


def _north_to_south(seeds: np.ndarray) -> np.ndarray:
    """Rank of each seed when read like a page: by 1 km bands from the north, then west-east."""
    band = np.floor(-seeds[:, 1])
    order = np.lexsort((seeds[:, 0], band))
    rank = np.empty(len(seeds), dtype=np.int64)
    rank[order] = np.arange(len(seeds))
    return rank


class _Cells:
    """The district's cells as flat arrays: raster index, planar km, area."""

    def __init__(self, spec: RasterSpec, county: np.ndarray) -> None:
        self.spec = spec
        self.index = np.flatnonzero(county.ravel() >= 0)
        self.county = county.ravel()[self.index].astype(np.int64)
        xs, ys = spec.centers()
        self.lon = xs[self.index % spec.nx]
        self.lat = ys[self.index // spec.nx]
        self.xy = to_km(self.lon, self.lat)
        self.area = row_cell_area_km2(spec)[self.index // spec.nx]
        self.point_area = float(self.area.mean())

    def raster(self, values: np.ndarray) -> np.ndarray:
        out = np.full(self.spec.nx * self.spec.ny, -1, dtype=np.int32)
        out[self.index] = values
        return out.reshape(self.spec.shape)

    def from_raster(self, raster: np.ndarray) -> np.ndarray:
        return raster.ravel()[self.index].astype(np.int64)


def _partition_towns(cells: _Cells) -> np.ndarray:
    """Town index per cell: a power diagram per county around the towns' real locations."""
    town = np.full(len(cells.index), -1, dtype=np.int64)
    county_of_town = np.array([COUNTIES.index(p.county) for p in PROFILES])
    for c in range(len(COUNTIES)):
        members = np.flatnonzero(county_of_town == c)
        pos = np.flatnonzero(cells.county == c)
        seeds = to_km(
            np.array([PROFILES[i].lon for i in members]),
            np.array([PROFILES[i].lat for i in members]),
        )
        area = np.array([PROFILES[i].area_km2 for i in members])
        labels, _ = fit_partition(
            cells.xy[pos],
            seeds,
            area / area.sum() * len(pos),
            cells.point_area,
            rounds=TOWN_ROUNDS,
            anchor=TOWN_ANCHOR,
        )
        town[pos] = members[labels]
    return cells.from_raster(clean_fragments(cells.raster(town), county_of_town))


def _town_core(cells: _Cells, town: np.ndarray, t: int, rep_cell: int) -> np.ndarray:
    """Where the town's centre is: its real location if that fell inside it, else inside."""
    p = PROFILES[t]
    flat = cells.spec.cell_of(np.array([p.lon]), np.array([p.lat]))[0]
    hit = np.flatnonzero(cells.index == flat)
    if len(hit) and town[hit[0]] == t:
        return to_km(np.array([p.lon]), np.array([p.lat]))[0]
    return cells.xy[np.searchsorted(cells.index, rep_cell)]


def _partition_villages(
    cells: _Cells, town: np.ndarray, villages: list[Village], town_codes: list[str]
) -> np.ndarray:
    """Village index per cell: communities small around the town core, villages outside."""
    village_town = np.array([town_codes.index(v.town_code) for v in villages])
    is_comm = np.array([v.kind == "community" for v in villages])
    town_rep = representative_cells(cells.raster(town), len(town_codes))
    village = np.full(len(cells.index), -1, dtype=np.int64)
    for t, code in enumerate(town_codes):
        pos = np.flatnonzero(town == t)
        members = np.flatnonzero(village_town == t)
        comm = is_comm[members]
        rng = _rng(f"villages:{code}")
        size = np.where(comm, 1.0, VILLAGE_SIZE) * rng.lognormal(0.0, SPREAD, len(members))
        core = _town_core(cells, town, t, int(town_rep[t]))
        xy = cells.xy[pos]
        seeds = np.empty((len(members), 2))
        if comm.all() or not comm.any():
            seeds[:] = _by_angle(spread_seeds(xy, len(members), rng), core)
        else:
            # Communities take the cells nearest the core, in proportion to their size.
            order = np.argsort(((xy - core) ** 2).sum(axis=1), kind="stable")
            n_inner = round(size[comm].sum() / size.sum() * len(pos))
            n_inner = min(max(n_inner, int(comm.sum())), len(pos) - int((~comm).sum()))
            inner, outer = xy[order[:n_inner]], xy[order[n_inner:]]
            seeds[comm] = _by_angle(spread_seeds(inner, int(comm.sum()), rng), core)
            seeds[~comm] = _by_angle(spread_seeds(outer, int((~comm).sum()), rng), core)
        labels, _ = fit_partition(
            xy, seeds, size / size.sum() * len(pos), cells.point_area, rounds=VILLAGE_ROUNDS
        )
        village[pos] = members[labels]
    return cells.from_raster(clean_fragments(cells.raster(village), village_town))


def _partition_grids(
    cells: _Cells, village: np.ndarray, grid_counts: np.ndarray, village_codes: list[str]
) -> np.ndarray:
    """Grid index per cell: each village cut into equal-area grids, numbered north to south."""
    offsets = np.concatenate([[0], np.cumsum(grid_counts)])
    grid = np.full(len(cells.index), -1, dtype=np.int64)
    for v, code in enumerate(village_codes):
        pos = np.flatnonzero(village == v)
        k = int(grid_counts[v])
        if k == 1:
            grid[pos] = offsets[v]
            continue
        xy = cells.xy[pos]
        seeds = spread_seeds(xy, k, _rng(f"grids:{code}"))
        labels, seeds = fit_partition(
            xy, seeds, np.full(k, len(pos) / k), cells.point_area, rounds=GRID_ROUNDS
        )
        grid[pos] = offsets[v] + _north_to_south(seeds)[labels]
    village_of_grid = np.repeat(np.arange(len(village_codes)), grid_counts)
    return cells.from_raster(clean_fragments(cells.raster(grid), village_of_grid))


def _points(cells: _Cells, labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    rep = representative_cells(cells.raster(labels), n)
    xs, ys = cells.spec.centers()
    return xs[rep % cells.spec.nx], ys[rep // cells.spec.nx]


def build_geography() -> BuiltGeography:
    towns, villages = load_divisions()
    town_codes = [t.code for t in towns]
    if town_codes != [p.code for p in PROFILES]:
        raise RuntimeError("town profiles do not match the division list")
    village_codes = [v.code for v in villages]
    counties = load_counties()
    outlines = [counties[name] for name in COUNTIES]
    bounds = np.array([o.bounds for o in outlines])
    spec = RasterSpec.covering(
        (bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()),
        CELL_DEG,
    )
    cells = _Cells(spec, rasterize(outlines, spec))

    town = _partition_towns(cells)
    village = _partition_villages(cells, town, villages, town_codes)

    # Residents: each town's share spread over its villages by area x density.
    village_town = np.array([town_codes.index(v.town_code) for v in villages])
    is_comm = np.array([v.kind == "community" for v in villages])
    town_pop = population_weights()
    village_area = np.bincount(village, weights=cells.area, minlength=len(villages))
    density = np.where(is_comm, COMMUNITY_DENSITY, 1.0)
    density = density * _rng("village-density").lognormal(0.0, SPREAD, len(villages))
    raw = village_area * density
    village_pop = (
        town_pop[village_town] * raw / np.bincount(village_town, weights=raw)[village_town]
    )

    grid_counts = allocate(GRID_COUNT, village_pop)
    grid = _partition_grids(cells, village, grid_counts, village_codes)
    village_of_grid = np.repeat(np.arange(len(villages)), grid_counts)
    grid_area = np.bincount(grid, weights=cells.area, minlength=GRID_COUNT)
    grid_pop = village_pop[village_of_grid] * grid_area / village_area[village_of_grid]

    town_area = np.bincount(town, weights=cells.area, minlength=len(towns))
    t_lon, t_lat = _points(cells, town, len(towns))
    v_lon, v_lat = _points(cells, village, len(villages))
    g_lon, g_lat = _points(cells, grid, GRID_COUNT)
    town_table = pl.DataFrame(
        {
            "code": town_codes,
            "name": [t.name for t in towns],
            "kind": [t.kind for t in towns],
            "urban": [p.urban for p in PROFILES],
            "area_km2": town_area,
            "pop_weight": town_pop,
            "migrant_share": migrant_shares(),
            "lon": t_lon,
            "lat": t_lat,
        }
    )
    village_table = pl.DataFrame(
        {
            "code": village_codes,
            "name": [v.name for v in villages],
            "short_name": [v.short_name for v in villages],
            "town_code": [v.town_code for v in villages],
            "kind": [v.kind for v in villages],
            "area_km2": village_area,
            "pop_weight": village_pop,
            "lon": v_lon,
            "lat": v_lat,
        }
    )
    grid_village_codes = [village_codes[v] for v in village_of_grid]
    serial = np.arange(GRID_COUNT) - np.repeat(np.cumsum(grid_counts) - grid_counts, grid_counts)
    short = [villages[v].short_name for v in village_of_grid]
    grid_table = pl.DataFrame(
        {
            "code": [f"{c}{s + 1:03d}" for c, s in zip(grid_village_codes, serial, strict=True)],
            "name": [f"{n}第{s + 1}网格" for n, s in zip(short, serial, strict=True)],
            "village_code": grid_village_codes,
            "town_code": [c[:9] for c in grid_village_codes],
            "area_km2": grid_area,
            "pop_weight": grid_pop,
            "lon": g_lon,
            "lat": g_lat,
        }
    )
    raster = cells.raster(grid).astype(np.int16)
    return BuiltGeography(spec, raster, town_table, village_table, grid_table)
