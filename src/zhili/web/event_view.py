"""One event as the pages show it: facts, reporter (already masked by the service for staff),
description, attachments and the timeline. Draws only what events.queries returned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from zhili.events import lifecycle as L
from zhili.web.guard import PageCtx

SEVERITY_COLOR = {1: "blue", 2: "yellow-8", 3: "orange", 4: "red"}


def local_time(iso: str | None) -> str:
    """UTC ISO → China time, minutes (the district's clock)."""
    if not iso:
        return "-"
    import datetime as dt

    at = dt.datetime.fromisoformat(iso.rstrip("Z")) + dt.timedelta(hours=8)
    return at.strftime("%Y-%m-%d %H:%M")


def state_badge(p: PageCtx, state: str) -> None:
    name = L.STATES.get(state, (state, state))[0 if p.lang == "zh" else 1]
    color = "green" if state in L.CLOSED_STATES else "primary"
    ui.badge(name, color=color).props(f'data-testid="state" data-state="{state}"')


def detail(p: PageCtx, e: dict[str, Any], after_facts: Callable[[], object] | None = None) -> None:
    """`after_facts` draws something under the facts (the workbench's map)."""
    with ui.row().classes("items-center gap-2"):
        ui.label(e["id"]).classes("text-lg font-bold").props('data-testid="event-code"')
        state_badge(p, e["state"])
        ui.badge(
            f"{p.t('severity')} {e['severity']}", color=SEVERITY_COLOR.get(e["severity"], "grey")
        )
        if e.get("overdue"):
            ui.badge(p.t("queue_overdue"), color="red")
    ui.label(e["title"]).classes("text-base")
    level = L.LEVEL_NAMES.get(e["level"], (e["level"], e["level"]))[0 if p.lang == "zh" else 1]
    facts = [
        (p.t("col_category"), e["category_name"]),
        (p.t("col_level"), level),
        (p.t("col_department"), e["department"]),
        (p.t("col_due"), local_time(e.get("due_at"))),
        (p.t("address"), e.get("address") or e["area_code"]),
    ]
    reporter = e.get("reporter") or {}
    if reporter.get("name") or reporter.get("contact"):
        who = " ".join(v for v in (reporter.get("name"), reporter.get("contact")) if v)
        facts.append((p.t("reporter"), who))
    with ui.grid(columns=2).classes("gap-x-4 gap-y-0 text-sm"):
        for label, value in facts:
            ui.label(label).classes("text-gray-500")
            ui.label(str(value)).props('data-testid="fact"')
    if after_facts is not None:
        after_facts()
    if e.get("description"):
        ui.label(e["description"]).classes("text-sm whitespace-pre-wrap").props(
            'data-testid="description"'
        )
    if e.get("entities"):
        ui.label(p.t("entities")).classes("text-sm font-bold")
        for ref in e["entities"]:
            ui.label(f"{ref.get('kind')} · {ref.get('id')}").classes("text-xs").props(
                'data-testid="entity"'
            )
    if e.get("merged_reports"):
        ui.label(f"{p.t('merged')}: {', '.join(e['merged_reports'])}").classes("text-xs")
    if e.get("attachments"):
        ui.label(p.t("attachments")).classes("text-sm font-bold")
        for a in e["attachments"]:
            ui.label(f"📷 {a['filename']} ({a['size']:,} B)").classes("text-xs").props(
                'data-testid="attachment"'
            )
    ui.label(p.t("timeline")).classes("text-sm font-bold mt-2")
    with ui.timeline(side="right").classes("w-full").props('dense data-testid="timeline"'):
        for step in e.get("timeline", []):
            title = step["action"]
            key = f"a_{step['action']}"
            if key in _known():
                title = p.t(key)
            ui.timeline_entry(
                step.get("note") or "",
                title=title,
                subtitle=f"{local_time(step['at'])} · {step.get('department') or ''}",
            )


def _known() -> set[str]:
    from zhili.web.strings import PAGE_STRINGS

    return set(PAGE_STRINGS)
