"""Who viewed my data (like Estonia's Data Tracker): the reads of a citizen's data by others,
with department, time and purpose; confidential reads appear after their disclosure date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhili.privacy.actors import Actor
from zhili.privacy.audit import subject_hmac
from zhili.privacy.context import PrivacyContext
from zhili.privacy.identity.roles import ROLE_LABELS
from zhili.privacy.models import AuditRecord, AuditSubject
from zhili.privacy.policy import Resource, authorize
from zhili.privacy.purpose import LEGAL_BASES


@dataclass(frozen=True)
class DataAccess:
    at: dt.datetime
    department: str | None
    role: str
    action: str
    legal_basis: str | None
    purpose: str | None
    case_id: str | None


def data_access_report(
    session: Session, ctx: PrivacyContext, actor: Actor, today: dt.date | None = None
) -> list[DataAccess]:
    authorize(actor, "audit.mine", Resource(kind="audit", owner_person=actor.person_id))
    today = today or dt.date.today()
    me = subject_hmac(actor.person_id or "", ctx.subject_key)
    rows = session.scalars(
        select(AuditRecord)
        .join(AuditSubject, AuditSubject.seq == AuditRecord.seq)
        .where(
            AuditSubject.subject == me,
            AuditRecord.actor_id != actor.id,
            AuditRecord.outcome == "ok",
            or_(AuditRecord.disclose_after.is_(None), AuditRecord.disclose_after <= today),
        )
        .order_by(AuditRecord.seq.desc())
        .limit(500)
    ).all()
    ctx.audit(
        session,
        actor,
        "audit.mine",
        resource="me/data-access",
        subjects=[actor.person_id or ""],
        result_count=len(rows),
    )
    session.commit()
    return [
        DataAccess(
            at=r.at,
            department=r.actor_department,
            role=ROLE_LABELS.get(r.actor_role, r.actor_role),
            action=r.action,
            legal_basis=LEGAL_BASES.get(r.legal_basis or "", r.legal_basis),
            purpose=r.purpose,
            case_id=r.case_id,
        )
        for r in rows
    ]
