"""The detector interface: how the modules' rules and models raise warnings as events.

A detector looks at the hub's data and yields `Alert`s; `run_detector` turns them into events
of channel "model", authored by the detector itself (role `detector`, policy `event.raise`).
Every alert carries its reasons (the signals that made it), never a bare score, and a stable
key: running a detector again does not raise the same warning twice (the key is the
idempotency key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from zhili.events.intake import Outcome, prepare, write_batch
from zhili.events.runtime import HubState
from zhili.events.schemas import EntityRef, EventIn
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext


@dataclass(frozen=True)
class Alert:
    key: str  # stable per warning: e.g. "wages:MA0001234:2019-03"
    category: str
    area_code: str
    title: str
    reasons: tuple[str, ...]  # the top contributing signals, in words
    severity: int = 2
    lon: float | None = None
    lat: float | None = None
    entities: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (kind, id)

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ValueError(f"alert {self.key} has no reasons: a warning must say why")


class Detector(Protocol):
    name: str

    def detect(self, session: Session, now: dt.datetime) -> Iterable[Alert]: ...


def detector_actor(name: str) -> Actor:
    return Actor(id=f"detector:{name}", role="detector", scope="330110", display_name=name)


def run_detector(
    sessions: sessionmaker[Session],
    state: HubState,
    ctx: PrivacyContext,
    detector: Detector,
    now: dt.datetime | None = None,
) -> list[Outcome]:
    """Run one detector and write its alerts as events in one transaction."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    actor = detector_actor(detector.name)
    with sessions() as session:
        alerts = list(detector.detect(session, now))
        drafts = [
            prepare(
                state,
                actor,
                EventIn(
                    category=a.category,
                    area_code=a.area_code,
                    lon=a.lon,
                    lat=a.lat,
                    severity=a.severity,
                    title=a.title[:128],
                    description="\n".join(f"· {r}" for r in a.reasons),
                    entities=[EntityRef(kind=k, id=i) for k, i in a.entities] or None,
                ),
                "model",
                a.key,
            )
            for a in alerts
        ]
        outcomes = write_batch(session, state, ctx, drafts, now=now) if drafts else []
        session.commit()
    return outcomes
