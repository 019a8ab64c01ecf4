"""The layout's tables: counts, codes, areas, people."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.geo import DistrictLayout, load_divisions

LINPING_CITY = ("330110001", "330110002")  # 临平街道, 南苑街道
MOUNTAINS = ("330110111", "330110112", "330110113")  # 鸬鸟镇, 百丈镇, 黄湖镇
DISTRICT_KM2 = 1222.5


def test_towns_and_villages_are_the_real_list(layout: DistrictLayout) -> None:
    towns, villages = load_divisions()
    assert layout.towns["code"].to_list() == [t.code for t in towns]
    assert layout.towns["name"].to_list() == [t.name for t in towns]
    assert layout.villages["code"].to_list() == [v.code for v in villages]
    assert layout.villages["name"].to_list() == [v.name for v in villages]
    assert layout.villages["short_name"].to_list() == [v.short_name for v in villages]
    assert layout.villages["town_code"].to_list() == [v.town_code for v in villages]


def test_columns(layout: DistrictLayout) -> None:
    assert layout.towns.columns[:9] == [
        "code", "name", "kind", "urban", "area_km2", "pop_weight", "migrant_share", "lon", "lat",
    ]  # fmt: skip
    for col in ("code", "name", "short_name", "town_code", "kind", "area_km2", "pop_weight"):
        assert col in layout.villages.columns
    for col in ("code", "village_code", "town_code", "area_km2", "pop_weight", "lon", "lat"):
        assert col in layout.grids.columns


def test_1590_grids_coded_under_their_village(layout: DistrictLayout) -> None:
    grids = layout.grids
    assert grids.height == 1590
    codes = grids["code"].to_list()
    assert len(set(codes)) == 1590
    assert all(len(c) == 15 and c.isdigit() for c in codes)
    assert all(c[:12] == v for c, v in zip(codes, grids["village_code"], strict=True))
    assert all(v[:9] == t for v, t in zip(grids["village_code"], grids["town_code"], strict=True))
    # every village has grids numbered 001, 002, ... without gaps
    per_village = grids.group_by("village_code").agg(pl.col("code").str.slice(12).sort())
    assert per_village.height == 367
    for serials in per_village["code"]:
        assert serials.to_list() == [f"{i:03d}" for i in range(1, len(serials) + 1)]
    # grid rows are grouped by village, in village code order
    assert codes == sorted(codes)


def test_town_areas(layout: DistrictLayout) -> None:
    towns = layout.towns
    total = towns["area_km2"].sum()
    assert abs(total - DISTRICT_KM2) / DISTRICT_KM2 < 0.02
    assert np.isclose(layout.villages["area_km2"].sum(), total)
    assert np.isclose(layout.grids["area_km2"].sum(), total)
    by_size = towns.sort("area_km2")["code"].to_list()
    assert set(LINPING_CITY) <= set(by_size[:3])
    assert {"330110112", "330110109"} <= set(by_size[-3:])  # 百丈镇, 径山镇
    area = dict(zip(towns["code"], towns["area_km2"], strict=True))
    assert 10 < area["330110001"] < 14  # 临平街道 ~12 km²


def test_population_density(layout: DistrictLayout) -> None:
    t = layout.towns.with_columns(density=pl.col("pop_weight") / pl.col("area_km2"))
    density = dict(zip(t["code"], t["density"], strict=True))
    city = min(density[c] for c in LINPING_CITY)
    assert city > 10 * max(density[c] for c in MOUNTAINS)


def test_pop_weights_add_up(layout: DistrictLayout) -> None:
    towns, villages, grids = layout.towns, layout.villages, layout.grids
    assert np.isclose(towns["pop_weight"].sum(), 1.0, atol=1e-12)
    assert (towns["pop_weight"] > 0).all() and (villages["pop_weight"] > 0).all()
    by_town = villages.group_by("town_code").agg(pl.col("pop_weight").sum())
    joined = towns.join(by_town, left_on="code", right_on="town_code", suffix="_v")
    assert np.allclose(joined["pop_weight"], joined["pop_weight_v"], rtol=1e-12, atol=0)
    by_village = grids.group_by("village_code").agg(pl.col("pop_weight").sum())
    joined = villages.join(by_village, left_on="code", right_on="village_code", suffix="_g")
    assert joined.height == 367
    assert np.allclose(joined["pop_weight"], joined["pop_weight_g"], rtol=1e-12, atol=0)


def test_migrant_share(layout: DistrictLayout) -> None:
    t = layout.towns
    share = float((t["pop_weight"] * t["migrant_share"]).sum())
    assert abs(share - 1.8 / 3.2) < 0.001
    m = dict(zip(t["code"], t["migrant_share"], strict=True))
    assert m["330110006"] > 0.65  # 乔司: factories and rented rooms
    assert max(m[c] for c in MOUNTAINS) < 0.3
    assert all(0 < v < 1 for v in m.values())


def test_urban_flags(layout: DistrictLayout) -> None:
    t = layout.towns
    for kind, urban in zip(t["kind"], t["urban"], strict=True):
        if kind == "town":
            assert not urban
    assert t.filter(pl.col("urban")).height >= 12


def test_communities_dense_and_central(layout: DistrictLayout) -> None:
    v = layout.villages.with_columns(density=pl.col("pop_weight") / pl.col("area_km2"))
    stats = v.group_by("town_code", "kind").agg(pl.col("density").mean(), pl.col("area_km2").mean())
    wide = stats.pivot(on="kind", index="town_code", values=["density", "area_km2"]).drop_nulls()
    assert wide.height == 15  # towns with both communities and villages
    assert (wide["density_community"] > wide["density_village"]).all()
    assert (wide["area_km2_community"] < wide["area_km2_village"]).all()


def test_grids_follow_population(layout: DistrictLayout) -> None:
    grids, villages = layout.grids, layout.villages
    counts = grids.group_by("village_code").len()
    joined = villages.join(counts, left_on="code", right_on="village_code")
    quota = joined["pop_weight"].to_numpy() * 1590
    n = joined["len"].to_numpy()
    assert (n >= 1).all() and n.sum() == 1590
    assert np.all(np.abs(n - quota)[quota >= 1] <= 1.0)
    # Small urban grids still have enough raster cells to have a shape.
    cells = np.bincount(layout.raster[layout.raster >= 0], minlength=1590)
    assert cells.min() >= 8


def test_representative_points_in_bbox(layout: DistrictLayout) -> None:
    for table in (layout.towns, layout.villages, layout.grids):
        assert table["lon"].is_between(119.67, 120.35).all()
        assert table["lat"].is_between(30.16, 30.57).all()
