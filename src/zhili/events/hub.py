"""The event hub as the server runs it: shared state, the intake writer (group commit) and
the escalation sweep, started with the app and stopped with it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from zhili.events.dispatch import load_index
from zhili.events.escalation import EscalationLoop
from zhili.events.runtime import HubState
from zhili.events.writer import IntakeWriter
from zhili.geo import DistrictLayout
from zhili.privacy.context import PrivacyContext

log = logging.getLogger(__name__)


@dataclass
class EventHub:
    state: HubState
    writer: IntakeWriter
    escalation: EscalationLoop

    def start(self) -> None:
        self.writer.start()
        self.escalation.start()

    def stop(self) -> None:
        self.escalation.stop()
        self.writer.stop()


def district_layout(data: Path) -> DistrictLayout:
    from zhili.hub.overview import layout_for

    return layout_for(data)


def build_event_hub(data: Path, sessions: sessionmaker[Session], ctx: PrivacyContext) -> EventHub:
    layout = district_layout(data)
    with sessions() as session:
        index = load_index(session)
        state = HubState(layout=layout, dispatcher=index)
        state.book(session)  # seeds routing version 1 on a new database
    log.info("event hub: %d workers indexed", len(index))
    seconds = float(os.environ.get("ZHILI_ESCALATION_SECONDS", "30"))
    return EventHub(
        state=state,
        writer=IntakeWriter(sessions, state, ctx),
        escalation=EscalationLoop(sessions, state, ctx, seconds),
    )
