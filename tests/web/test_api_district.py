"""The district API: aggregate counts and outlines, clear errors for bad requests."""

from __future__ import annotations

import httpx


def test_district_counts_match_the_twin(server: str, summary: dict) -> None:
    body = httpx.get(f"{server}/api/district").json()
    assert (body["towns"], body["villages"], body["grids"]) == (20, 367, 1590)
    assert body["counts"]["persons"] == summary["counts"]["persons"]
    assert len(body["sources"]) == 25
    assert sum(t["residents"] for t in body["town_table"]) == summary["counts"]["persons"]


def test_outlines_by_level(server: str) -> None:
    towns = httpx.get(f"{server}/api/district/geojson/town").json()
    assert towns["type"] == "FeatureCollection" and len(towns["features"]) == 20
    bad = httpx.get(f"{server}/api/district/geojson/county")
    assert bad.status_code == 404 and "town, village or grid" in bad.json()["detail"]
