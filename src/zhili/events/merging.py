"""Reports about one incident become one incident: same category family, near in space and
time, the incident still open. The window and radius are data (routing.yaml: merge)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, literal_column, select

from zhili.events.lifecycle import OPEN_STATES
from zhili.events.models import Event

EARTH_M = 6_371_000.0


@dataclass(frozen=True)
class MergePolicy:
    radius_m: float = 500.0
    window: dt.timedelta = dt.timedelta(hours=3)
    families: frozenset[str] = frozenset()  # families whose reports merge ("" = none)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance: exact enough within a district, and cheap."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return EARTH_M * math.hypot(x, y)


@dataclass(frozen=True)
class Candidate:
    id: int | None  # None: an incident being written in the same batch
    family: str
    area_code: str
    lon: float | None
    lat: float | None
    created_at: dt.datetime
    batch_index: int | None = None


def _near(policy: MergePolicy, c: Candidate, family: str, area: str, lon, lat, now) -> bool:
    if c.family != family or now - c.created_at > policy.window:
        return False
    if lon is not None and lat is not None and c.lon is not None and c.lat is not None:
        return distance_m(lon, lat, c.lon, c.lat) <= policy.radius_m
    # Without points, the same grid stands for "near".
    return c.area_code[:15] == area[:15]


_EVENTS = Event.__table__


def _open_candidates(near: Any) -> Any:
    """The merge lookup's query, built once: open, unmerged reports of a family since a
    time, near a point (a box) or in a grid."""
    assert all(s.isidentifier() for s in OPEN_STATES)
    c = _EVENTS.c
    return (
        select(c.id, c.family, c.area_code, c.lon, c.lat, c.created_at)
        .where(
            c.family == bindparam("family"),
            c.created_at >= bindparam("since"),
            c.incident_id.is_(None),
            c.state.in_([literal_column(f"'{s}'") for s in OPEN_STATES]),
            near,
        )
        .limit(50)
    )


_NEAR_POINT = _open_candidates(
    and_(
        _EVENTS.c.lat.between(bindparam("lat0"), bindparam("lat1")),
        _EVENTS.c.lon.between(bindparam("lon0"), bindparam("lon1")),
    )
)
_IN_GRID = _open_candidates(_EVENTS.c.area_code.like(bindparam("prefix")))


def find_incident(
    conn: Connection,
    policy: MergePolicy,
    family: str,
    area_code: str,
    lon: float | None,
    lat: float | None,
    now: dt.datetime,
    pending: list[Candidate],
) -> Candidate | None:
    """The open incident this report belongs to: the nearest, in the batch or the database."""
    if family not in policy.families:
        return None
    best: tuple[float, Candidate] | None = None

    def consider(c: Candidate) -> None:
        nonlocal best
        if not _near(policy, c, family, area_code, lon, lat, now):
            return
        d = 0.0
        if None not in (lon, lat, c.lon, c.lat):
            d = distance_m(lon, lat, c.lon, c.lat)  # type: ignore[arg-type]
        if best is None or d < best[0]:
            best = (d, c)

    for c in pending:
        consider(c)
    params: dict[str, Any] = {"family": family, "since": now - policy.window}
    if lon is not None and lat is not None:
        dlat = math.degrees(policy.radius_m / EARTH_M)
        dlon = dlat / max(0.2, math.cos(math.radians(lat)))
        params |= {"lat0": lat - dlat, "lat1": lat + dlat, "lon0": lon - dlon, "lon1": lon + dlon}
        stmt = _NEAR_POINT
    else:
        # Area codes are digits (checked against the layout): no LIKE wildcard to escape.
        assert area_code.isdigit()
        params["prefix"] = area_code[:15] + "%"
        stmt = _IN_GRID
    for row in conn.execute(stmt, params):
        consider(Candidate(row.id, row.family, row.area_code, row.lon, row.lat, row.created_at))
    return best[1] if best else None
