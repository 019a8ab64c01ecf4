"""Polygons derived from the raster: each region is the exact union of its cells.

Deriving shapes from the raster (never the other way round) keeps display and point lookup in
agreement. Cells share bit-identical corners, so a region is a GEOS *coverage union* of its
cells (fast, exact), and a whole level stays a valid coverage for coverage simplification.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from .raster import RasterSpec


def region_polygons(labels: np.ndarray, n_labels: int, spec: RasterSpec) -> np.ndarray:
    """Array of `n_labels` shapely geometries, one per label of the (ny, nx) label raster.

    Vertices are kept on every cell corner of the boundary, so neighbouring polygons share
    their vertices exactly (what `shapely.coverage_simplify` needs).
    """
    flat = labels.ravel()
    cells = np.flatnonzero(flat >= 0)
    order = np.argsort(flat[cells], kind="stable")
    cells = cells[order]
    bounds = np.searchsorted(flat[cells], np.arange(n_labels + 1))
    xe, ye = spec.edges()
    col, row = cells % spec.nx, cells // spec.nx
    boxes = shapely.box(xe[col], ye[row], xe[col + 1], ye[row + 1])
    out = np.empty(n_labels, dtype=object)
    for i in range(n_labels):
        out[i] = shapely.coverage_union_all(boxes[bounds[i] : bounds[i + 1]])
    return out


def display_polygons(polygons: np.ndarray, tolerance_deg: float = 0.0) -> np.ndarray:
    """Polygons for display: staircase vertices merged, optionally simplified as a coverage.

    Simplifying the level as one coverage keeps neighbours' shared borders identical, so
    simplified maps have neither gaps nor overlaps.
    """
    if tolerance_deg > 0:
        polygons = shapely.coverage_simplify(polygons, tolerance_deg)
    # Tolerance 0 only drops collinear vertices along straight runs of cell edges.
    return shapely.orient_polygons(shapely.simplify(polygons, 0.0))


def _rings(geom: shapely.Geometry, digits: int) -> list[Any]:
    def ring(r: shapely.LinearRing) -> list[list[float]]:
        return np.round(np.asarray(r.coords), digits).tolist()

    return [ring(geom.exterior), *(ring(h) for h in geom.interiors)]


def to_geojson_geometry(geom: shapely.Geometry, digits: int = 6) -> dict[str, Any]:
    """GeoJSON geometry dict with rounded coordinates (RFC 7946: exteriors counter-clockwise)."""
    if geom.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": _rings(geom, digits)}
    if geom.geom_type == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [_rings(g, digits) for g in geom.geoms]}
    raise ValueError(f"unexpected geometry {geom.geom_type}")


def feature_collection(
    polygons: np.ndarray, properties: list[dict[str, Any]], digits: int = 6
) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": props.get("code"),
                "properties": props,
                "geometry": to_geojson_geometry(geom, digits),
            }
            for geom, props in zip(polygons, properties, strict=True)
        ],
    }
