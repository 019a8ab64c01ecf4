"""Reports about one incident become one incident: same category family, near in space and
time, the incident still open. The window and radius are data (routing.yaml: merge)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, literal_column, select, text

from zhili.db.pipeline import Reads
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
# A range, not LIKE: SQLite uses an index for LIKE only with case-sensitive matching on.
_IN_GRID = _open_candidates(
    and_(_EVENTS.c.area_code >= bindparam("code0"), _EVENTS.c.area_code < bindparam("code1"))
)


def _box(policy: MergePolicy, lon: float, lat: float) -> dict[str, float]:
    dlat = math.degrees(policy.radius_m / EARTH_M)
    dlon = dlat / max(0.2, math.cos(math.radians(lat)))
    return {"lat0": lat - dlat, "lat1": lat + dlat, "lon0": lon - dlon, "lon1": lon + dlon}


def _grid_range(area_code: str) -> dict[str, str]:
    # Area codes are digits (checked against the layout): every code under the grid sorts
    # between the grid's code and the same code followed by ":" (after "9").
    assert area_code.isdigit()
    return {"code0": area_code[:15], "code1": area_code[:15] + ":"}


# PostgreSQL: every report of a batch looked up in one round trip (per kind), with a fixed
# statement text (arrays, not a list of parameters) so that it is prepared once.
_OPEN = ", ".join(f"'{s}'" for s in sorted(OPEN_STATES))
_PG_LATERAL = """
SELECT q.i, e.id, e.family, e.area_code, e.lon, e.lat, e.created_at
FROM unnest({arrays}) WITH ORDINALITY AS q({names}, i)
CROSS JOIN LATERAL (
  SELECT id, family, area_code, lon, lat, created_at FROM events
  WHERE family = q.family AND created_at >= :since AND incident_id IS NULL
    AND state IN ({open}) AND {near}
  LIMIT 50
) e"""
_PG_NEAR_POINTS = text(
    _PG_LATERAL.format(
        arrays="CAST(:family AS text[]), CAST(:lat0 AS float8[]), CAST(:lat1 AS float8[]), "
        "CAST(:lon0 AS float8[]), CAST(:lon1 AS float8[])",
        names="family, lat0, lat1, lon0, lon1",
        open=_OPEN,
        near="lat BETWEEN q.lat0 AND q.lat1 AND lon BETWEEN q.lon0 AND q.lon1",
    )
)
_PG_IN_GRIDS = text(
    _PG_LATERAL.format(
        arrays="CAST(:family AS text[]), CAST(:code0 AS text[]), CAST(:code1 AS text[])",
        names="family, code0, code1",
        open=_OPEN,
        near="area_code >= q.code0 AND area_code < q.code1",
    )
)


Lookup = tuple[str, str, float | None, float | None]  # family, area code, lon, lat


def prefetch(
    reads: Reads, policy: MergePolicy, lookups: list[Lookup], now: dt.datetime
) -> Callable[[], list[list[Candidate]] | None]:
    """On PostgreSQL, queue the database's candidates for every lookup of a batch on `reads`
    (sent with the batch's other reads); after `reads.run()` the returned function gives each
    lookup's candidates (None elsewhere: SQLite answers each lookup in-process, without a
    round trip)."""
    if reads.conn.dialect.name != "postgresql":
        return lambda: None
    points: dict[str, list[Any]] = {k: [] for k in ("family", "lat0", "lat1", "lon0", "lon1")}
    grids: dict[str, list[Any]] = {k: [] for k in ("family", "code0", "code1")}
    point_of: list[int] = []
    grid_of: list[int] = []
    for i, (family, area, lon, lat) in enumerate(lookups):
        if family not in policy.families:
            continue
        if lon is not None and lat is not None:
            for k, v in ({"family": family} | _box(policy, lon, lat)).items():
                points[k].append(v)
            point_of.append(i)
        else:
            for k, v in ({"family": family} | _grid_range(area)).items():
                grids[k].append(v)
            grid_of.append(i)
    since = now - policy.window
    queued = [
        (reads.add(stmt, {**params, "since": since}), index)
        for stmt, params, index in (
            (_PG_NEAR_POINTS, points, point_of),
            (_PG_IN_GRIDS, grids, grid_of),
        )
        if index
    ]

    def candidates() -> list[list[Candidate]]:
        out: list[list[Candidate]] = [[] for _ in lookups]
        for handle, index in queued:
            for row in reads.rows(handle):
                out[index[row.i - 1]].append(
                    Candidate(row.id, row.family, row.area_code, row.lon, row.lat, row.created_at)
                )
        return out

    return candidates


def find_incident(
    conn: Connection,
    policy: MergePolicy,
    family: str,
    area_code: str,
    lon: float | None,
    lat: float | None,
    now: dt.datetime,
    pending: list[Candidate],
    fetched: list[Candidate] | None = None,
) -> Candidate | None:
    """The open incident this report belongs to: the nearest, in the batch or the database
    (`fetched`: the database's candidates, when `prefetch` already read them)."""
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
    if fetched is not None:
        for c in fetched:
            consider(c)
        return best[1] if best else None
    params: dict[str, Any] = {"family": family, "since": now - policy.window}
    if lon is not None and lat is not None:
        params |= _box(policy, lon, lat)
        stmt = _NEAR_POINT
    else:
        params |= _grid_range(area_code)
        stmt = _IN_GRID
    for row in conn.execute(stmt, params):
        consider(Candidate(row.id, row.family, row.area_code, row.lon, row.lat, row.created_at))
    return best[1] if best else None
