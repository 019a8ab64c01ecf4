"""市民服务 The citizen portal: submit a request (the Open311 services: the public categories),
follow it with its timeline, rate the outcome, and see who viewed my data (privacy.citizen)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import Request
from nicegui import ui

from zhili.events.categories import tree
from zhili.events.queries import get_event, list_events
from zhili.events.schemas import EventIn
from zhili.events.workflow import ActionIn, act
from zhili.geo import get_layout
from zhili.privacy.citizen import data_access_report
from zhili.web.context import WebContext
from zhili.web.event_map import event_map
from zhili.web.event_view import detail, local_time
from zhili.web.guard import PAGE_ACTIONS, PageCtx, enter
from zhili.web.layout import empty, frame
from zhili.web.pages.mobile import GEOLOCATE
from zhili.web.queues import actions_now
from zhili.web.reporting import submit_report

ACTION = "event.read_own"


def register(web: WebContext) -> None:
    PAGE_ACTIONS["/citizen"] = ACTION

    @ui.page("/citizen")
    async def citizen_page(request: Request, lang: str = "zh"):  # type: ignore[no-untyped-def]
        p = await enter(web, request, ACTION, lang)
        if not isinstance(p, PageCtx):
            return p
        await Portal(web, p).build()


class Portal:
    def __init__(self, web: WebContext, p: PageCtx) -> None:
        self.web, self.p = web, p
        self.mine: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self.event: dict[str, Any] | None = None
        self.form: dict[str, Any] = {
            "service": None,
            "description": "",
            "area": None,
            "name": "",
            "contact": "",
            "point": None,
        }

    async def build(self) -> None:
        p = self.p
        ui.add_head_html('<meta name="viewport" content="width=device-width, initial-scale=1">')
        frame(p, "nav_citizen")
        await self.load()
        with ui.row().classes("w-full gap-3 p-2 items-start"):
            with ui.column().classes("grow min-w-[340px] max-w-[560px] gap-3"):
                with ui.card().classes("w-full"):
                    ui.label(p.t("new_request")).classes("text-base font-bold")
                    self.request_form()
                with ui.card().classes("w-full"):
                    ui.label(p.t("my_requests")).classes("text-base font-bold")
                    self.mine_view()
            with ui.column().classes("grow min-w-[340px] gap-3"):
                with ui.card().classes("w-full"):
                    self.detail_view()
                with ui.card().classes("w-full"):
                    ui.label(p.t("who_viewed")).classes("text-base font-bold")
                    self.views_view()

    async def load(self) -> None:
        p = self.p

        def read(s, a):  # type: ignore[no-untyped-def]
            mine = list_events(s, self.web.privacy, a, limit=100, lang=p.lang)["items"]
            views = [asdict(v) for v in data_access_report(s, self.web.privacy, a)]
            return mine, views

        answer = await p.call(read)
        if answer:
            self.mine, self.views = answer

    def request_form(self) -> None:
        p = self.p
        services = {c.code: c.name(p.lang) for c in tree().categories.values() if c.public}
        villages = get_layout().villages
        areas = dict(zip(villages["code"].to_list(), villages["name"].to_list(), strict=True))
        ui.select(services, label=p.t("service"), with_input=True).bind_value(
            self.form, "service"
        ).props('dense outlined data-testid="service"').classes("w-full")
        ui.textarea(p.t("description")).bind_value(self.form, "description").props(
            'dense outlined rows=3 data-testid="request-text"'
        ).classes("w-full")
        with ui.row().classes("w-full items-center no-wrap gap-2"):
            ui.select(areas, label=p.t("address"), with_input=True).bind_value(
                self.form, "area"
            ).props('dense outlined data-testid="area"').classes("grow")
            ui.button(icon="my_location", on_click=self.locate).props(
                f'dense flat aria-label="{p.t("use_position")}" data-testid="locate"'
            )
        with ui.row().classes("w-full no-wrap gap-2"):
            ui.input(p.t("reporter")).bind_value(self.form, "name").props("dense outlined")
            ui.input("☎").bind_value(self.form, "contact").props("dense outlined")
        ui.button(p.t("submit"), icon="send", on_click=self.submit).props(
            'color="primary" data-testid="submit-request"'
        ).classes("w-full")

    async def locate(self) -> None:
        got = await ui.run_javascript(GEOLOCATE, timeout=10)
        if got:
            self.form["point"] = (float(got[0]), float(got[1]))
            ui.notify(f"{self.p.t('position')}: {got[1]:.5f}, {got[0]:.5f}")

    async def submit(self) -> None:
        p, f = self.p, self.form
        if not f["service"]:
            ui.notify(p.t("need_category"), type="warning")
            return
        point = f["point"]
        if point is None and not f["area"]:
            ui.notify(p.t("need_position"), type="warning")
            return
        try:
            payload = EventIn(
                category=f["service"],
                description=f["description"],
                lon=point[0] if point else None,
                lat=point[1] if point else None,
                area_code=None if point else f["area"],
                reporter_name=f["name"] or None,
                reporter_contact=f["contact"] or None,
            )
        except ValueError as exc:
            ui.notify(str(exc), type="warning")
            return
        outcome = await submit_report(p, payload, None)
        if outcome is not None:
            ui.notify(f"{p.t('reported')} {outcome.code}", type="positive")
            f.update(description="")
            await self.load()
            await self.open(outcome.code)
            self.mine_view.refresh()

    @ui.refreshable_method
    def mine_view(self) -> None:
        p = self.p
        if not self.mine:
            empty(p.t("no_requests"))
            return
        for e in self.mine:
            with ui.row().classes("w-full items-center justify-between no-wrap"):
                ui.label(f"{e['id']} · {e['category_name']}").classes("text-sm")
                ui.label(e["state_name"]).classes("text-xs text-blue-800")
                ui.button(p.t("follow"), on_click=lambda c=e["id"]: self.open(c)).props(
                    f'dense flat no-caps data-testid="follow-{e["id"]}"'
                )

    async def open(self, code: str) -> None:
        p = self.p
        self.event = await p.call(lambda s, a: get_event(s, self.web.privacy, a, code, p.lang))
        self.detail_view.refresh()

    @ui.refreshable_method
    def detail_view(self) -> None:
        p = self.p
        if not self.event:
            empty(p.t("pick_event"))
            return
        e = self.event
        # Where the citizen said it is, on our own map: the point and its grid, no tiles.
        detail(p, e, lambda: event_map(e, p.t("event_map")))
        if "rate" in actions_now(p.actor, self.event["state"], own=True):
            ui.separator()
            ui.label(p.t("rate_it")).classes("font-bold")
            score = {"value": 5}
            ui.rating(value=5, max=5).bind_value(score, "value").props(
                'size="md" data-testid="rating"'
            )
            ui.button(p.t("a_rate"), on_click=lambda: self.rate(score["value"])).props(
                'dense data-testid="rate"'
            )

    async def rate(self, value: int) -> None:
        p = self.p
        code = self.event["id"] if self.event else ""
        body = ActionIn(rating=int(value))
        done = await p.call(
            lambda s, a: act(s, self.web.events.state, self.web.privacy, a, code, "rate", body)
        )
        if done is not None:
            ui.notify(p.t("thanks"), type="positive")
            await self.load()
            await self.open(code)
            self.mine_view.refresh()

    @ui.refreshable_method
    def views_view(self) -> None:
        p = self.p
        if not self.views:
            empty(p.t("no_views"))
            return
        columns = [
            {"name": "at", "label": p.t("col_at"), "field": "when", "align": "left"},
            {"name": "department", "label": p.t("department"), "field": "department"},
            {"name": "role", "label": p.t("col_role"), "field": "role"},
            {"name": "basis", "label": p.t("col_basis"), "field": "legal_basis"},
            {"name": "purpose", "label": p.t("col_purpose"), "field": "purpose"},
            {"name": "case", "label": p.t("col_case"), "field": "case_id"},
        ]
        rows = [
            v | {"when": local_time(v["at"].isoformat()), "at": v["at"].isoformat(), "i": i}
            for i, v in enumerate(self.views)
        ]
        ui.table(columns=columns, rows=rows, row_key="i", pagination=10).classes("w-full").props(
            'dense flat data-testid="who-viewed"'
        )
