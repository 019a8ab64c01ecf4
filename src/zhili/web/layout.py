"""The frame every page shares: title, the pages this role may open, language, logout."""

from __future__ import annotations

from nicegui import ui

from zhili.privacy.identity import ROLE_LABELS
from zhili.web.guard import PageCtx

# (path, action needed to see the link, string key)
NAV: tuple[tuple[str, str, str], ...] = (
    ("/screen", "event.dispatch", "nav_screen"),
    ("/workbench", "event.handle", "nav_workbench"),
    ("/mobile", "worker.position", "nav_mobile"),
    ("/citizen", "event.read_own", "nav_citizen"),
    ("/kpi", "event.stats", "nav_kpi"),
    ("/audit", "audit.read", "nav_audit"),
    ("/overview", "district.read", "nav_overview"),
)


def nav_items(p: PageCtx) -> list[tuple[str, str]]:
    return [(path, p.t(key)) for path, action, key in NAV if p.can(action)]


def frame(p: PageCtx, title_key: str, dark: bool = False) -> None:
    """The header; `dark` for the big screen."""
    ui.query("body").style("background:#0b1730" if dark else "background:#f5f7fa")
    with ui.header().classes("items-center justify-between bg-blue-900 py-1 px-3 gap-2"):
        with ui.row().classes("items-center gap-3 no-wrap"):
            ui.label(p.t("brand")).classes("text-base font-bold")
            ui.label(p.t(title_key)).classes("text-base").props('data-testid="page-title"')
        with ui.row().classes("items-center gap-3 no-wrap text-sm"):
            with ui.element("nav").classes("row gap-3").props('aria-label="pages"'):
                for path, label in nav_items(p):
                    ui.link(label, p.href(path)).classes("text-white")
            other = "en" if p.lang == "zh" else "zh"
            ui.link("English" if p.lang == "zh" else "中文", f"?lang={other}").classes("text-white")
            role = ROLE_LABELS.get(p.actor.role, p.actor.role)
            ui.label(f"{p.actor.display_name} · {role}").classes("text-blue-200")
            with ui.element("form").props('method="post" action="/web/logout"'):
                ui.button(p.t("logout")).props(
                    'type="submit" flat dense color="white" data-testid="logout"'
                )


def empty(text: str) -> None:
    """A clear empty state."""
    ui.label(text).classes("text-gray-500 italic p-2").props('data-testid="empty"')
