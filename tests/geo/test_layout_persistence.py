"""Determinism, save/load and the process-wide cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zhili.geo import DistrictLayout, build_layout, get_layout


def test_two_builds_are_identical(layout: DistrictLayout) -> None:
    again = build_layout()
    assert again.towns.equals(layout.towns)
    assert again.villages.equals(layout.villages)
    assert again.grids.equals(layout.grids)
    assert again.spec == layout.spec
    assert again.raster.dtype == layout.raster.dtype
    assert np.array_equal(again.raster, layout.raster)


def test_save_and_load(layout: DistrictLayout, tmp_path: Path) -> None:
    layout.save(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"towns.parquet", "villages.parquet", "grids.parquet", "raster.npz"} <= names
    assert {"towns.geojson", "villages.geojson", "grids.geojson"} <= names
    loaded = DistrictLayout.load(tmp_path)
    assert loaded.towns.equals(layout.towns)
    assert loaded.villages.equals(layout.villages)
    assert loaded.grids.equals(layout.grids)
    assert np.array_equal(loaded.raster, layout.raster)
    assert loaded.spec == layout.spec
    g = layout.grids
    found = loaded.locate(g["lon"].to_numpy(), g["lat"].to_numpy())
    assert (found == np.arange(g.height)).all()


def test_saved_bytes_are_reproducible(layout: DistrictLayout, tmp_path: Path) -> None:
    layout.save(tmp_path / "a")
    DistrictLayout.load(tmp_path / "a").save(tmp_path / "b")
    for name in ("towns.parquet", "grids.parquet", "raster.npz", "grids.geojson"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_get_layout_caches(layout: DistrictLayout, tmp_path: Path) -> None:
    assert get_layout() is layout
    cached = get_layout(tmp_path / "cache")
    assert (tmp_path / "cache" / "raster.npz").exists()
    assert get_layout(tmp_path / "cache") is cached
    # a fresh process would load it from disk
    assert DistrictLayout.load(tmp_path / "cache").grids.equals(layout.grids)


def test_get_layout_rebuilds_a_damaged_cache(layout: DistrictLayout, tmp_path: Path) -> None:
    directory = tmp_path / "broken"
    directory.mkdir()
    (directory / "raster.npz").write_bytes(b"not a zip")
    assert get_layout(directory).grids.equals(layout.grids)
    assert DistrictLayout.load(directory).grids.equals(layout.grids)
