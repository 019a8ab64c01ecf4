"""Shapes: one connected piece per area, inside the right county, polygons matching the raster."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from zhili.geo import DistrictLayout
from zhili.geo.divisions import LINPING, YUHANG, load_counties
from zhili.geo.partition import component_counts
from zhili.geo.profiles import PROFILES

LEVEL_SIZES = {"town": 20, "village": 367, "grid": 1590}


@pytest.mark.parametrize("level", list(LEVEL_SIZES))
def test_each_area_is_one_connected_piece(layout: DistrictLayout, level: str) -> None:
    counts = component_counts(layout.level_raster(level), LEVEL_SIZES[level])
    assert (counts == 1).all()


@pytest.mark.parametrize("level", ["town", "village"])
def test_polygons_are_single_valid_polygons(layout: DistrictLayout, level: str) -> None:
    polygons = layout.polygons(level)
    assert len(polygons) == LEVEL_SIZES[level]
    assert set(shapely.get_type_id(polygons)) == {3}  # Polygon, never MultiPolygon
    assert shapely.is_valid(polygons).all()


def test_polygon_area_matches_raster(layout: DistrictLayout) -> None:
    towns = layout.polygons("town")
    cell = layout.spec.dx * layout.spec.dy
    cells = np.bincount(layout.level_raster("town")[layout.raster >= 0], minlength=20)
    assert np.allclose(shapely.area(towns) / cell, cells, rtol=1e-9)
    # the towns tile the district: no overlaps
    union = shapely.coverage_union_all(towns)
    assert np.isclose(union.area, shapely.area(towns).sum(), rtol=1e-9)


def test_towns_inside_their_county(layout: DistrictLayout) -> None:
    counties = load_counties()
    town_raster = layout.level_raster("town")
    xs, ys = layout.spec.centers()
    rows, cols = np.nonzero(town_raster >= 0)
    town = town_raster[rows, cols]
    in_linping = shapely.contains_xy(counties[LINPING], xs[cols], ys[rows])
    in_yuhang = shapely.contains_xy(counties[YUHANG], xs[cols], ys[rows])
    county = {p.code: p.county for p in PROFILES}
    linping_towns = np.array([county[c] == LINPING for c in layout.towns["code"]])
    assert linping_towns.sum() == 8
    assert in_linping[linping_towns[town]].all()
    assert in_yuhang[~linping_towns[town]].all()


def test_towns_contain_their_real_centres(layout: DistrictLayout) -> None:
    lon = np.array([p.lon for p in PROFILES])
    lat = np.array([p.lat for p in PROFILES])
    grid = layout.locate(lon, lat)
    assert (grid >= 0).all()
    assert layout.grids["town_code"].gather(grid).to_list() == layout.towns["code"].to_list()


@pytest.mark.parametrize("level", list(LEVEL_SIZES))
def test_geojson(layout: DistrictLayout, level: str) -> None:
    fc = layout.geojson(level)
    assert fc["type"] == "FeatureCollection"
    features = fc["features"]
    assert len(features) == LEVEL_SIZES[level]
    first = features[0]
    assert first["geometry"]["type"] == "Polygon"
    assert {"code", "name", "area_km2", "pop_weight", "level"} <= set(first["properties"])
    assert first["id"] == first["properties"]["code"]
    json.dumps(fc, ensure_ascii=False)  # plain JSON types only
    ring = first["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert shapely.Polygon(ring).exterior.is_ccw  # RFC 7946


def test_geojson_simplified_is_smaller_and_still_tiles(layout: DistrictLayout) -> None:
    full = layout.geojson("village")
    simple = layout.geojson("village", tolerance_deg=0.002)

    def vertices(fc: dict) -> int:
        return sum(len(f["geometry"]["coordinates"][0]) for f in fc["features"])

    assert vertices(simple) < vertices(full) / 2
    shapes = [shapely.geometry.shape(f["geometry"]) for f in simple["features"]]
    assert all(s.is_valid for s in shapes)
    total = sum(s.area for s in shapes)
    assert np.isclose(shapely.union_all(shapes).area, total, rtol=1e-6)  # no overlaps
