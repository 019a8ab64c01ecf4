"""The grid workforce in the operational store: loaded from the twin, moved by position reports.

Until workers report from their phones, each starts at a random point inside their own grid;
every full-time worker is on duty and a fixed share of part-time ones (drawn with the seed, so
two loads give the same workforce).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from zhili.events.models import Event, Worker
from zhili.geo import DistrictLayout, get_layout

_BATCH = 5_000
# What a reload rewrites; user_id is left alone: it links a worker to a login made elsewhere.
_LOADED = ("person_id", "name", "kind", "role", "grid_code", "on_duty", "lon", "lat", "position_at")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def load_workers(
    session: Session,
    twin_dir: Path,
    seed: int = 7,
    on_duty_share_part_time: float = 0.3,
    layout: DistrictLayout | None = None,
) -> int:
    """Replace the `workers` table with the twin's workforce; returns the number of workers.

    Ids come from the twin's worker ids (W000123 -> 123), so a reload keeps the ids that events
    already point at: rows are upserted, and rows the twin no longer has are deleted unless an
    event refers to them (those stay, off duty). Commits.
    """
    twin_dir = Path(twin_dir)
    truth = twin_dir / "truth"
    if layout is None:
        geo = twin_dir / "geo"
        layout = get_layout(geo if (geo / "raster.npz").exists() else None)
    persons = pl.read_parquet(truth / "persons.parquet", columns=["person_id", "name"])
    grids = layout.grids.select(
        pl.col("code").alias("grid_code"), pl.int_range(pl.len()).alias("grid_index")
    )
    workers = (
        pl.read_parquet(truth / "workers.parquet")
        .join(persons, on="person_id", how="left", maintain_order="left")
        .join(grids, on="grid_code", how="left", maintain_order="left")
        .with_columns(id=pl.col("worker_id").str.slice(1).cast(pl.Int64))
        .sort("id")
    )
    if workers["grid_index"].null_count():
        bad = workers.filter(pl.col("grid_index").is_null())["grid_code"].unique().to_list()
        raise ValueError(f"workers in grids the layout does not have: {bad[:5]}")

    rng = np.random.default_rng(seed)
    lon, lat = layout.sample_points(workers["grid_index"].to_numpy(), rng)
    full = (workers["kind"] == "full_time").to_numpy()
    part = np.flatnonzero(~full)
    # An exact share, not a coin per worker: the tiny twin's few part-timers still hit it.
    on_part = rng.choice(part, round(on_duty_share_part_time * part.size), replace=False)
    on_duty = full.copy()
    on_duty[on_part] = True

    now = _utcnow()
    rows = (
        workers.select(
            "id",
            "person_id",
            # A worker must have a name; the twin's persons always do, a stray id keeps its own.
            pl.coalesce("name", "worker_id").alias("name"),
            "kind",
            "role",
            "grid_code",
        )
        .with_columns(
            on_duty=pl.Series(on_duty), lon=pl.Series(lon), lat=pl.Series(lat), position_at=now
        )
        .to_dicts()
    )
    table: Table = Worker.__table__  # type: ignore[assignment]
    statement = _upsert(session, table)
    for start in range(0, len(rows), _BATCH):
        session.execute(statement, rows[start : start + _BATCH])

    stale = set(session.scalars(select(Worker.id))) - set(workers["id"].to_list())
    if stale:
        used = set(session.scalars(select(Event.worker_id).where(Event.worker_id.is_not(None))))
        gone = sorted(stale - used)
        for start in range(0, len(gone), 500):
            session.execute(table.delete().where(table.c.id.in_(gone[start : start + 500])))
        if stale & used:
            session.execute(
                update(Worker).where(Worker.id.in_(sorted(stale & used))).values(on_duty=False)
            )
    session.commit()
    return len(rows)


def _upsert(session: Session, table: Table):  # type: ignore[no-untyped-def]
    """INSERT … ON CONFLICT (id) DO UPDATE for SQLite and PostgreSQL alike."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise NotImplementedError(f"no upsert for {dialect}")
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={name: statement.excluded[name] for name in _LOADED},
    )


def report_position(
    session: Session,
    worker_id: int,
    lon: float,
    lat: float,
    on_duty: bool | None = None,
) -> Worker:
    """Record a worker's reported position (and duty, when given) in the caller's transaction.

    The caller commits and then applies the same report to its WorkerIndex
    (`index.update(worker.id, lon=..., lat=..., on_duty=...)`), so the index never runs ahead of
    the database. Raises KeyError for an unknown worker, ValueError for an impossible point.
    """
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):  # also refuses NaN
        raise ValueError(f"not a WGS-84 position: {lon}, {lat}")
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise KeyError(f"no worker {worker_id}")
    worker.lon, worker.lat = float(lon), float(lat)
    worker.position_at = _utcnow()
    if on_duty is not None:
        worker.on_duty = on_duty
    session.flush()
    return worker
