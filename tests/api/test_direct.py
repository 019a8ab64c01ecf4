"""Direct routes (api/direct.py) answer as the middleware stack would: the app's own
handlers for known errors, a 500 for the rest, and everything else still goes through the
stack. The intake's route is one of them in the served app."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.testclient import TestClient

from zhili.api import direct, errors
from zhili.privacy.policy import Forbidden


def _app(calls: list[str]) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.post("/hot")
    async def hot(request: Request) -> Response:
        calls.append("hot")
        kind = request.headers.get("x-fail")
        if kind == "forbidden":
            raise Forbidden("outside your area")
        if kind == "http":
            raise HTTPException(413, "too large")
        if kind == "bug":
            raise RuntimeError("a bug")
        return Response(await request.body(), media_type="application/json")

    @app.get("/hot")
    def cold() -> dict:
        return {"via": "stack"}

    direct.install(app, {("POST", "/hot"): hot})
    return app


def test_a_direct_route_answers_like_the_stack() -> None:
    calls: list[str] = []
    client = TestClient(_app(calls), raise_server_exceptions=False)
    r = client.post("/hot", content=b'{"a":1}')
    assert (r.status_code, r.json()) == (200, {"a": 1})
    assert isinstance(client.app.middleware_stack, direct.DirectRoutes)
    r = client.post("/hot", headers={"x-fail": "forbidden"})
    assert (r.status_code, r.json()) == (403, {"detail": "outside your area"})
    r = client.post("/hot", headers={"x-fail": "http"})
    assert (r.status_code, r.json()) == (413, {"detail": "too large"})
    r = client.post("/hot", headers={"x-fail": "bug"})
    assert (r.status_code, r.text) == (500, "Internal Server Error")
    assert calls == ["hot"] * 4
    # Other methods and paths go through the stack and the router.
    assert client.get("/hot").json() == {"via": "stack"}
    assert client.post("/other").status_code == 404


def test_a_direct_route_must_be_declared_too() -> None:
    app = FastAPI()

    async def hidden(request: Request) -> Response:
        return Response()

    with pytest.raises(ValueError, match="declared route"):
        direct.install(app, {("POST", "/hidden"): hidden})
