"""调度工作台 The dispatcher's workbench: queues by state with the overdue first and the nearest
deadline next, one event with its point on a small map and its timeline (masked per role by
events.queries), and the actions the state and the role allow, each through
events.workflow.act (the REST API's function), one at a time (web/busy.py). Merging offers the
open events of the same village as the incident to join."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from nicegui import ui

from zhili.events.queries import get_event, list_events
from zhili.events.workflow import ActionIn, act
from zhili.web.busy import Busy
from zhili.web.context import WebContext
from zhili.web.event_map import event_map
from zhili.web.event_view import SEVERITY_COLOR, detail, local_time
from zhili.web.guard import PAGE_ACTIONS, PageCtx, enter
from zhili.web.layout import empty, frame
from zhili.web.queues import QUEUES, actions_now, departments, queue_counts, rank_nearby
from zhili.web.search_panel import SearchPanel

ACTION = "event.handle"
_COLORS = "[" + ",".join(f"'{SEVERITY_COLOR.get(i, 'grey')}'" for i in range(5)) + "]"
NEEDS_NOTE = frozenset({"reply", "send_back", "reject", "transfer", "return_visit"})


def register(web: WebContext) -> None:
    PAGE_ACTIONS["/workbench"] = ACTION

    @ui.page("/workbench")
    async def workbench_page(request: Request, lang: str = "zh", event: str = ""):  # type: ignore[no-untyped-def]
        p = await enter(web, request, ACTION, lang)
        if not isinstance(p, PageCtx):
            return p
        await Workbench(web, p).build(event)


class Workbench:
    def __init__(self, web: WebContext, p: PageCtx) -> None:
        self.web, self.p = web, p
        self.queue = "overdue"
        self.code: str | None = None
        self.counts: dict[str, int] = {}
        self.rows: list[dict[str, Any]] = []
        self.event: dict[str, Any] | None = None
        self.departments: list[str] = []
        self.nearby: list[dict[str, Any]] = []  # open events an event may be merged into
        self.busy = Busy()

    async def build(self, code: str) -> None:
        p = self.p
        frame(p, "nav_workbench")
        self.departments = await p.call(lambda s, a: departments(s, self.web.events.state)) or []
        await self.load_queue()
        if self.counts.get("overdue", 0) == 0:
            first = next((q for q in QUEUES if self.counts.get(q)), "overdue")
            if first != self.queue:
                await self.select(first)
        if code:
            await self.open(code)
        with ui.row().classes("w-full no-wrap gap-3 p-2 items-start"):
            with ui.column().classes("w-3/5 gap-2"):
                self.queues_view()
            with ui.column().classes("w-2/5 gap-2"):
                with ui.card().classes("w-full"):
                    self.detail_view()
                if p.can("person.search"):
                    with ui.card().classes("w-full"):
                        SearchPanel(p, code or None).build()

    # --- data -------------------------------------------------------------------------------
    async def load_queue(self) -> None:
        p = self.p
        self.counts = await p.call(lambda s, a: queue_counts(s, a)) or {}
        if self.queue == "overdue":
            kw: dict[str, Any] = {"open_only": True, "overdue": True}
        else:
            kw = {"state": self.queue}

        def fetch(s, a):  # type: ignore[no-untyped-def]
            return list_events(s, self.web.privacy, a, limit=100, lang=p.lang, **kw)

        answer = await p.call(fetch)
        self.rows = answer["items"] if answer else []

    async def select(self, queue: str) -> None:
        self.queue = queue
        await self.load_queue()

    async def open(self, code: str) -> None:
        p = self.p
        self.code = code
        self.event = await p.call(lambda s, a: get_event(s, self.web.privacy, a, code, p.lang))
        self.nearby = []
        if self.event and "merge" in actions_now(p.actor, self.event["state"]):
            village = self.event["area_code"][:12]
            family = self.event.get("family")

            def nearby(s, a):  # type: ignore[no-untyped-def]
                # Same family only: a merge joins reports of one incident; any other code
                # can still be typed in.
                return list_events(
                    s,
                    self.web.privacy,
                    a,
                    area=village,
                    family=family,
                    open_only=True,
                    limit=50,
                    lang=p.lang,
                )

            answer = await p.call(nearby)
            self.nearby = rank_nearby(self.event, (answer or {}).get("items", []))

    async def act(
        self, action: str, form: dict[str, Any], clicked: ui.button | None = None
    ) -> None:
        """One action at a time: a second click while it runs does nothing."""
        await self.busy.run(clicked, lambda: self._act(action, form))

    async def _act(self, action: str, form: dict[str, Any]) -> None:
        p = self.p
        if action in NEEDS_NOTE and not (form.get("note") or "").strip():
            ui.notify(p.t("note"), type="warning")
            return
        if action == "merge" and not (form.get("into") or "").strip():
            ui.notify(p.t("merge_into"), type="warning")
            return
        body = ActionIn(
            note=form.get("note") or "",
            worker_id=int(form["worker_id"]) if form.get("worker_id") else None,
            department=form.get("department") or None,
            rating=int(form["rating"]) if action == "rate" and form.get("rating") else None,
            into=(form.get("into") or "").strip() or None,
        )
        code = self.code or ""
        done = await p.call(
            lambda s, a: act(s, self.web.events.state, self.web.privacy, a, code, action, body)
        )
        if done is not None:
            ui.notify(f"{p.t('a_' + action)} · {p.t('done')}", type="positive")
            await self.load_queue()
            await self.open(code)
            self.queues_view.refresh()
            self.detail_view.refresh()

    # --- views ------------------------------------------------------------------------------
    @ui.refreshable_method
    def queues_view(self) -> None:
        p = self.p
        with ui.row().classes("gap-1 items-center"):
            for q in QUEUES:
                label = f"{p.t('queue_' + q)} {self.counts.get(q, 0)}"
                color = "red" if q == "overdue" and self.counts.get(q) else "primary"
                flat = "" if q == self.queue else "outline"
                ui.button(label, on_click=lambda q=q: self._switch(q), color=color).props(
                    f'dense no-caps {flat} data-testid="queue-{q}"'
                )
            ui.button(p.t("refresh"), icon="refresh", on_click=self._reload).props(
                "dense flat no-caps"
            )
        if not self.rows:
            empty(p.t("no_events"))
            return
        columns = [
            {"name": "id", "label": p.t("col_id"), "field": "id", "align": "left"},
            {"name": "title", "label": p.t("col_title"), "field": "title", "align": "left"},
            {"name": "state", "label": p.t("col_state"), "field": "state_name"},
            {"name": "severity", "label": p.t("col_severity"), "field": "severity"},
            {"name": "department", "label": p.t("col_department"), "field": "department"},
            {"name": "due", "label": p.t("col_due"), "field": "due"},
        ]
        rows = [r | {"due": local_time(r.get("due_at"))} for r in self.rows]
        table = ui.table(columns=columns, rows=rows, row_key="id", pagination=15)
        table.classes("w-full").props('dense flat data-testid="queue-table"')
        table.add_slot(
            "body-cell-severity",
            '<q-td :props="props"><q-badge :color="'
            + _COLORS
            + '[props.value]">{{ props.value }}</q-badge></q-td>',
        )
        table.on("rowClick", lambda e: self._pick(e.args[1]["id"]))

    @ui.refreshable_method
    def detail_view(self) -> None:
        p = self.p
        if not self.event:
            empty(p.t("pick_event"))
            return
        e = self.event
        self.busy.reset()
        detail(p, e, lambda: event_map(e, p.t("event_map")))
        actions = actions_now(p.actor, e["state"])
        if not actions:
            return
        form: dict[str, Any] = {
            "note": "",
            "worker_id": None,
            "department": None,
            "rating": 5,
            "into": "",
        }
        ui.separator()
        ui.textarea(p.t("note")).bind_value(form, "note").classes("w-full").props(
            'dense outlined rows=2 data-testid="note"'
        )
        if "dispatch" in actions:
            ui.number(p.t("worker_id"), format="%d").bind_value(form, "worker_id").props(
                "dense outlined"
            ).classes("w-full")
        if "transfer" in actions:
            ui.select(self.departments, label=p.t("to_department")).bind_value(
                form, "department"
            ).props("dense outlined").classes("w-full")
        if "merge" in actions:
            self.merge_view(form)
        with ui.row().classes("gap-1"):
            for action in actions:
                self.busy.button(
                    p.t("act_merge" if action == "merge" else "a_" + action),
                    on_click=lambda ev, a=action: self.act(a, form, ev.sender),
                ).props(f'dense no-caps data-testid="act-{action}"')

    def merge_view(self, form: dict[str, Any]) -> None:
        """The incident to merge into: typed, or picked from the open events nearby."""
        p = self.p
        into = ui.input(p.t("merge_into"), autocomplete=[r["id"] for r in self.nearby])
        into.bind_value(form, "into").props('dense outlined data-testid="merge-into"')
        into.classes("w-full")
        if not self.nearby:
            return
        ui.label(p.t("merge_nearby")).classes("text-xs text-gray-500")
        with ui.row().classes("gap-1"):
            for r in self.nearby[:8]:
                ui.chip(
                    f"{r['id']} · {r['title']}",
                    on_click=lambda r=r: into.set_value(r["id"]),
                ).props(f'dense clickable outline data-testid="merge-candidate-{r["id"]}"')

    async def _switch(self, queue: str) -> None:
        await self.select(queue)
        self.queues_view.refresh()

    async def _reload(self) -> None:
        await self.load_queue()
        self.queues_view.refresh()

    async def _pick(self, code: str) -> None:
        await self.open(code)
        self.detail_view.refresh()
