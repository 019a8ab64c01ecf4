"""Clear 4xx answers: authorization outcomes and bad input become JSON with a message."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from zhili.hub.search.index import IndexMissing
from zhili.privacy.policy import AuthorizationError
from zhili.privacy.purpose import PurposeError


def install(app: FastAPI) -> None:
    @app.exception_handler(AuthorizationError)
    async def _authz(_request: Request, exc: AuthorizationError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status, headers=headers)

    @app.exception_handler(PurposeError)
    async def _purpose(_request: Request, exc: PurposeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(IndexMissing)
    async def _no_index(_request: Request, exc: IndexMissing) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(ValueError)
    async def _value(_request: Request, exc: ValueError) -> JSONResponse:
        # Errors that know their status (409 a refused transition, 422 an unknown category).
        return JSONResponse({"detail": str(exc)}, status_code=getattr(exc, "status", 400))

    @app.exception_handler(LookupError)
    async def _lookup(_request: Request, exc: LookupError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)
