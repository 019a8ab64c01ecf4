"""Cross-department search from the workbench, with the purpose prompt: a legal basis and the
case (the open event) or a description are required before anything is searched; the search
itself is hub.search.service.search (scoped, masked, audited with the purpose, shown to the
citizens concerned)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from zhili.hub.search.service import search
from zhili.privacy.purpose import LEGAL_BASES, Purpose
from zhili.web.busy import Busy
from zhili.web.guard import PageCtx
from zhili.web.layout import empty

ENTITY = {
    "person": ("人员", "person"),
    "house": ("房屋", "house"),
    "enterprise": ("企业", "enterprise"),
    "vehicle": ("车辆", "vehicle"),
    "project": ("项目", "project"),
    "account": ("账户", "account"),
}


class SearchPanel:
    def __init__(self, p: PageCtx, case: str | None) -> None:
        self.p = p
        self.form: dict[str, Any] = {
            "q": "",
            "basis": "statutory_duty",
            "case": case or "",
            "text": "",
        }
        self.answer: dict[str, Any] | None = None
        # Why the last run was refused, shown under the button until the next run (a toast
        # vanishes after seconds; a worker glancing back at the phone must still see it).
        self.refusal: str | None = None
        self.busy = Busy()

    def build(self) -> None:
        p = self.p
        with (
            ui.expansion(p.t("xsearch"), icon="manage_search")
            .classes("w-full")
            .props('data-testid="xsearch"')
        ):
            ui.input(p.t("xsearch_q")).bind_value(self.form, "q").props(
                'dense outlined data-testid="xsearch-q"'
            ).classes("w-full")
            ui.label(p.t("purpose_prompt")).classes("text-xs text-orange-800")
            ui.select(LEGAL_BASES, label=p.t("col_basis")).bind_value(self.form, "basis").props(
                "dense outlined"
            ).classes("w-full")
            with ui.row().classes("w-full no-wrap gap-2"):
                ui.input(p.t("col_case")).bind_value(self.form, "case").props(
                    'dense outlined data-testid="xsearch-case"'
                )
                ui.input(p.t("col_purpose")).bind_value(self.form, "text").props(
                    'dense outlined data-testid="xsearch-purpose"'
                ).classes("grow")
            run = self.busy.button(p.t("search"), icon="search")
            run.on_click(lambda: self.busy.run(run, self.run))
            run.props('dense data-testid="xsearch-run"')
            self.results()

    async def run(self) -> None:
        """The search (in a worker thread); the button spins meanwhile (one at a time)."""
        p, f = self.p, self.form
        self.refusal = None
        if not f["q"].strip():
            self.refuse(p.t("xsearch_empty"))
            return
        try:
            stated = Purpose(
                legal_basis=f["basis"], case_id=f["case"].strip() or None, text=f["text"].strip()
            )
        except ValueError as exc:
            self.refuse(str(exc))
            return
        lake = p.web.data / "lake"
        self.answer = await p.call(
            lambda s, a: search(s, p.web.privacy, a, lake, f["q"].strip(), stated, limit=10)
        )
        self.results.refresh()

    def refuse(self, why: str) -> None:
        self.refusal, self.answer = why, None
        ui.notify(why, type="warning")
        self.results.refresh()

    @ui.refreshable_method
    def results(self) -> None:
        p, answer = self.p, self.answer
        if self.refusal is not None:
            ui.label(self.refusal).classes("text-sm text-orange-900").props(
                'data-testid="xsearch-refused" role="alert"'
            )
            return
        if answer is None:
            return
        if not answer["results"]:
            empty(p.t("no_records"))
            return
        for r in answer["results"]:
            kind = ENTITY.get(r["entity"], (r["entity"], r["entity"]))[0 if p.lang == "zh" else 1]
            records = r["records"]["total"]
            links = len(r["links"])
            ui.label(
                f"{kind} · {r['label'] or r['master_id']} · {r['area']} · "
                f"{','.join(r['matched_on'])} · {records} / {links}"
            ).classes("text-xs").props('data-testid="xsearch-hit"')
