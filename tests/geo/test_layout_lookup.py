"""Point lookup and sampling: the raster answers, and its answers agree with the polygons."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from zhili.geo import DistrictLayout
from zhili.geo.divisions import load_counties


def test_representative_points_locate_to_their_own_area(layout: DistrictLayout) -> None:
    g = layout.grids
    assert (layout.locate(g["lon"].to_numpy(), g["lat"].to_numpy()) == np.arange(1590)).all()
    for table, column in ((layout.villages, "village_code"), (layout.towns, "town_code")):
        found = layout.locate(table["lon"].to_numpy(), table["lat"].to_numpy())
        assert (found >= 0).all()
        assert g[column].gather(found).to_list() == table["code"].to_list()


def test_sample_points_round_trip(layout: DistrictLayout) -> None:
    rng = np.random.default_rng(7)
    grids = np.repeat(np.arange(1590), 40)
    lon, lat = layout.sample_points(grids, rng)
    assert lon.shape == lat.shape == grids.shape
    assert (layout.locate(lon, lat) == grids).all()


def test_sample_points_spread_over_the_grid(layout: DistrictLayout) -> None:
    big = int(np.argmax(layout.grids["area_km2"].to_numpy()))
    lon, lat = layout.sample_points(np.full(20_000, big), np.random.default_rng(1))
    cells = layout.spec.cell_of(lon, lat)
    n_cells = int((layout.raster == big).sum())
    assert len(np.unique(cells)) > 0.8 * min(n_cells, 20_000) * (1 - np.exp(-20_000 / n_cells))


def test_sample_points_rejects_bad_index(layout: DistrictLayout) -> None:
    with pytest.raises(ValueError):
        layout.sample_points(np.array([1590]), np.random.default_rng(0))
    with pytest.raises(ValueError):
        layout.sample_points(np.array([-1]), np.random.default_rng(0))


def test_outside_points(layout: DistrictLayout) -> None:
    lon = np.array([0.0, 119.0, 121.0, 120.0, 120.0, np.nan, np.inf, 120.0, 119.68])
    lat = np.array([0.0, 30.3, 30.3, 29.0, 31.0, 30.3, 30.3, np.nan, 30.56])
    out = layout.locate(lon, lat)
    assert out.dtype == np.int32
    assert (out == -1).all()


def test_locate_agrees_with_the_outline(layout: DistrictLayout) -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(119.67, 120.35, 200_000)
    lat = rng.uniform(30.16, 30.57, 200_000)
    inside = layout.locate(lon, lat) >= 0
    outline = shapely.union_all(list(load_counties().values()))
    truth = shapely.contains_xy(outline, lon, lat)
    # Only points in cells cut by the outline can disagree: well under 1 % of them.
    assert (inside != truth).mean() < 0.005


def test_locate_accepts_lists_and_scalars_shapes(layout: DistrictLayout) -> None:
    g = layout.grids
    assert layout.locate([g["lon"][5]], [g["lat"][5]]).tolist() == [5]
    assert layout.locate(np.empty(0), np.empty(0)).shape == (0,)


def test_locate_one_agrees_with_locate(layout: DistrictLayout) -> None:
    rng = np.random.default_rng(11)
    lon = np.concatenate([rng.uniform(119.6, 120.4, 5_000), [np.nan, np.inf, -np.inf, 120.0]])
    lat = np.concatenate([rng.uniform(30.1, 30.6, 5_000), [30.3, 30.3, 30.3, np.nan]])
    many = layout.locate(lon, lat)
    one = [layout.locate_one(float(x), float(y)) for x, y in zip(lon, lat, strict=True)]
    assert one == many.tolist()
    assert (many >= 0).sum() > 500 and (many < 0).sum() > 500  # both sides are tried
