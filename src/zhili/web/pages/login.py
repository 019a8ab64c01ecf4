"""The login page: a plain HTML form posted to /web/login (works with the keyboard alone)."""

from __future__ import annotations

from nicegui import ui

from zhili.config import get_settings
from zhili.web.guard import lang_of
from zhili.web.i18n import t
from zhili.web.session import safe_next


def register() -> None:
    @ui.page("/login")
    def login_page(next: str = "", error: str = "", lang: str = "zh") -> None:
        lang = lang_of(lang)
        ui.query("body").style("background:#0b1730")
        with ui.column().classes("absolute-center items-center gap-4"):
            ui.label(t("title", lang)).classes("text-2xl font-bold text-white")
            with ui.card().classes("w-80"):
                ui.label(t("login", lang)).classes("text-lg font-bold")
                if error:
                    ui.label(t("login_failed", lang)).classes("text-red-700").props(
                        'role="alert" data-testid="login-error"'
                    )
                with (
                    ui.element("form")
                    .props('method="post" action="/web/login"')
                    .classes("column gap-2 w-full")
                ):
                    ui.input(t("username", lang)).props(
                        'name="username" autofocus autocomplete="username" data-testid="username"'
                    ).classes("w-full")
                    ui.input(t("password", lang), password=True).props(
                        'name="password" autocomplete="current-password" data-testid="password"'
                    ).classes("w-full")
                    ui.element("input").props(f'type="hidden" name="next" value="{_attr(next)}"')
                    ui.element("input").props(f'type="hidden" name="lang" value="{lang}"')
                    ui.button(t("login", lang)).props(
                        'type="submit" color="primary" data-testid="login"'
                    ).classes("w-full")
                other = "en" if lang == "zh" else "zh"
                ui.link(
                    "English" if lang == "zh" else "中文",
                    f"/login?lang={other}&next={safe_next(next)}",
                ).classes("text-xs")
                ui.link(t("nav_overview", lang), f"/overview?lang={lang}").classes("text-xs")
                if get_settings().demo:
                    ui.label(t("demo_accounts", lang)).classes("text-xs text-gray-600").props(
                        'data-testid="demo-hint"'
                    )


def _attr(value: str) -> str:
    return safe_next(value).replace('"', "%22").replace("<", "%3C")
