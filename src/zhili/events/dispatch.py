"""Dispatch: the nearest on-duty worker of the event's grid, else of its village.

`WorkerIndex` keeps every on-duty worker in two buckets, one for their grid and one for their
village: small numpy arrays (id, lon, lat, full-time flag) searched by brute force. A grid
holds a few dozen workers and a village a few hundred, so a vectorised scan costs microseconds
and needs no spatial tree to maintain; an update stays O(1): a position report overwrites one slot,
a duty or grid change appends to or swap-removes from two buckets.

The rule (issue #5 item 4):
1. the on-duty workers of the event's grid (the area code's 15-digit prefix): the one nearest
   to the event's point;
2. if nobody there is on duty, the on-duty workers of the village (12-digit prefix), nearest;
3. else None: the caller dispatches to the responsible department.
Within a level, a worker who has not reported a position is chosen only when nobody on duty
there has one, or when the event itself has no point; then the order rule picks — full-time
first (the grid's own 专职网格员 answers for it), then the lowest id — with distance None.
An area code shorter than a grid's skips the grid level; shorter than a village's gives None.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.events.lifecycle import LEVEL_CODE_LENGTH
from zhili.events.models import Worker

GRID_LEN = LEVEL_CODE_LENGTH["grid"]
VILLAGE_LEN = LEVEL_CODE_LENGTH["village"]
EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
# A worker with no reported position sits at infinity: never the nearest, never NaN.
_NOWHERE = math.inf


@dataclass(frozen=True)
class Choice:
    worker_id: int
    level: str  # "grid" | "village"
    distance_m: float | None  # None when the event or the chosen worker has no position


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


class _Bucket:
    """The on-duty workers of one unit in preallocated arrays; `n` slots are live."""

    __slots__ = ("full", "ids", "lat", "lon", "n", "slot")

    def __init__(self, capacity: int = 8) -> None:
        self.ids = np.empty(capacity, dtype=np.int64)
        self.lon = np.empty(capacity, dtype=np.float64)
        self.lat = np.empty(capacity, dtype=np.float64)
        self.full = np.empty(capacity, dtype=bool)
        self.n = 0
        self.slot: dict[int, int] = {}

    def add(self, worker_id: int, lon: float, lat: float, full: bool) -> None:
        if self.n == self.ids.size:  # doubling keeps appends amortised O(1)
            size = max(8, 2 * self.ids.size)
            for name in ("ids", "lon", "lat", "full"):
                old = getattr(self, name)
                new = np.empty(size, dtype=old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        i = self.n
        self.ids[i], self.lon[i], self.lat[i], self.full[i] = worker_id, lon, lat, full
        self.slot[worker_id] = i
        self.n += 1

    def move(self, worker_id: int, lon: float, lat: float) -> None:
        i = self.slot[worker_id]
        self.lon[i], self.lat[i] = lon, lat

    def remove(self, worker_id: int) -> None:
        # Swap the last live slot into the hole: O(1), order inside a bucket carries no meaning.
        i = self.slot.pop(worker_id)
        last = self.n - 1
        if i != last:
            moved = int(self.ids[last])
            self.ids[i], self.lon[i] = self.ids[last], self.lon[last]
            self.lat[i], self.full[i] = self.lat[last], self.full[last]
            self.slot[moved] = i
        self.n = last

    def nearest(self, lon: float, lat: float, coslat: float) -> tuple[int, float] | None:
        """(id, metres) of the nearest positioned worker; None if nobody has a position."""
        n = self.n
        # Rank by the equirectangular approximation (cos of the event's latitude): within a
        # village it is off by under 0.1 %, so it can only swap near-ties; the distance
        # reported is the haversine of the one chosen.
        dx = (self.lon[:n] - lon) * coslat
        dy = self.lat[:n] - lat
        d2 = dx * dx + dy * dy
        i = int(d2.argmin())
        if d2[i] == math.inf:
            return None
        return int(self.ids[i]), distance_m(lon, lat, float(self.lon[i]), float(self.lat[i]))

    def first(self) -> int:
        """The order rule: a full-time worker before part-time ones, then the lowest id."""
        n = self.n
        ids = self.ids[:n]
        full = ids[self.full[:n]]
        return int((full if full.size else ids).min())


@dataclass
class _Worker:
    grid_code: str
    on_duty: bool
    lon: float  # _NOWHERE when unknown
    lat: float
    full: bool


def _field(row: Any, name: str, default: Any = None) -> Any:
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def _coord(value: float | None) -> float:
    return _NOWHERE if value is None or math.isnan(value) else float(value)


class WorkerIndex:
    """On-duty workers by grid and by village; one writer and any number of readers.

    A single lock guards both buckets: the writer's swap-remove moves two slots, and a reader
    must not see it half done. Both sides hold it for microseconds.
    """

    def __init__(self) -> None:
        self._workers: dict[int, _Worker] = {}
        self._grids: dict[str, _Bucket] = {}
        self._villages: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_rows(cls, rows: Iterable[Any]) -> WorkerIndex:
        """Rows are objects or mappings with id, grid_code, on_duty, lon, lat and optionally
        kind ("full_time" | "part_time"; missing means part-time)."""
        index = cls()
        for row in rows:
            index._put(
                int(_field(row, "id")),
                _Worker(
                    grid_code=str(_field(row, "grid_code")),
                    on_duty=bool(_field(row, "on_duty", False)),
                    lon=_coord(_field(row, "lon")),
                    lat=_coord(_field(row, "lat")),
                    full=_field(row, "kind") == "full_time",
                ),
            )
        return index

    # -- writing ------------------------------------------------------------------------
    def update(
        self,
        worker_id: int,
        *,
        grid_code: str | None = None,
        lon: float | None = None,
        lat: float | None = None,
        on_duty: bool | None = None,
        kind: str | None = None,
    ) -> None:
        """A position report, a duty change or a new assignment. None leaves a field as it
        was (a report never erases a known position); a new worker needs grid_code."""
        with self._lock:
            old = self._workers.get(worker_id)
            if old is None:
                if grid_code is None:
                    raise KeyError(f"worker {worker_id} is not indexed; give grid_code")
                new = _Worker(
                    grid_code, bool(on_duty), _coord(lon), _coord(lat), kind == "full_time"
                )
                self._workers[worker_id] = new
                if new.on_duty:
                    self._insert(worker_id, new)
                return
            new = _Worker(
                grid_code=old.grid_code if grid_code is None else grid_code,
                on_duty=old.on_duty if on_duty is None else on_duty,
                lon=old.lon if lon is None else _coord(lon),
                lat=old.lat if lat is None else _coord(lat),
                full=old.full if kind is None else kind == "full_time",
            )
            self._workers[worker_id] = new
            if (
                old.on_duty
                and new.on_duty
                and (old.grid_code, old.full) == (new.grid_code, new.full)
            ):
                # The common case, a position report: overwrite two slots in place.
                self._grids[new.grid_code].move(worker_id, new.lon, new.lat)
                self._villages[new.grid_code[:VILLAGE_LEN]].move(worker_id, new.lon, new.lat)
                return
            if old.on_duty:
                self._delete(worker_id, old)
            if new.on_duty:
                self._insert(worker_id, new)

    def remove(self, worker_id: int) -> None:
        """Forget a worker (left the workforce); unknown ids are ignored."""
        with self._lock:
            old = self._workers.pop(worker_id, None)
            if old is not None and old.on_duty:
                self._delete(worker_id, old)

    def _put(self, worker_id: int, worker: _Worker) -> None:
        # Only from from_rows, before the index is shared: no lock needed.
        old = self._workers.get(worker_id)
        if old is not None and old.on_duty:
            self._delete(worker_id, old)
        self._workers[worker_id] = worker
        if worker.on_duty:
            self._insert(worker_id, worker)

    def _insert(self, worker_id: int, w: _Worker) -> None:
        for table, code in (
            (self._grids, w.grid_code),
            (self._villages, w.grid_code[:VILLAGE_LEN]),
        ):
            bucket = table.get(code)
            if bucket is None:
                bucket = table[code] = _Bucket()
            bucket.add(worker_id, w.lon, w.lat, w.full)

    def _delete(self, worker_id: int, w: _Worker) -> None:
        for table, code in (
            (self._grids, w.grid_code),
            (self._villages, w.grid_code[:VILLAGE_LEN]),
        ):
            bucket = table[code]
            bucket.remove(worker_id)
            if bucket.n == 0:
                del table[code]

    # -- reading ------------------------------------------------------------------------
    def nearest(self, area_code: str, lon: float | None, lat: float | None) -> Choice | None:
        """The worker to dispatch for an event in `area_code` at (lon, lat); None: nobody."""
        known = lon is not None and lat is not None and not (math.isnan(lon) or math.isnan(lat))
        coslat = math.cos(math.radians(lat)) if known else 0.0  # type: ignore[arg-type]
        with self._lock:
            for level, table, length in (
                ("grid", self._grids, GRID_LEN),
                ("village", self._villages, VILLAGE_LEN),
            ):
                if len(area_code) < length:
                    continue
                bucket = table.get(area_code[:length])
                if bucket is None:  # buckets are dropped when empty: nobody on duty there
                    continue
                if known:
                    hit = bucket.nearest(lon, lat, coslat)  # type: ignore[arg-type]
                    if hit is not None:
                        return Choice(hit[0], level, hit[1])
                return Choice(bucket.first(), level, None)
        return None

    def on_duty(self, area_code: str) -> int:
        """How many workers are on duty in a grid (15 digits) or village (12 digits)."""
        is_grid = len(area_code) >= GRID_LEN
        table = self._grids if is_grid else self._villages
        with self._lock:
            bucket = table.get(area_code[: GRID_LEN if is_grid else VILLAGE_LEN])
            return 0 if bucket is None else bucket.n

    def __len__(self) -> int:
        """Workers known to the index, on duty or not."""
        return len(self._workers)


def load_index(session: Session) -> WorkerIndex:
    """The index of every worker in the `workers` table (off-duty ones are kept, unindexed)."""
    rows = session.execute(
        select(Worker.id, Worker.grid_code, Worker.on_duty, Worker.lon, Worker.lat, Worker.kind)
    )
    return WorkerIndex.from_rows(rows)
