"""/api/search: cross-department search for a stated purpose, inside the reader's area."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from zhili.api.deps import db, privacy, purpose, requires
from zhili.hub.search.service import search as run_search
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.purpose import Purpose

router = APIRouter(prefix="/api", tags=["search"])


def _csv(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


@router.get("/search")
def search(
    request: Request,
    q: str = Query(min_length=1, max_length=100, description="ID, phone, name, address …"),
    kinds: str | None = Query(default=None, description="Only these kinds, comma-separated"),
    entities: str | None = Query(default=None, description="Only these entity types"),
    limit: int = Query(default=10, ge=1, le=50),
    unmask: bool = False,
    stated: Purpose | None = Depends(purpose),
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("person.search", "GET /api/search")),
) -> dict:
    lake = request.app.state.data / "lake"
    return run_search(
        session,
        ctx,
        current,
        lake,
        q,
        stated,
        kinds=_csv(kinds),
        entities=_csv(entities),
        limit=limit,
        unmask=unmask,
    )
