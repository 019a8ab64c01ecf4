"""The district at a glance: its areas and counts, for the first page and /api/district.

Aggregates only (no person's data), read from the twin's summary and the district layout.
When the data hub lands (ingest, fusion), the counts come from the fused master data instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl

from zhili.geo import DistrictLayout, get_layout


@dataclass(frozen=True)
class DistrictOverview:
    towns: int
    villages: int
    grids: int
    area_km2: float
    counts: dict[str, int] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)
    scale: float | None = None
    town_table: list[dict] = field(default_factory=list)


def twin_summary(data: Path) -> dict | None:
    path = data / "twin" / "summary.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def layout_for(data: Path) -> DistrictLayout:
    geo = data / "twin" / "geo"
    return get_layout(geo if geo.exists() else None)


def district_overview(data: Path) -> DistrictOverview:
    layout = layout_for(data)
    summary = twin_summary(data) or {}
    towns = _town_rows(data, layout)
    return DistrictOverview(
        towns=layout.towns.height,
        villages=layout.villages.height,
        grids=layout.grids.height,
        area_km2=round(float(layout.towns["area_km2"].sum()), 1),
        counts=summary.get("counts", {}),
        sources=[
            {k: s[k] for k in ("name", "department", "title", "format", "records")}
            for s in summary.get("sources", [])
        ],
        scale=summary.get("scale"),
        town_table=towns,
    )


def _town_rows(data: Path, layout: DistrictLayout) -> list[dict]:
    """Per town: area, and residents and grids when a twin exists."""
    t = layout.towns.select("code", "name", pl.col("area_km2").round(1))
    grids = layout.grids.group_by(pl.col("town_code").alias("code")).len("grids")
    t = t.join(grids, on="code", how="left")
    persons = data / "twin" / "truth" / "persons.parquet"
    if persons.exists():
        residents = (
            pl.scan_parquet(persons)
            .group_by(pl.col("town_code").alias("code"))
            .len("residents")
            .collect()
        )
        t = t.join(residents, on="code", how="left").with_columns(pl.col("residents").fill_null(0))
    return t.sort("code").to_dicts()


@lru_cache(maxsize=4)
def district_geojson(data: Path, level: str) -> dict:
    """Simplified outlines for drawing (the raster stays the authority for lookups)."""
    return layout_for(data).geojson(level, tolerance_deg=0.0008 if level == "town" else 0.0004)
