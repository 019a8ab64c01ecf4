"""Plain HTTP routes the pages fetch from the browser: the big screen's first snapshot (the
session cookie's actor, authorized and scoped like every API route) and the district outlines
(aggregate geometry, serialized once per process and cached by the browser), also one grid's."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from zhili.hub.overview import district_geojson
from zhili.privacy.actors import ANONYMOUS
from zhili.privacy.policy import AuthorizationError, authorize
from zhili.web import screen_data
from zhili.web.session import COOKIE, actor_for_token

router = APIRouter(prefix="/web", include_in_schema=False)
LEVELS = ("town", "village", "grid")


@lru_cache(maxsize=8)
def geojson_bytes(data: Path, level: str) -> bytes:
    return json.dumps(district_geojson(data, level), separators=(",", ":")).encode()


def warm(data: Path) -> None:
    """Serialize the outlines before the first screen asks (each takes about a second)."""
    for level in LEVELS:
        geojson_bytes(data, level)


@lru_cache(maxsize=2)
def grid_features(data: Path) -> dict[str, bytes]:
    """Each grid's outline on its own (the event detail's map outlines one grid)."""
    grids = json.loads(geojson_bytes(data, "grid"))
    return {
        f["properties"]["code"]: json.dumps(f, separators=(",", ":")).encode()
        for f in grids["features"]
    }


@router.get("/geo/grid/{code}.json")
async def grid_outline(code: str, request: Request) -> Response:
    authorize(ANONYMOUS, "district.read")  # aggregate geometry, no personal data
    features = await run_in_threadpool(grid_features, Path(request.app.state.data))
    body = features.get(code)
    if body is None:
        raise HTTPException(404, f"unknown grid {code!r}")
    return Response(body, media_type="application/json", headers={"Cache-Control": "max-age=3600"})


@router.get("/geo/{level}.json")
async def geo(level: str, request: Request) -> Response:
    if level not in LEVELS:
        raise HTTPException(404, f"unknown level {level!r}")
    authorize(ANONYMOUS, "district.read")  # aggregate geometry, no personal data
    body = await run_in_threadpool(geojson_bytes, Path(request.app.state.data), level)
    return Response(body, media_type="application/json", headers={"Cache-Control": "max-age=3600"})


@router.get("/screen/snapshot")
def screen_snapshot(request: Request) -> Response:
    web = request.app.state.web
    with web.sessions() as session:
        actor = actor_for_token(session, request.cookies.get(COOKIE))
        try:
            body = screen_data.snapshot(session, web.privacy, actor)
        except AuthorizationError as exc:
            return Response(
                json.dumps({"detail": str(exc)}),
                status_code=exc.status,
                media_type="application/json",
            )
    return Response(
        json.dumps(body, separators=(",", ":")),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
