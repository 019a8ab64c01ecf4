"""网格员 The grid worker's phone page (usable 390 px wide): my tasks with the actions the
state allows (accept, reply, escalate), reporting an event with a photo and the phone's
position, reporting my position, and what the hub told me."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from nicegui import events as ng_events
from nicegui import ui

from zhili.events.categories import tree
from zhili.events.queries import list_events, my_notifications
from zhili.events.schemas import EventIn
from zhili.events.workflow import ActionIn, act
from zhili.hub.residents import as_dict, list_residents
from zhili.web.context import WebContext
from zhili.web.event_view import local_time, state_badge
from zhili.web.guard import PAGE_ACTIONS, PageCtx, enter
from zhili.web.layout import empty, frame
from zhili.web.queues import actions_now
from zhili.web.reporting import Photo, my_worker, position, submit_report

ACTION = "worker.position"
TASK_ACTIONS = ("accept", "reply", "escalate", "note")
GEOLOCATE = """new Promise((resolve) => {
  if (!navigator.geolocation) { resolve(null); return; }
  navigator.geolocation.getCurrentPosition(
    (p) => resolve([p.coords.longitude, p.coords.latitude]),
    () => resolve(null), {enableHighAccuracy: true, timeout: 8000});
})"""


def register(web: WebContext) -> None:
    PAGE_ACTIONS["/mobile"] = ACTION

    @ui.page("/mobile")
    async def mobile_page(request: Request, lang: str = "zh"):  # type: ignore[no-untyped-def]
        p = await enter(web, request, ACTION, lang)
        if not isinstance(p, PageCtx):
            return p
        await Mobile(web, p).build()


class Mobile:
    def __init__(self, web: WebContext, p: PageCtx) -> None:
        self.web, self.p = web, p
        self.worker_id: int | None = None
        self.tasks: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.form: dict[str, Any] = {"category": None, "title": "", "description": ""}
        self.point: tuple[float, float] | None = None
        self.photo: Photo | None = None
        self.residents: list[dict[str, Any]] | None = None
        self.residents_total = 0

    async def build(self) -> None:
        p = self.p
        ui.add_head_html('<meta name="viewport" content="width=device-width, initial-scale=1">')
        frame(p, "nav_mobile")
        await self.load()
        with ui.column().classes("w-full max-w-[420px] mx-auto p-2 gap-3"):
            if self.worker_id is None:
                ui.label(p.t("not_a_worker")).classes("text-orange-700").props(
                    'data-testid="not-worker"'
                )
            with ui.card().classes("w-full"):
                ui.label(p.t("my_tasks")).classes("text-base font-bold")
                self.tasks_view()
            with ui.card().classes("w-full"):
                ui.label(p.t("report_event")).classes("text-base font-bold")
                self.report_form()
            if p.can("person.list"):
                with ui.card().classes("w-full"):
                    with (
                        ui.expansion(p.t("my_residents"), icon="groups")
                        .classes("w-full")
                        .props('data-testid="residents"') as box
                    ):
                        self.residents_view()
                    box.on_value_change(lambda e: self.load_residents() if e.value else None)
            with ui.card().classes("w-full"):
                ui.button(p.t("report_position"), icon="my_location", on_click=self.send_position)
                ui.label(p.t("notifications")).classes("text-base font-bold mt-2")
                self.notes_view()

    async def load(self) -> None:
        p = self.p

        def read(s, a):  # type: ignore[no-untyped-def]
            worker = my_worker(s, a)
            wid = worker.id if worker else None
            tasks = (
                list_events(s, self.web.privacy, a, worker_id=wid, open_only=True, lang=p.lang)
                if wid is not None
                else {"items": []}
            )
            return wid, tasks["items"], my_notifications(s, a, 20, wid)

        answer = await p.call(read)
        if answer:
            self.worker_id, self.tasks, self.notes = answer

    @ui.refreshable_method
    def tasks_view(self) -> None:
        p = self.p
        if not self.tasks:
            empty(p.t("no_tasks"))
            return
        for task in self.tasks:
            with ui.card().classes("w-full p-2").props(f'flat bordered data-task="{task["id"]}"'):
                with ui.row().classes("items-center gap-2"):
                    ui.label(task["id"]).classes("font-bold")
                    state_badge(p, task["state"])
                ui.label(task["title"]).classes("text-sm")
                ui.label(f"{p.t('col_due')}: {local_time(task.get('due_at'))}").classes(
                    "text-xs text-gray-500"
                )
                note = {"text": ""}
                allowed = [a for a in actions_now(p.actor, task["state"]) if a in TASK_ACTIONS]
                if "reply" in allowed or "note" in allowed:
                    ui.input(p.t("note")).bind_value(note, "text").props(
                        f'dense outlined data-testid="task-input-{task["id"]}"'
                    ).classes("w-full")
                with ui.row().classes("gap-1"):
                    for action in allowed:
                        ui.button(
                            p.t("a_" + action),
                            on_click=lambda a=action, c=task["id"], n=note: self.act(c, a, n),
                        ).props(f'dense no-caps data-testid="task-{action}-{task["id"]}"')

    async def act(self, code: str, action: str, note: dict[str, str]) -> None:
        p = self.p
        body = ActionIn(note=note["text"] or (p.t("a_" + action) if action == "escalate" else ""))
        done = await p.call(
            lambda s, a: act(s, self.web.events.state, self.web.privacy, a, code, action, body)
        )
        if done is not None:
            ui.notify(f"{p.t('a_' + action)} · {p.t('done')}", type="positive")
            await self.load()
            self.tasks_view.refresh()
            self.notes_view.refresh()

    def report_form(self) -> None:
        p = self.p
        options = {c.code: c.name(p.lang) for c in tree().categories.values()}
        ui.select(options, label=p.t("category"), with_input=True).bind_value(
            self.form, "category"
        ).props('dense outlined data-testid="category"').classes("w-full")
        ui.input(p.t("title_field")).bind_value(self.form, "title").props(
            'dense outlined data-testid="title"'
        ).classes("w-full")
        ui.textarea(p.t("description")).bind_value(self.form, "description").props(
            'dense outlined rows=2 data-testid="description-input"'
        ).classes("w-full")
        with ui.row().classes("items-center gap-2"):
            ui.button(p.t("use_position"), icon="place", on_click=self.locate).props(
                'dense no-caps data-testid="locate"'
            )
            self.point_label = (
                ui.label(p.t("no_position")).classes("text-xs").props('data-testid="point"')
            )
        self.uploader = (
            ui.upload(
                label=p.t("photo"),
                auto_upload=True,
                max_file_size=10 * 1024 * 1024,
                on_upload=self.got,
            )
            .props('accept="image/*" capture="environment" data-testid="photo"')
            .classes("w-full")
        )
        ui.button(p.t("submit"), icon="send", on_click=self.submit).props(
            'color="primary" data-testid="submit-report"'
        ).classes("w-full")

    async def locate(self) -> tuple[float, float] | None:
        got = await ui.run_javascript(GEOLOCATE, timeout=10)
        if got:
            self.point = (float(got[0]), float(got[1]))
            self.point_label.text = f"{self.point[1]:.5f}, {self.point[0]:.5f}"
        return self.point

    async def got(self, e: ng_events.UploadEventArguments) -> None:
        self.photo = Photo(await e.file.read(), e.file.content_type, e.file.name)

    async def submit(self) -> None:
        p = self.p
        if not self.form["category"]:
            ui.notify(p.t("need_category"), type="warning")
            return
        if self.point is None and await self.locate() is None:
            ui.notify(p.t("need_position"), type="warning")
            return
        assert self.point is not None
        try:
            payload = EventIn(
                category=self.form["category"],
                title=self.form["title"] or None,
                description=self.form["description"],
                lon=self.point[0],
                lat=self.point[1],
            )
        except ValueError as exc:
            ui.notify(str(exc), type="warning")
            return
        outcome = await submit_report(p, payload, self.photo)
        if outcome is not None:
            ui.notify(f"{p.t('reported')} {outcome.code}", type="positive")
            ui.label(f"{p.t('reported')} {outcome.code}").props('data-testid="reported"')
            self.form.update(title="", description="")
            self.photo = None
            self.uploader.reset()
            await self.load()
            self.tasks_view.refresh()
            self.notes_view.refresh()

    async def send_position(self) -> None:
        p = self.p
        point = await self.locate()
        if point is None:
            ui.notify(p.t("need_position"), type="warning")
            return
        done = await p.call(lambda s, a: position(s, a, self.web, point[0], point[1], True))
        if done is not None:
            ui.notify(p.t("position_sent"), type="positive")

    async def load_residents(self) -> None:
        """My grid's residents, masked (hub.residents: scoped in the query, audited)."""
        if self.residents is not None:
            return

        def read(s, a):  # type: ignore[no-untyped-def]
            total, rows = list_residents(s, self.web.privacy, a, None, 100, 0)
            return total, [as_dict(r) for r in rows]

        answer = await self.p.call(read)
        if answer:
            self.residents_total, self.residents = answer
            self.residents_view.refresh()

    @ui.refreshable_method
    def residents_view(self) -> None:
        p = self.p
        if self.residents is None:
            ui.label(p.t("loading")).classes("text-xs")
            return
        if not self.residents:
            empty("—")
            return
        ui.label(f"{self.residents_total:,}").classes("text-xs text-gray-500")
        for r in self.residents:
            flags = f" · {p.t('elderly_alone')}" if r["elderly_alone"] else ""
            flags += f" · {p.t('migrant')}" if r["migrant"] else ""
            ui.label(f"{r['name']} {r['id_number']} {r['address'] or ''}{flags}").classes(
                "text-xs"
            ).props('data-testid="resident"')

    @ui.refreshable_method
    def notes_view(self) -> None:
        if not self.notes:
            empty("—")
            return
        for n in self.notes[:10]:
            ui.label(f"{local_time(n['at'])} {n['event']} {n['message']}").classes("text-xs")
