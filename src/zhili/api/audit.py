"""/api/audit: the auditor searches the log (subjects are HMACs, never ids) and verifies it."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from zhili.api.deps import db, privacy, requires
from zhili.privacy.actors import Actor
from zhili.privacy.audit.search import search_log, verify_log
from zhili.privacy.context import PrivacyContext

router = APIRouter(prefix="/api", tags=["audit"])


@router.get("/audit")
def search(
    actor_id: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("audit.read", "GET /api/audit")),
) -> dict:
    items = search_log(
        session,
        ctx,
        current,
        actor_id=actor_id,
        action=action,
        since=since,
        until=until,
        limit=limit,
    )
    return {"items": items}


@router.post("/audit/verify")
def verify_chain(
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("audit.verify", "POST /api/audit/verify")),
) -> dict:
    return verify_log(session, ctx, current)
