"""Clear 4xx answers: authorization outcomes and bad input become JSON with a message."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from zhili.hub.search.index import IndexMissing
from zhili.privacy.policy import AuthorizationError
from zhili.privacy.purpose import PurposeError


def error_status(exc: BaseException) -> int | None:
    """The 4xx (or 503) an exception answers with, or None for an unexpected one (a 500).
    The handlers below and the batch route's per-item answers (event_batch.py) use it."""
    if isinstance(exc, AuthorizationError):
        return exc.status
    if isinstance(exc, PurposeError):
        return 400
    if isinstance(exc, IndexMissing):
        return 503
    if isinstance(exc, ValueError):  # 409 a refused transition, 422 an unknown category
        return getattr(exc, "status", 400)
    if isinstance(exc, LookupError):
        return 404
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(AuthorizationError)
    async def _authz(_request: Request, exc: AuthorizationError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status, headers=headers)

    async def _known(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=error_status(exc) or 500)

    for known in (PurposeError, IndexMissing, ValueError, LookupError):
        app.add_exception_handler(known, _known)
