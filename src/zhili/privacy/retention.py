"""Retention of raw movement data: gate passages older than the period are reduced to daily
counts per person (no times, no gates) and deleted. The job's work is itself audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from zhili.hub.models import AccessDaily, AccessEvent
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import authorize

DEFAULT_DAYS = 30


def run_retention(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    days: int = DEFAULT_DAYS,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    authorize(actor, "retention.run")
    if days < 1:
        raise ValueError("retention period must be at least one day")
    cutoff = (now or dt.datetime.now()) - dt.timedelta(days=days)
    day = func.date(AccessEvent.passed_at)
    counts = session.execute(
        select(
            AccessEvent.person_id, day.label("day"), func.min(AccessEvent.grid_code), func.count()
        )
        .where(AccessEvent.passed_at < cutoff, AccessEvent.person_id.is_not(None))
        .group_by(AccessEvent.person_id, day)
    ).all()
    for person_id, d, grid, n in counts:
        d = d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))
        existing = session.get(AccessDaily, (person_id, d))
        if existing:
            existing.passages += n
        else:
            session.add(AccessDaily(person_id=person_id, day=d, grid_code=grid, passages=n))
    deleted = session.execute(delete(AccessEvent).where(AccessEvent.passed_at < cutoff)).rowcount
    ctx.audit(
        session,
        actor,
        "retention.run",
        resource=f"access_events<{cutoff:%Y-%m-%d}",
        result_count=deleted or 0,
    )
    session.commit()
    return {"deleted": deleted or 0, "daily_rows": len(counts)}
