"""The escalation sweep: every timer past due fires once. An overdue step goes up one level
(grid → village → town → district) with new deadlines and notices; at the district it is
flagged and urged. The sweep runs in the server every ZHILI_ESCALATION_SECONDS and from
`zhili events sweep`; timers are rows, so a restart resumes where it stopped."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhili.events import lifecycle as L
from zhili.events.models import Event, EventAction, EventTimer
from zhili.events.notify import notify
from zhili.events.runtime import HubState
from zhili.events.timers import reset_timers
from zhili.events.workflow import escalate_to
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext

log = logging.getLogger(__name__)
SYSTEM = Actor(id="system:escalation", role="detector", display_name="escalation sweep")


def sweep(
    session: Session,
    state: HubState,
    ctx: PrivacyContext,
    now: dt.datetime | None = None,
    limit: int = 1000,
) -> int:
    """Fire the timers due by `now`; returns how many fired. Commits."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    due = session.scalars(
        select(EventTimer)
        .where(EventTimer.done_at.is_(None), EventTimer.due_at <= now)
        .order_by(EventTimer.due_at)
        .limit(limit)
    ).all()
    fired = 0
    for timer in due:
        event = session.get(Event, timer.event_id)
        timer.done_at = now
        timer.fired = True
        if event is None or event.state not in L.OPEN_STATES or event.level != timer.level:
            continue
        fired += 1
        what = "未按时响应" if timer.kind == "respond" else "未按期办结"
        if timer.kind == "resolve":
            event.overdue = True
        above = L.level_above(event.level)
        if above is not None:
            escalate_to(session, state, event, above, SYSTEM.id, now, f"{what}，自动上报")
        else:
            rule = state.book(session).rule(event.category, event.level)
            event.due_at = reset_timers(
                session,
                event.id,
                event.level,
                rule,
                now,
                dispatched=event.state not in (L.RECEIVED, L.TRANSFERRED, L.REOPENED),
            )
            session.add(
                EventAction(
                    event_id=event.id,
                    at=now,
                    actor=SYSTEM.id,
                    action="urge",
                    from_state=event.state,
                    to_state=event.state,
                    level=event.level,
                    department=event.department,
                    note=f"区级{what}，督办",
                )
            )
            notify(
                session,
                event.id,
                f"dept:{event.department}",
                "overdue",
                f"督办：事件 {event.code} 区级{what}",
                now,
                event.state,
            )
        ctx.audit(
            session,
            SYSTEM,
            f"event.escalate.{timer.kind}",
            resource=f"event:{event.code}",
            result_count=1,
        )
    session.commit()
    return fired


class EscalationLoop:
    """A daemon thread that sweeps every `seconds` (started and stopped with the server)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        state: HubState,
        ctx: PrivacyContext,
        seconds: float = 30.0,
    ) -> None:
        self.sessions, self.state, self.ctx, self.seconds = sessions, state, ctx, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zhili-escalation", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                with self.sessions() as session:
                    n = sweep(session, self.state, self.ctx)
                if n:
                    log.info("escalation sweep: %d timers fired", n)
            except Exception:  # keep sweeping; the next run retries the same rows
                log.exception("escalation sweep failed")
