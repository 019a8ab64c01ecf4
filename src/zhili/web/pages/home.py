"""The first page: the district map (drawn from our own geometry, no tiles) and its counts."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import RedirectResponse
from nicegui import ui

from zhili.config import get_settings
from zhili.hub.overview import district_geojson, district_overview
from zhili.privacy.actors import ANONYMOUS
from zhili.privacy.policy import authorize
from zhili.web.i18n import t

_COUNT_KEYS = [
    "persons",
    "migrants",
    "houses",
    "enterprises",
    "grid_workers_full_time",
    "grid_workers_part_time",
    "devices",
    "events_history",
]


def register(data: Path) -> None:
    @ui.page("/")
    def root(lang: str = "zh"):  # type: ignore[no-untyped-def]
        if get_settings().demo:  # the demo opens on the big screen (log in first)
            return RedirectResponse(f"/screen?lang={'en' if lang == 'en' else 'zh'}")
        overview(lang)

    @ui.page("/overview")
    def overview_page(lang: str = "zh") -> None:
        overview(lang)

    def overview(lang: str) -> None:
        lang = "en" if lang == "en" else "zh"
        # Aggregates only; still through the one authorization path (pages log in with #7).
        authorize(ANONYMOUS, "district.read")
        overview = district_overview(data)
        ui.query("body").style("background:#f5f7fa")
        with ui.header().classes("items-center justify-between bg-blue-900"):
            ui.label(t("title", lang)).classes("text-lg font-bold")
            with ui.row().classes("gap-4"):
                ui.link(t("login", lang), f"/login?lang={lang}").classes("text-white")
                ui.link(
                    "English" if lang == "zh" else "中文", f"?lang={'en' if lang == 'zh' else 'zh'}"
                ).classes("text-white")
        with ui.row().classes("w-full no-wrap gap-4 p-2"):
            with ui.card().classes("w-3/5"):
                ui.label(t("map", lang)).classes("text-base font-bold")
                _map(data)
            with ui.column().classes("w-2/5"):
                _counts(overview, lang)
                _towns(overview, lang)
        _sources(overview, lang)


def _map(data: Path) -> None:
    m = ui.leaflet(
        center=(30.37, 120.01), zoom=10.5, options={"attributionControl": False, "zoomSnap": 0.25}
    ).classes("w-full h-[560px]")
    m.clear_layers()  # no basemap tiles: a district may be air-gapped
    tile_url = get_settings().tile_url
    if tile_url:
        m.tile_layer(url_template=tile_url)
    villages = district_geojson(data, "village")
    towns = district_geojson(data, "town")
    m.generic_layer(
        name="geoJSON",
        args=[
            villages,
            {
                "style": {
                    "color": "#7a8ca5",
                    "weight": 0.6,
                    "fillColor": "#dfe8f3",
                    "fillOpacity": 0.6,
                }
            },
        ],
    )
    m.generic_layer(
        name="geoJSON", args=[towns, {"style": {"color": "#1e3a8a", "weight": 2, "fillOpacity": 0}}]
    )


def _counts(overview, lang: str) -> None:
    with ui.card().classes("w-full"):
        ui.label(t("counts", lang)).classes("text-base font-bold")
        with ui.grid(columns=3).classes("w-full"):
            for key, value in (
                ("towns", overview.towns),
                ("villages", overview.villages),
                ("grids", overview.grids),
            ):
                _stat(t(key, lang), f"{value:,}")
            if not overview.counts:
                ui.label(t("no_twin", lang)).classes("col-span-3 text-red-700")
            for key in _COUNT_KEYS:
                if key in overview.counts:
                    _stat(t(key, lang), f"{overview.counts[key]:,}")
        if overview.scale is not None:
            ui.label(
                f"{t('scale', lang)}: {overview.scale} · {t('area', lang)}: {overview.area_km2:,}"
            ).classes("text-xs text-gray-500")


def _stat(label: str, value: str) -> None:
    with ui.column().classes("gap-0"):
        ui.label(value).classes("text-xl font-bold text-blue-900").props('data-testid="stat"')
        ui.label(label).classes("text-xs text-gray-600")


def _towns(overview, lang: str) -> None:
    cols = [
        {"name": "name", "label": t("town", lang), "field": "name", "align": "left"},
        {"name": "area_km2", "label": t("area", lang), "field": "area_km2"},
        {"name": "grids", "label": t("grids", lang), "field": "grids"},
    ]
    if overview.town_table and "residents" in overview.town_table[0]:
        cols.append({"name": "residents", "label": t("residents", lang), "field": "residents"})
    ui.table(columns=cols, rows=overview.town_table, row_key="code", pagination=10).classes(
        "w-full"
    ).props("dense flat")


def _sources(overview, lang: str) -> None:
    if not overview.sources:
        return
    with ui.card().classes("m-2"):
        ui.label(f"{t('sources', lang)} ({len(overview.sources)})").classes("text-base font-bold")
        cols = [
            {
                "name": "department",
                "label": t("department", lang),
                "field": "department",
                "align": "left",
            },
            {"name": "title", "label": t("system", lang), "field": "title", "align": "left"},
            {"name": "format", "label": t("format", lang), "field": "format"},
            {"name": "records", "label": t("records", lang), "field": "records"},
        ]
        ui.table(columns=cols, rows=overview.sources, row_key="name").classes("w-full").props(
            "dense flat"
        )
