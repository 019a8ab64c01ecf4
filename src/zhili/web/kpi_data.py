"""The analyst's figures beside the three rates (events.stats): warnings raised by models and
devices, counted per category (aggregates, event.stats), and for those who may list events in
their area the latest warnings with their reasons (scoped in the query, identifiers masked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.events.categories import tree
from zhili.events.models import Event
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.masking import mask_text
from zhili.privacy.policy import authorize
from zhili.privacy.scope import scope_condition

WARNING_CHANNELS = ("model", "device")


def _since(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days)


def warning_counts(
    session: Session, actor: Actor, days: int = 30, lang: str = "zh"
) -> list[dict[str, Any]]:
    authorize(actor, "event.stats")
    q = select(Event.category, Event.channel, func.count()).where(
        Event.channel.in_(WARNING_CHANNELS), Event.created_at >= _since(days)
    )
    if actor.scope:
        q = q.where(Event.area_code.startswith(actor.scope, autoescape=True))
    cats = tree().categories
    return [
        {
            "category": cats[c].name(lang) if c in cats else c,
            "channel": ch,
            "count": n,
        }
        for c, ch, n in session.execute(
            q.group_by(Event.category, Event.channel).order_by(func.count().desc())
        )
    ]


def latest_warnings(
    session: Session, ctx: PrivacyContext, actor: Actor, limit: int = 20, lang: str = "zh"
) -> list[dict[str, Any]]:
    """The latest warnings in the actor's area with their reasons (the event's text)."""
    authorize(actor, "event.list")
    rows = session.scalars(
        select(Event)
        .where(Event.channel.in_(WARNING_CHANNELS), scope_condition(actor, Event.area_code))
        .order_by(Event.id.desc())
        .limit(limit)
    ).all()
    ctx.audit(session, actor, "event.list", resource="warnings", result_count=len(rows))
    session.commit()
    cats = tree().categories
    return [
        {
            "id": e.code,
            "category": cats[e.category].name(lang) if e.category in cats else e.category,
            "reasons": mask_text(e.description, (e.reporter_name,)),
            "state": e.state,
            "at": e.created_at.isoformat() + "Z",
        }
        for e in rows
    ]
