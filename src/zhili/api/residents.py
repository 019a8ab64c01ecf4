"""/api/residents: staff lists within their area (masked) and profiles for a stated purpose."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from zhili.api.deps import db, privacy, purpose, requires
from zhili.hub.residents import as_dict, get_resident, list_residents
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.purpose import Purpose

router = APIRouter(prefix="/api", tags=["residents"])


@router.get("/residents")
def residents(
    area: str | None = Query(default=None, pattern=r"^\d{6,15}$"),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("person.list", "GET /api/residents")),
) -> dict:
    total, rows = list_residents(session, ctx, current, area, limit, offset)
    return {"total": total, "items": [as_dict(r) for r in rows]}


@router.get("/residents/{person_id}")
def resident(
    person_id: str,
    unmask: bool = False,
    stated: Purpose | None = Depends(purpose),
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(
        requires("person.read|person.read_self", "GET /api/residents/{person_id}")
    ),
) -> dict:
    return as_dict(get_resident(session, ctx, current, person_id, stated, unmask))
