"""The one way a page meets a user: resolve the session cookie to an actor, check the page's
action with privacy.policy.authorize, and run every later action of the page as that actor
again (a revoked or expired token stops working at the next click).

Pages declare their action in PAGE_ACTIONS, like API routes in api/deps.ROUTE_ACTIONS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from zhili.events.lifecycle import TransitionError
from zhili.privacy.actors import Actor
from zhili.privacy.policy import AuthorizationError, NotAuthenticated, authorize, can
from zhili.web.context import WebContext
from zhili.web.i18n import t
from zhili.web.session import COOKIE, actor_for_token

PAGE_ACTIONS: dict[str, str] = {}
T = TypeVar("T")


@dataclass
class PageCtx:
    web: WebContext
    token: str | None
    actor: Actor
    lang: str

    def t(self, key: str) -> str:
        return t(key, self.lang)

    def can(self, action: str) -> bool:
        return can(self.actor, action)

    def href(self, path: str) -> str:
        return path + ("?lang=en" if self.lang == "en" else "")

    async def call(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T | None:
        """Run a service call as the page's user in a worker thread: a fresh session, the
        token resolved again; refusals and bad input become a notice, not a crash."""
        return await self.guarded(lambda: run.io_bound(self._as_user, True, fn, args, kw))

    async def call_public(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T | None:
        """`call` for a public page's public actions: a visitor who is not logged in runs
        `fn` as the anonymous actor (the service authorizes what that actor may do)."""
        return await self.guarded(lambda: run.io_bound(self._as_user, False, fn, args, kw))

    def _as_user(self, login: bool, fn: Callable[..., T], args: tuple, kw: dict) -> T:
        with self.web.sessions() as session:
            actor = actor_for_token(session, self.token)
            if login and not actor.authenticated:
                raise NotAuthenticated("session ended: log in again")
            return fn(session, actor, *args, **kw)

    async def guarded(self, work: Callable[[], Awaitable[T]]) -> T | None:
        """Await `work`; a refusal or bad input becomes a notice on the page."""
        try:
            return await work()
        except AuthorizationError as exc:
            ui.notify(f"{self.t('refused')}: {exc}", type="negative")
        except (TransitionError, ValueError, LookupError, FileNotFoundError) as exc:
            ui.notify(f"{self.t('failed')}: {exc}", type="warning")
        return None


def lang_of(lang: str | None) -> str:
    return "en" if lang == "en" else "zh"


async def enter(web: WebContext, request: Request, action: str, lang: str) -> PageCtx | Any:
    """The page's context, or the response to send instead: to the login page when nobody is
    logged in, an error state when the role may not use the page."""
    lang = lang_of(lang)
    token = request.cookies.get(COOKIE)

    def who() -> Actor:
        with web.sessions() as session:
            return actor_for_token(session, token)

    actor = await run.io_bound(who)
    if not actor.authenticated:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}&lang={lang}", status_code=303)
    ctx = PageCtx(web, token, actor, lang)
    try:
        for alternative in action.split("|"):
            if can(actor, alternative):
                break
        else:
            authorize(actor, action.split("|")[0])
    except AuthorizationError as exc:
        from zhili.web.layout import frame

        frame(ctx, "forbidden")
        with ui.card().classes("m-4"):
            ui.label(ctx.t("forbidden")).classes("text-lg text-red-700").props(
                'data-testid="forbidden"'
            )
            ui.label(str(exc)).classes("text-sm text-gray-600")
        return None
    return ctx


async def visit(web: WebContext, request: Request, lang: str) -> PageCtx:
    """A public page's context (PAGE_ACTIONS "public"): the logged-in user, or the anonymous
    actor. Nothing is authorized for the page itself; each part of it shows by `ctx.can` and
    each action is authorized again by the service it calls."""
    token = request.cookies.get(COOKIE)

    def who() -> Actor:
        with web.sessions() as session:
            return actor_for_token(session, token)

    return PageCtx(web, token, await run.io_bound(who), lang_of(lang))
