"""The district layout: tables of towns, villages and grids, and the raster that locates points.

Coordinates are WGS-84 longitude/latitude throughout (see `coords` for GCJ-02, display only).
"""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .build import build_geography
from .polygons import display_polygons, feature_collection, region_polygons
from .raster import RasterSpec

# Bump when the build changes its output, so stale caches on disk are rebuilt, not reused.
LAYOUT_VERSION = 1
LEVELS = ("town", "village", "grid")
_TABLES = {"town": "towns", "village": "villages", "grid": "grids"}
# Keep jittered points this far (in cell widths) from cell edges, so that rounding can never
# carry a sampled point into the neighbouring cell.
_EDGE = 1e-6


class DistrictLayout:
    """Towns, villages and grids of 2019 Yuhang, and the raster that is their geometry.

    `grids` row i is grid index i, the value `locate` returns. Polygons are derived from the
    raster on demand (`geojson`), so what is drawn is exactly what `locate` answers.
    """

    def __init__(
        self,
        towns: pl.DataFrame,
        villages: pl.DataFrame,
        grids: pl.DataFrame,
        raster: np.ndarray,
        spec: RasterSpec,
    ) -> None:
        self.towns = towns
        self.villages = villages
        self.grids = grids
        self.spec = spec
        self.raster = raster  # (ny, nx) int16 grid index, -1 outside; row 0 is the south
        # One extra -1 at the end: a point outside the raster gets flat index -1 and so reads
        # the sentinel, which makes `locate` a single gather.
        self._lookup = np.append(raster.ravel().astype(np.int32), np.int32(-1))
        cells = np.flatnonzero(raster.ravel() >= 0)
        order = np.argsort(raster.ravel()[cells], kind="stable")
        self._cells_by_grid = cells[order]
        self._grid_start = np.searchsorted(
            raster.ravel()[self._cells_by_grid], np.arange(len(grids) + 1)
        )
        self._polygons: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    # -- lookup -------------------------------------------------------------------------
    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Grid index (int32) of each WGS-84 point; -1 outside the district."""
        s = self.spec
        col = (np.asarray(lon, dtype=np.float64) - s.x0) * (1.0 / s.dx)
        row = (np.asarray(lat, dtype=np.float64) - s.y0) * (1.0 / s.dy)
        ok = (col >= 0) & (col < s.nx) & (row >= 0) & (row < s.ny)  # NaN fails, lands outside
        with np.errstate(invalid="ignore"):  # NaN/inf casts are masked out just below
            flat = row.astype(np.int64) * s.nx + col.astype(np.int64)
        return self._lookup[np.where(ok, flat, -1)]

    def locate_one(self, lon: float, lat: float) -> int:
        """Grid index of one point, -1 outside: locate() in plain floats, for the intake's
        one report per request (numpy's per-call overhead was a tenth of a request)."""
        s = self.spec
        col = (lon - s.x0) * (1.0 / s.dx)
        row = (lat - s.y0) * (1.0 / s.dy)
        if not (0 <= col < s.nx and 0 <= row < s.ny):  # NaN fails every comparison
            return -1
        return int(self._lookup[int(row) * s.nx + int(col)])

    def sample_points(
        self, grid_index: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Uniform random (lon, lat) inside each given grid: a random cell, then jitter."""
        g = np.asarray(grid_index, dtype=np.int64)
        if g.size and (g.min() < 0 or g.max() >= len(self.grids)):
            raise ValueError("grid index out of range")
        start = self._grid_start[g]
        count = self._grid_start[g + 1] - start
        pick = start + np.minimum((rng.random(g.shape) * count).astype(np.int64), count - 1)
        cell = self._cells_by_grid[pick]
        s = self.spec
        fx = _EDGE + (1 - 2 * _EDGE) * rng.random(g.shape)
        fy = _EDGE + (1 - 2 * _EDGE) * rng.random(g.shape)
        return s.x0 + (cell % s.nx + fx) * s.dx, s.y0 + (cell // s.nx + fy) * s.dy

    # -- derived rasters and polygons ---------------------------------------------------
    def level_raster(self, level: str) -> np.ndarray:
        """(ny, nx) int32 raster of row indices into the level's table, -1 outside."""
        grid = self.raster.astype(np.int32)
        if level == "grid":
            return grid
        if level == "village":
            mapping = self._index_of(self.villages["code"], self.grids["village_code"])
        elif level == "town":
            mapping = self._index_of(self.towns["code"], self.grids["town_code"])
        else:
            raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
        lookup = np.append(mapping.astype(np.int32), np.int32(-1))
        return lookup[grid]  # grid -1 reads the appended -1

    @staticmethod
    def _index_of(codes: pl.Series, wanted: pl.Series) -> np.ndarray:
        position = {c: i for i, c in enumerate(codes.to_list())}
        return np.array([position[c] for c in wanted.to_list()], dtype=np.int64)

    def polygons(self, level: str) -> np.ndarray:
        """Exact shapely polygons of a level (row order of its table), built once and cached."""
        with self._lock:
            if level not in self._polygons:
                table = self._table(level)
                self._polygons[level] = region_polygons(
                    self.level_raster(level), len(table), self.spec
                )
            return self._polygons[level]

    def _table(self, level: str) -> pl.DataFrame:
        if level not in _TABLES:
            raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
        return getattr(self, _TABLES[level])

    def geojson(self, level: str, tolerance_deg: float = 0.0) -> dict[str, Any]:
        """FeatureCollection of a level ("town" | "village" | "grid") with its table's columns
        as properties; `tolerance_deg` > 0 simplifies the level as one gap-free coverage."""
        table = self._table(level)
        shapes = display_polygons(self.polygons(level), tolerance_deg)
        props = table.with_columns(pl.lit(level).alias("level")).to_dicts()
        return feature_collection(shapes, props)

    # -- persistence --------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Parquet tables, the raster as .npz and one GeoJSON file per level.

        Each file is written to a temporary name and renamed into place, and raster.npz comes
        last: a reader that finds raster.npz finds complete tables beside it.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for level in LEVELS:
            name = _TABLES[level]
            _atomic_write(directory / f"{name}.parquet", _parquet_bytes(self._table(level)))
            text = json.dumps(self.geojson(level), ensure_ascii=False, separators=(",", ":"))
            _atomic_write(directory / f"{name}.geojson", text.encode("utf-8"))
        arrays = {
            "raster": self.raster,
            "spec": np.array(json.dumps(self.spec.to_dict())),
            "version": np.array(LAYOUT_VERSION),
        }
        _atomic_write(directory / "raster.npz", _npz_bytes(arrays))

    @classmethod
    def load(cls, directory: Path) -> DistrictLayout:
        directory = Path(directory)
        with np.load(directory / "raster.npz") as npz:
            if int(npz["version"]) != LAYOUT_VERSION:
                raise ValueError(f"layout in {directory} is version {int(npz['version'])}")
            raster = npz["raster"]
            spec = RasterSpec(**json.loads(str(npz["spec"])))
        tables = [pl.read_parquet(directory / f"{_TABLES[level]}.parquet") for level in LEVELS]
        return cls(*tables, raster=raster, spec=spec)


def _parquet_bytes(table: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table.write_parquet(buffer, statistics=False)
    return buffer.getvalue()


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz that np.load reads, with fixed zip timestamps so equal arrays give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(2019, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build_layout() -> DistrictLayout:
    """Build the layout from the reference data; deterministic (same tables, same raster)."""
    built = build_geography()
    return DistrictLayout(built.towns, built.villages, built.grids, built.raster, built.spec)


_cache: dict[Path | None, DistrictLayout] = {}
_cache_lock = threading.Lock()


def get_layout(cache_dir: Path | None = None) -> DistrictLayout:
    """The process-wide layout. With `cache_dir`, load it from there when saved (and current),
    else build it and save it there for the next process."""
    key = Path(cache_dir).resolve() if cache_dir is not None else None
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        layout = None
        if key is not None and (key / "raster.npz").exists():
            try:
                layout = DistrictLayout.load(key)
            except Exception:  # stale or damaged cache (any reader error): rebuild below
                layout = None
        if layout is None:
            # Any layout built in this process is the same layout (the build is deterministic).
            layout = next(iter(_cache.values()), None) or build_layout()
            if key is not None:
                layout.save(key)
        _cache[key] = layout
        return layout
