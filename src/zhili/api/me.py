"""/api/me/data-access: the citizen's view of who read their data, when and why."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from zhili.api.deps import db, privacy, requires
from zhili.privacy.actors import Actor
from zhili.privacy.citizen import data_access_report
from zhili.privacy.context import PrivacyContext
from zhili.privacy.purpose import LEGAL_BASES

router = APIRouter(prefix="/api", tags=["me"])


@router.get("/me/data-access")
def data_access(
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("audit.mine", "GET /api/me/data-access")),
) -> dict:
    items = data_access_report(session, ctx, current)
    return {"items": [asdict(i) for i in items]}


@router.get("/purposes")
def purposes(_: Actor = Depends(requires("public", "GET /api/purposes"))) -> dict:
    """The legal bases a purpose may name."""
    return {"legal_bases": LEGAL_BASES}
