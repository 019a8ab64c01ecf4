"""分析研判 The analyst's page: the three rates (response, resolution, satisfaction) by town and
by department from events.stats, and warnings from models and devices with their reasons."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from nicegui import ui

from zhili.events.stats import rates
from zhili.geo import get_layout
from zhili.web.context import WebContext
from zhili.web.event_view import local_time
from zhili.web.guard import PAGE_ACTIONS, PageCtx, enter
from zhili.web.kpi_data import latest_warnings, warning_counts
from zhili.web.layout import empty, frame

ACTION = "event.stats"


def register(web: WebContext) -> None:
    PAGE_ACTIONS["/kpi"] = ACTION

    @ui.page("/kpi")
    async def kpi_page(request: Request, lang: str = "zh"):  # type: ignore[no-untyped-def]
        p = await enter(web, request, ACTION, lang)
        if not isinstance(p, PageCtx):
            return p
        await build(web, p)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def _rate_rows(items: list[dict[str, Any]], key: str, names: dict[str, str]) -> list[dict]:
    return [
        {
            "key": names.get(r[key], r[key]),
            "events": f"{r['events']:,}",
            "response": _pct(r["response_rate"]),
            "resolution": _pct(r["resolution_rate"]),
            "on_time": _pct(r["on_time_rate"]),
            "satisfaction": _pct(r["satisfaction_rate"]),
        }
        for r in items
    ]


async def build(web: WebContext, p: PageCtx) -> None:
    frame(p, "nav_kpi")

    def read(s, a):  # type: ignore[no-untyped-def]
        area = a.scope or None
        return (
            rates(s, a, "town", area=area),
            rates(s, a, "department", area=area),
            warning_counts(s, a, lang=p.lang),
            latest_warnings(s, web.privacy, a, lang=p.lang) if p.can("event.list") else [],
        )

    answer = await p.call(read)
    if answer is None:
        return
    towns, departments, counts, latest = answer
    town_names = dict(zip(get_layout().towns["code"], get_layout().towns["name"], strict=True))
    with ui.row().classes("w-full gap-3 p-2 items-start"):
        with ui.column().classes("grow min-w-[480px] gap-3"):
            with ui.card().classes("w-full"):
                ui.label(p.t("kpi_town")).classes("text-base font-bold")
                _rates_table(p, _rate_rows(towns, "town", town_names), "kpi-town")
                if towns:
                    _rates_chart(p, towns, town_names)
            with ui.card().classes("w-full"):
                ui.label(p.t("kpi_department")).classes("text-base font-bold")
                _rates_table(p, _rate_rows(departments, "department", {}), "kpi-department")
        with ui.column().classes("w-[440px] gap-3"), ui.card().classes("w-full"):
            ui.label(p.t("warnings")).classes("text-base font-bold")
            if not counts:
                empty(p.t("no_warnings"))
            for c in counts:
                with ui.row().classes("w-full justify-between text-sm"):
                    ui.label(f"{c['category']} ({c['channel']})")
                    ui.label(f"{c['count']:,}").classes("font-bold")
            for w in latest:
                with ui.column().classes("w-full gap-0 border-t pt-1"):
                    ui.label(f"{w['id']} · {w['category']} · {local_time(w['at'])}").classes(
                        "text-xs font-bold"
                    )
                    ui.label(w["reasons"] or "").classes("text-xs text-gray-700")


def _rates_table(p: PageCtx, rows: list[dict], testid: str) -> None:
    if not rows:
        empty(p.t("no_events"))
        return
    columns = [
        {"name": "key", "label": "", "field": "key", "align": "left"},
        {"name": "events", "label": p.t("col_events"), "field": "events"},
        {"name": "response", "label": p.t("col_response"), "field": "response"},
        {"name": "resolution", "label": p.t("col_resolution"), "field": "resolution"},
        {"name": "on_time", "label": p.t("col_on_time"), "field": "on_time"},
        {"name": "satisfaction", "label": p.t("col_satisfaction"), "field": "satisfaction"},
    ]
    ui.table(columns=columns, rows=rows, row_key="key", pagination=10).classes("w-full").props(
        f'dense flat data-testid="{testid}"'
    )


def _rates_chart(p: PageCtx, towns: list[dict], names: dict[str, str]) -> None:
    labels = [names.get(r["town"], r["town"]) for r in towns]

    def series(key: str, name: str) -> dict:
        values = [round((r[key] or 0) * 100, 1) for r in towns]
        return {"type": "bar", "name": name, "data": values}

    ui.echart(
        {
            "tooltip": {"trigger": "axis"},
            "legend": {},
            "grid": {"left": 40, "right": 10, "top": 40, "bottom": 70},
            "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 50}},
            "yAxis": {"type": "value", "max": 100},
            "series": [
                series("response_rate", p.t("col_response")),
                series("resolution_rate", p.t("col_resolution")),
                series("satisfaction_rate", p.t("col_satisfaction")),
            ],
        }
    ).classes("w-full h-72")
