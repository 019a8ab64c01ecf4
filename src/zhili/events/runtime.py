"""What intake and the workflow need at hand, built once per process: the routing rules (re-read
when a new version is activated), the crowd and merge policies, the district's areas and the
dispatcher's index of on-duty workers."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Protocol

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.events.merging import MergePolicy
from zhili.events.models import RoutingVersion
from zhili.events.routing import _DATA, CrowdPolicy, RuleBook, active_book, crowd_policy, load_book
from zhili.geo import DistrictLayout


class Dispatcher(Protocol):
    def nearest(self, area_code: str, lon: float | None, lat: float | None): ...


class NoWorkers:
    """A dispatcher with nobody on duty: events go to the department (tests, a bare hub)."""

    def nearest(self, area_code: str, lon: float | None, lat: float | None) -> None:
        return None


def merge_policy() -> MergePolicy:
    raw = yaml.safe_load((_DATA / "routing.yaml").read_text("utf-8"))["merge"]
    return MergePolicy(
        radius_m=float(raw["radius_m"]),
        window=dt.timedelta(minutes=int(raw["window_minutes"])),
        families=frozenset(raw["families"]),
    )


# Which routing version is active: asked before every batch, so an edit applies at once.
ACTIVE_VERSION = select(RoutingVersion.version).where(RoutingVersion.active)


@dataclass
class HubState:
    layout: DistrictLayout
    dispatcher: Dispatcher = field(default_factory=NoWorkers)
    crowd: CrowdPolicy = field(default_factory=crowd_policy)
    merge: MergePolicy = field(default_factory=merge_policy)
    _book: RuleBook | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._areas = set(self.layout.grids["code"].to_list())
        self._areas |= set(self.layout.villages["code"].to_list())
        self._areas |= set(self.layout.towns["code"].to_list())
        self._district = self.layout.towns["code"][0][:6]
        self._areas.add(self._district)
        self._grid_codes = self.layout.grids["code"].to_numpy()

    def known_area(self, code: str) -> bool:
        return code in self._areas

    def locate(self, lon: float, lat: float) -> str | None:
        g = self.layout.locate_one(lon, lat)
        return None if g < 0 else str(self._grid_codes[g])

    def book(self, session: Session) -> RuleBook:
        """The active rules; one cheap query tells whether a new version was activated."""
        return self.book_at(session, session.scalar(ACTIVE_VERSION))

    def book_at(self, session: Session, active: int | None) -> RuleBook:
        """The rules of the `active` version the caller read (ACTIVE_VERSION)."""
        with self._lock:
            if self._book is not None and self._book.version == active:
                return self._book
        book = active_book(session) if active is None else load_book(session, active)
        with self._lock:
            self._book = book
        return book
