"""Geography of the 2019 Yuhang district: towns, villages/communities and grids.

The division names and codes and the district outline are real; everything finer (where a
town's villages and grids lie) is a synthetic but plausible partition, built deterministically
on a raster that is the authoritative geometry: `DistrictLayout.locate` answers from it and
the polygons are derived from it. Coordinates are WGS-84 everywhere; GCJ-02 conversion
(`coords.wgs84_to_gcj02`) happens only for display on basemaps that need it.
"""

from .coords import gcj02_to_wgs84, wgs84_to_gcj02
from .divisions import DISTRICT_CODE, Town, Village, load_divisions
from .layout import DistrictLayout, build_layout, get_layout

__all__ = [
    "DISTRICT_CODE",
    "DistrictLayout",
    "Town",
    "Village",
    "build_layout",
    "gcj02_to_wgs84",
    "get_layout",
    "load_divisions",
    "wgs84_to_gcj02",
]
