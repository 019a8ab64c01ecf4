"""/api/audit: the auditor searches the log (subjects are HMACs, never ids) and verifies it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.api.deps import db, privacy, requires
from zhili.privacy.actors import Actor
from zhili.privacy.audit import verify
from zhili.privacy.audit.chain import FIELDS
from zhili.privacy.context import PrivacyContext
from zhili.privacy.models import AuditRecord

router = APIRouter(prefix="/api", tags=["audit"])

# Every hashed field but the subjects' HMACs: the auditor sees how many, not whom.
_FIELDS = tuple(f for f in FIELDS if f != "subjects")


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
    q = select(AuditRecord)
    if actor_id:
        q = q.where(AuditRecord.actor_id == actor_id)
    if action:
        q = q.where(AuditRecord.action == action)
    if since:
        q = q.where(AuditRecord.at >= since)
    if until:
        q = q.where(AuditRecord.at < until)
    rows = session.scalars(q.order_by(AuditRecord.seq.desc()).limit(limit)).all()
    items = [{f: getattr(r, f) for f in _FIELDS} for r in rows]
    ctx.audit(session, current, "audit.read", resource="audit", result_count=len(items))
    session.commit()
    return {"items": items}


@router.post("/audit/verify")
def verify_chain(
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("audit.verify", "POST /api/audit/verify")),
) -> dict:
    report = verify(session, ctx.public_key)
    ctx.audit(
        session,
        current,
        "audit.verify",
        resource="audit",
        result_count=report.records,
        outcome="ok" if report.ok else "broken",
    )
    session.commit()
    return asdict(report)
