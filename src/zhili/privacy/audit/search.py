"""The auditor's view of the log: search (subjects are HMACs, shown only as a count) and
verification of the chain, each authorized and itself audited. Used by /api/audit and the
audit page."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.privacy.actors import Actor
from zhili.privacy.audit.chain import FIELDS
from zhili.privacy.audit.verify import verify
from zhili.privacy.context import PrivacyContext
from zhili.privacy.models import AuditRecord
from zhili.privacy.policy import authorize

# Every hashed field but the subjects' HMACs: the auditor sees how many, not whom.
SHOWN_FIELDS = tuple(f for f in FIELDS if f != "subjects")


def search_log(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    *,
    actor_id: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    authorize(actor, "audit.read")
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
    items = [{f: getattr(r, f) for f in SHOWN_FIELDS} for r in rows]
    ctx.audit(session, actor, "audit.read", resource="audit", result_count=len(items))
    session.commit()
    return items


def verify_log(session: Session, ctx: PrivacyContext, actor: Actor) -> dict[str, Any]:
    authorize(actor, "audit.verify")
    report = verify(session, ctx.public_key)
    ctx.audit(
        session,
        actor,
        "audit.verify",
        resource="audit",
        result_count=report.records,
        outcome="ok" if report.ok else "broken",
    )
    session.commit()
    return asdict(report)
