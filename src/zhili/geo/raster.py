"""The lon/lat raster that is the authoritative geometry of the district.

Cell (row, col) covers lon [x0 + col*dx, x0 + (col+1)*dx) and lat [y0 + row*dy, ...); row 0 is
the southernmost row. Every corner is computed by the same formula (`edges`), so cells that
touch share bit-identical vertices, which lets polygons be unioned as an exact coverage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

# Local metric frame for distances when partitioning: equirectangular about the district's
# middle latitude is within 0.5 % over the 45 km of the district, plenty for shaping regions.
LAT0 = 30.36
LON0 = 120.0


@dataclass(frozen=True)
class RasterSpec:
    x0: float
    y0: float
    dx: float
    dy: float
    nx: int
    ny: int

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cell_deg: float) -> RasterSpec:
        """A raster aligned to multiples of the cell size that covers `bounds` with a margin."""
        minx, miny, maxx, maxy = bounds
        x0 = (math.floor(minx / cell_deg) - 1) * cell_deg
        y0 = (math.floor(miny / cell_deg) - 1) * cell_deg
        nx = math.ceil((maxx - x0) / cell_deg) + 1
        ny = math.ceil((maxy - y0) / cell_deg) + 1
        return cls(round(x0, 9), round(y0, 9), cell_deg, cell_deg, nx, ny)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ny, self.nx)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell corner coordinates: (nx+1,) longitudes and (ny+1,) latitudes."""
        return (
            self.x0 + np.arange(self.nx + 1) * self.dx,
            self.y0 + np.arange(self.ny + 1) * self.dy,
        )

    def centers(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell centre coordinates: (nx,) longitudes and (ny,) latitudes."""
        return (
            self.x0 + (np.arange(self.nx) + 0.5) * self.dx,
            self.y0 + (np.arange(self.ny) + 0.5) * self.dy,
        )

    def cell_of(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Flat cell index (row * nx + col) per point, -1 outside the raster or not finite."""
        col = np.floor((np.asarray(lon, dtype=np.float64) - self.x0) * (1.0 / self.dx))
        row = np.floor((np.asarray(lat, dtype=np.float64) - self.y0) * (1.0 / self.dy))
        # NaN fails every comparison, so it lands outside without a separate check.
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        flat = np.full(col.shape, -1, dtype=np.int64)
        flat[ok] = row[ok].astype(np.int64) * self.nx + col[ok].astype(np.int64)
        return flat

    def to_dict(self) -> dict[str, float | int]:
        return {
            "x0": self.x0,
            "y0": self.y0,
            "dx": self.dx,
            "dy": self.dy,
            "nx": self.nx,
            "ny": self.ny,
        }


def km_per_degree(lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Length of one degree of longitude and of latitude at `lat`, in km (WGS-84 series)."""
    phi = np.radians(lat)
    lon_km = 111.41284 * np.cos(phi) - 0.0935 * np.cos(3 * phi) + 0.00012 * np.cos(5 * phi)
    lat_km = 111.13295 - 0.55982 * np.cos(2 * phi) + 0.00117 * np.cos(4 * phi)
    return lon_km, lat_km


def row_cell_area_km2(spec: RasterSpec) -> np.ndarray:
    """Area of one cell in each row (km²); cells shrink slightly northwards."""
    _, lat = spec.centers()
    lon_km, lat_km = km_per_degree(lat)
    return lon_km * spec.dx * lat_km * spec.dy


def to_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 2) local planar coordinates in km, for distance-based partitioning."""
    lon_km, lat_km = km_per_degree(LAT0)
    return np.column_stack(((lon - LON0) * lon_km, (lat - LAT0) * lat_km))


def rasterize(polygons: list[shapely.Polygon], spec: RasterSpec) -> np.ndarray:
    """int8 raster: index of the polygon holding each cell centre, -1 where none does."""
    xs, ys = spec.centers()
    gx, gy = np.meshgrid(xs, ys)
    out = np.full(spec.shape, -1, dtype=np.int8)
    for i, poly in enumerate(polygons):
        shapely.prepare(poly)
        inside = shapely.contains_xy(poly, gx, gy)
        out[inside & (out < 0)] = i  # first polygon wins where simplified outlines overlap
    return out
