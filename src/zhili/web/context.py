"""What the pages need from the server, handed to them once at start: the data directory, the
database sessions, the privacy context and the running event hub. Pages reach the services
through it and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from zhili.privacy.context import PrivacyContext

if TYPE_CHECKING:
    from zhili.events.hub import EventHub
    from zhili.web.live import LiveFeed


@dataclass
class WebContext:
    data: Path
    sessions: sessionmaker[Session]
    privacy: PrivacyContext
    events: EventHub
    feed: LiveFeed | None = None
