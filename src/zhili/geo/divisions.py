"""The real 2019 division list (towns, villages/communities) and the county outlines."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import shapely
from shapely.geometry import shape

DISTRICT_CODE = "330110"
_DATA = resources.files("zhili.geo") / "data"
DIVISIONS_FILE = "yuhang-2019-divisions.csv"
BOUNDARY_FILE = "yuhang-2019-boundary.geojson"

# Today's county names in the outline file: Linping (临平区) was split off Yuhang in 2021.
LINPING = "临平区"
YUHANG = "余杭区"


@dataclass(frozen=True)
class Town:
    """A town or sub-district (镇街), code of 9 digits."""

    code: str
    name: str
    kind: str  # "street" (街道) or "town" (镇)


@dataclass(frozen=True)
class Village:
    """A village (村) or residents' community (社区), code of 12 digits."""

    code: str
    name: str
    short_name: str  # without the committee suffix: 谢村村委会 -> 谢村村
    town_code: str
    kind: str  # "community" | "village"


def short_name(name: str) -> str:
    """Strip the committee suffix: XX社区居委会 -> XX社区, XX居委会 -> XX, 谢村村委会 -> 谢村村."""
    for suffix in ("居民委员会", "村民委员会", "居委会", "委会"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _town_kind(name: str) -> str:
    return "street" if name.endswith("街道") else "town"


@cache
def _read_divisions() -> tuple[tuple[Town, ...], tuple[Village, ...]]:
    text = (_DATA / DIVISIONS_FILE).read_text(encoding="utf-8")
    towns: dict[str, Town] = {}
    villages: list[Village] = []
    for row in csv.DictReader(io.StringIO(text)):
        town_code = row["town_code9"]
        towns.setdefault(town_code, Town(town_code, row["town_name"], _town_kind(row["town_name"])))
        kind = "community" if row["kind"].startswith("社区") else "village"
        villages.append(
            Village(row["code12"], row["name"], short_name(row["name"]), town_code, kind)
        )
    # Code order is the national order; everything downstream relies on it being stable.
    return (
        tuple(sorted(towns.values(), key=lambda t: t.code)),
        tuple(sorted(villages, key=lambda v: v.code)),
    )


def load_divisions() -> tuple[list[Town], list[Village]]:
    """The 20 towns and 367 villages/communities of Yuhang district as of 2019, by code."""
    towns, villages = _read_divisions()
    return list(towns), list(villages)


@cache
def load_counties() -> dict[str, shapely.Polygon]:
    """Today's two county outlines (WGS-84 / CGCS2000); their union is the 2019 district."""
    data = json.loads((_DATA / BOUNDARY_FILE).read_text(encoding="utf-8"))
    out: dict[str, shapely.Polygon] = {}
    for feature in data["features"]:
        geom = shape(feature["geometry"])
        if geom.geom_type == "MultiPolygon":
            # Each outline is a single part; keep the largest if that ever changes.
            geom = max(geom.geoms, key=lambda g: g.area)
        out[feature["properties"]["name"]] = geom
    return out
