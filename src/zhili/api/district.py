"""/api/district: the district's areas and aggregate counts (no personal data)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request

from zhili.api.deps import requires
from zhili.hub.overview import district_geojson, district_overview
from zhili.privacy.actors import Actor

router = APIRouter(prefix="/api", tags=["district"])


def _data(request: Request) -> Path:
    return request.app.state.data


@router.get("/health")
def health(request: Request, _: Actor = Depends(requires("public", "GET /api/health"))) -> dict:
    return {"status": "ok", "twin": (_data(request) / "twin" / "summary.json").exists()}


@router.get("/district")
def district(
    request: Request, _: Actor = Depends(requires("district.read", "GET /api/district"))
) -> dict:
    return asdict(district_overview(_data(request)))


@router.get("/district/geojson/{level}")
def geojson(
    level: str,
    request: Request,
    _: Actor = Depends(requires("district.read", "GET /api/district/geojson/{level}")),
) -> dict:
    if level not in ("town", "village", "grid"):
        raise HTTPException(
            status_code=404, detail=f"unknown level {level!r}: use town, village or grid"
        )
    return district_geojson(_data(request), level)
