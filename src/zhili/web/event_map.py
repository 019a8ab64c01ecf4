"""The event detail's small map: the district's towns from our own geometry (/web/geo), the
event's grid outlined (/web/geo/grid/{code}.json) and its point (static/event_map.js).
No tile layer: ui.leaflet adds OpenStreetMap's by default and it is removed before the map
is sent, so nothing is fetched beyond this server."""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from zhili.config import get_settings

# The screen's dot colours by severity (static/screen.js).
POINT_COLOR = {1: "#38bdf8", 2: "#facc15", 3: "#fb923c", 4: "#ef4444"}


def map_config(e: dict[str, Any]) -> dict[str, Any]:
    """What the browser draws: only the event's point, its grid and town codes."""
    area = e.get("area_code") or ""
    return {
        "lon": e.get("lon"),
        "lat": e.get("lat"),
        "grid": area if len(area) == 15 else None,
        "town": area[:9],
        "color": POINT_COLOR.get(e.get("severity") or 1, "#38bdf8"),
    }


def event_map(e: dict[str, Any], title: str) -> ui.leaflet:
    cfg = map_config(e)
    center = (cfg["lat"], cfg["lon"]) if cfg["lat"] is not None else (30.40, 120.02)
    ui.label(title).classes("text-sm font-bold mt-1")
    with ui.element("div").classes("w-full").props('data-testid="event-map"'):
        m = ui.leaflet(
            center=center,
            zoom=14,
            options={"attributionControl": False, "zoomControl": False},
            additional_resources=["/zhili-static/event_map.js"],
        ).classes("w-full h-56 rounded")
    m.clear_layers()  # no OpenStreetMap tiles: the district may be air-gapped
    tile_url = get_settings().tile_url
    if tile_url:
        m.tile_layer(url_template=tile_url)
    js = f"zhiliEventMap.draw({m.id}, {json.dumps(cfg)})"
    m.on("init", lambda: ui.run_javascript(js))
    return m
