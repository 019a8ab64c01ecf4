"""Direct routes: POST /api/events goes from the server straight to its handler, past
FastAPI's middleware stack and router.

The intake takes thousands of requests a second on the server's one event loop, and the
stack around a handler (the error, telemetry and body-limit middleware, the exit stack, the
router matching the path against every route of the API and the pages) cost the loop about
as much as the handler itself (docs/PERFORMANCE.md, intake; DECISIONS 58). The route stays
declared on its router (OpenAPI, the authorization matrix) and the handler is the same
function, which authorizes its caller itself (`deps.caller` and the route's `requires`
check); only the way to it is shorter.

What the stack did on the way is done here: the app is in the scope (Starlette put it there
before the stack), an exception is answered by the app's own handler for its type, as
ExceptionMiddleware would, and any other is logged and answered 500, as
ServerErrorMiddleware would.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)
Endpoint = Callable[[Request], Awaitable[Response]]


def handler_for(handlers: dict[Any, Any], exc: Exception) -> Any:
    """The app's handler for `exc`: by status for an HTTPException, else by the nearest class
    in its MRO (Starlette's own lookup order); None when there is none."""
    if isinstance(exc, HTTPException) and exc.status_code in handlers:
        return handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


class DirectRoutes:
    """The app's ASGI entry: the direct routes by (method, path), the stack for the rest."""

    def __init__(self, app: FastAPI, stack: ASGIApp, routes: dict[tuple[str, str], Endpoint]):
        self.app, self.stack, self.routes = app, stack, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http":
            endpoint = self.routes.get((scope["method"], scope["path"]))
        if endpoint is None:
            await self.stack(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except Exception as exc:
            response = await self._answer(request, exc)
        await response(scope, receive, send)

    async def _answer(self, request: Request, exc: Exception) -> Response:
        handler = handler_for(self.app.exception_handlers, exc)
        if handler is None:
            log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
            return PlainTextResponse("Internal Server Error", status_code=500)
        if inspect.iscoroutinefunction(handler):
            return await handler(request, exc)
        return await run_in_threadpool(handler, request, exc)


def _declared(app: FastAPI, method: str, path: str) -> bool:
    """Whether the app's router has a route for exactly this method and path."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def install(app: FastAPI, routes: dict[tuple[str, str], Endpoint]) -> None:
    """Put the direct routes in front of the app's stack, which Starlette builds at the first
    request (after every middleware and handler is added)."""
    for method, path in routes:
        if not _declared(app, method, path):
            raise ValueError(f"{method} {path} must be a declared route too (OpenAPI, authz)")
    build = app.build_middleware_stack

    def build_with_direct_routes() -> ASGIApp:
        return DirectRoutes(app, build(), routes)

    app.build_middleware_stack = build_with_direct_routes  # type: ignore[method-assign]
