"""审计 The auditor's page: search the audit log (who did what, when; subjects only as a count)
and verify the hash chain, through privacy.audit.search like /api/audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from nicegui import ui

from zhili.privacy.audit.search import search_log, verify_log
from zhili.web.context import WebContext
from zhili.web.guard import PAGE_ACTIONS, PageCtx, enter
from zhili.web.layout import empty, frame

ACTION = "audit.read"


def register(web: WebContext) -> None:
    PAGE_ACTIONS["/audit"] = ACTION

    @ui.page("/audit")
    async def audit_page(request: Request, lang: str = "zh"):  # type: ignore[no-untyped-def]
        p = await enter(web, request, ACTION, lang)
        if not isinstance(p, PageCtx):
            return p
        await AuditPage(web, p).build()


class AuditPage:
    def __init__(self, web: WebContext, p: PageCtx) -> None:
        self.web, self.p = web, p
        self.query: dict[str, Any] = {"actor_id": "", "action": "", "since": ""}
        self.items: list[dict[str, Any]] = []
        self.report: dict[str, Any] | None = None

    async def build(self) -> None:
        p = self.p
        frame(p, "nav_audit")
        with ui.row().classes("w-full gap-3 p-2 items-start"):
            with ui.card().classes("grow min-w-[600px]"):
                ui.label(p.t("audit_search")).classes("text-base font-bold")
                with ui.row().classes("items-end gap-2"):
                    ui.input(p.t("actor_id")).bind_value(self.query, "actor_id").props(
                        'dense outlined data-testid="audit-actor"'
                    )
                    ui.input(p.t("action")).bind_value(self.query, "action").props(
                        'dense outlined data-testid="audit-action"'
                    )
                    ui.input("≥ YYYY-MM-DD").bind_value(self.query, "since").props("dense outlined")
                    ui.button(p.t("search"), icon="search", on_click=self.search).props(
                        'data-testid="audit-search"'
                    )
                self.results()
            with ui.card().classes("w-[380px]"):
                ui.label(p.t("verify")).classes("text-base font-bold")
                ui.button(p.t("verify"), icon="verified", on_click=self.verify).props(
                    'data-testid="audit-verify"'
                )
                self.chain()
        await self.search()

    async def search(self) -> None:
        p, q = self.p, self.query
        since = None
        if q["since"].strip():
            try:
                since = dt.datetime.fromisoformat(q["since"].strip())
            except ValueError:
                ui.notify("YYYY-MM-DD", type="warning")
                return
        items = await p.call(
            lambda s, a: search_log(
                s,
                self.web.privacy,
                a,
                actor_id=q["actor_id"].strip() or None,
                action=q["action"].strip() or None,
                since=since,
                limit=200,
            )
        )
        self.items = items or []
        self.results.refresh()

    async def verify(self) -> None:
        self.report = await self.p.call(lambda s, a: verify_log(s, self.web.privacy, a))
        self.chain.refresh()

    @ui.refreshable_method
    def results(self) -> None:
        p = self.p
        if not self.items:
            empty(p.t("no_records"))
            return
        columns = [
            {"name": f, "label": f, "field": f, "align": "left"}
            for f in ("seq", "at", "actor_id", "actor_role", "action", "resource", "purpose")
        ] + [{"name": "result_count", "label": "n", "field": "result_count"}]
        rows = [
            {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in r.items()}
            for r in self.items
        ]
        ui.table(columns=columns, rows=rows, row_key="seq", pagination=20).classes("w-full").props(
            'dense flat data-testid="audit-table"'
        )

    @ui.refreshable_method
    def chain(self) -> None:
        p, r = self.p, self.report
        if r is None:
            return
        ok = bool(r.get("ok"))
        text = f"{p.t('chain_ok') if ok else p.t('chain_broken')}: {r.get('records', 0):,} "
        text += p.t("records")
        ui.label(text).classes("text-green-700" if ok else "text-red-700").props(
            f'data-testid="chain-status" data-ok="{1 if ok else 0}"'
        )
        if not ok:
            ui.label(f"{r.get('first_bad_seq')}: {r.get('reason')}").classes("text-sm")
