"""实时指挥大屏 The big screen: the district map from our own geometry with every on-duty
worker and every open event as canvas dots (static/screen.js), live counters and ECharts
charts, all kept current by the one shared live feed (web/live.py)."""

from __future__ import annotations

import json

from fastapi import Request
from nicegui import ui

from zhili.config import get_settings
from zhili.events.categories import tree
from zhili.web.context import WebContext
from zhili.web.guard import PAGE_ACTIONS, PageCtx, enter
from zhili.web.layout import frame
from zhili.web.screen_data import counters

ACTION = "event.dispatch"
COUNTERS = ("open", "sev4", "sev3", "sev2", "sev1", "overdue", "today", "closed_today", "on_duty")
_DARK_CARD = "bg-[#10244a] text-white"


def register(web: WebContext) -> None:
    PAGE_ACTIONS["/screen"] = ACTION

    @ui.page("/screen")
    async def screen_page(request: Request, lang: str = "zh"):  # type: ignore[no-untyped-def]
        p = await enter(web, request, ACTION, lang)
        if not isinstance(p, PageCtx):
            return p
        await build(web, p)


async def build(web: WebContext, p: PageCtx) -> None:
    frame(p, "nav_screen", dark=True)
    first = await p.call(lambda s, a: counters(s, a)) or {}
    with ui.row().classes("w-full no-wrap gap-2 p-2 text-white"):
        with ui.column().classes("w-56 gap-2"):
            for key in COUNTERS:
                with ui.card().classes(f"w-full py-1 px-3 {_DARK_CARD}"):
                    ui.label(f"{first.get(key, 0):,}").classes("text-2xl font-bold").props(
                        f'data-counter="{key}"'
                    )
                    ui.label(p.t(f"c_{key}")).classes("text-xs text-blue-200")
        with ui.column().classes("grow gap-1"):
            status = ui.label(p.t("loading")).classes("text-xs text-blue-200")
            status.props('data-testid="map-status" data-loaded="0"')
            m = (
                ui.leaflet(
                    center=(30.40, 120.02),
                    zoom=10.5,
                    options={
                        "attributionControl": False,
                        "zoomSnap": 0.25,
                        "preferCanvas": True,
                        "zoomAnimation": False,
                    },
                    additional_resources=["/zhili-static/screen.js"],
                )
                .classes("w-full h-[820px]")
                .style("background:#0b1730")
            )
            m.clear_layers()  # no basemap tiles by default: the district may be air-gapped
            tile_url = get_settings().tile_url
            if tile_url:
                m.tile_layer(url_template=tile_url)
            _legend(p)
        with ui.column().classes("w-[440px] gap-2"):
            charts = _charts(p)
    await m.initialized()
    feed = web.feed
    if feed is not None:
        feed.subscribe(ui.context.client, p.actor, p.lang)
    cfg = {
        "snapshot": "/web/screen/snapshot",
        "workbench": "/workbench",
        "charts": {k: c.id for k, c in charts.items()},
        "categories": {c.code: c.name(p.lang) for c in tree().categories.values()},
        "text": {k: p.t(k) for k in ("severity", "overdue", "open", "error")},
    }
    ui.run_javascript(f"zhiliScreen.init({m.id}, {json.dumps(cfg, ensure_ascii=False)})")
    if feed is not None:
        data = await feed.charts_for(p.actor, p.lang)
        ui.run_javascript(f"zhiliScreen.charts({json.dumps(data, ensure_ascii=False)})")


def _legend(p: PageCtx) -> None:
    with ui.row().classes("gap-4 text-xs text-blue-100"):
        for color, key in (
            ("#22c55e", "legend_worker"),
            ("#38bdf8", "legend_sev1"),
            ("#facc15", "legend_sev2"),
            ("#fb923c", "legend_sev3"),
            ("#ef4444", "legend_sev4"),
            ("#ff2d2d", "legend_alarm"),
        ):
            with ui.row().classes("items-center gap-1"):
                ui.element("span").style(
                    f"display:inline-block;width:10px;height:10px;border-radius:5px;background:{color}"
                )
                ui.label(p.t(key))


def _chart(title: str, option: dict) -> ui.echart:
    base = {
        "animation": False,  # a wall screen redraws often: no animation frames to paint
        "title": {"text": title, "textStyle": {"color": "#e2e8f0", "fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 80, "right": 10, "top": 30, "bottom": 30},
        "textStyle": {"color": "#cbd5e1"},
    }
    return ui.echart(base | option).classes("w-full h-48")


def _charts(p: PageCtx) -> dict[str, ui.echart]:
    out: dict[str, ui.echart] = {}
    with ui.card().classes(f"w-full p-1 {_DARK_CARD}"):
        out["family"] = _chart(
            p.t("chart_family"),
            {
                "xAxis": {"type": "value"},
                "yAxis": {"type": "category", "data": [], "inverse": True},
                "series": [{"type": "bar", "data": [], "itemStyle": {"color": "#38bdf8"}}],
            },
        )
    with ui.card().classes(f"w-full p-1 {_DARK_CARD}"):
        out["town"] = _chart(
            p.t("chart_town"),
            {
                "grid": {"left": 40, "right": 10, "top": 30, "bottom": 60},
                "xAxis": {"type": "category", "data": [], "axisLabel": {"rotate": 60}},
                "yAxis": {"type": "value"},
                "series": [{"type": "bar", "data": [], "itemStyle": {"color": "#a78bfa"}}],
            },
        )
    with ui.card().classes(f"w-full p-1 {_DARK_CARD}"):
        out["day"] = _chart(
            p.t("chart_day"),
            {
                "grid": {"left": 40, "right": 10, "top": 30, "bottom": 30},
                "xAxis": {"type": "category", "data": []},
                "yAxis": {"type": "value"},
                "series": [{"type": "line", "data": [], "areaStyle": {}}],
            },
        )
    with ui.card().classes(f"w-full p-1 {_DARK_CARD}"):
        out["s11"] = _chart(
            p.t("chart_s11"),
            {
                "grid": {"left": 40, "right": 10, "top": 50, "bottom": 30},
                "legend": {"top": 20, "textStyle": {"color": "#cbd5e1"}},
                "xAxis": {"type": "category", "data": []},
                "yAxis": {"type": "value"},
                "series": [],
            },
        )
    return out
