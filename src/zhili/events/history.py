"""The twin's historical events (2016-2018) in the event hub's operational store.

`load_history(url, twin_dir)` replaces every row of channel "history" with the twin's
truth/events_history.parquet (about 790,000 events at scale 1.0): one `events` row per past
event, code "H" + the twin's event number, routed by routing version 1.

History arrives closed: its timeline is not known, so no event_actions, timers or
notifications are written. What the store needs of a closed event (dispatch and completion
times, the deadline, overdue, the citizen's rating) is drawn plausibly and deterministically
(from the twin's seed) within the rule that would have routed it.

Speed: columns are built with polars/numpy; PostgreSQL takes them through COPY (CSV written
by polars), SQLite through executemany on the raw connection, all in one transaction.
Replacing history on PostgreSQL costs about as much as loading it: every deleted row fires the
foreign-key checks of the five references to `events` (~35 s of 60-70 s at scale 1.0).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from zhili.db import make_engine
from zhili.events.categories import Tree, tree
from zhili.events.lifecycle import COMPLETED, RATED
from zhili.events.models import RoutingVersion
from zhili.events.routing import RuleBook, load_book, save_version, seed_rules
from zhili.twin.rng import stream

CHANNEL = "history"
RULE_VERSION = 1
# The twin's families whose categories live under other names in the tree, tried in order;
# every other twin family has a tree family of the same code.
TWIN_FAMILIES: dict[str, tuple[str, ...]] = {
    "traffic_accident": ("traffic",),
    "hotline": ("utilities", "services"),  # 供水/供电/燃气 are utilities, the rest services
    "labour": ("wages",),
}
CHINA_OFFSET_MS = 8 * 3_600_000  # Asia/Shanghai has no daylight saving
RATED_SHARE = 0.65  # citizens who rated the outcome; the rest stayed "completed"
OVERDUE_SHARE = 0.04
# Ratings 1..5: most citizens are satisfied, fewer when the event ran over its deadline.
RATINGS_ON_TIME = (0.02, 0.03, 0.08, 0.27, 0.60)
RATINGS_OVERDUE = (0.10, 0.15, 0.30, 0.25, 0.20)

# The columns written, in COPY / INSERT order (id comes from the sequence / rowid).
COLUMNS: tuple[str, ...] = (
    "code",
    "category",
    "family",
    "channel",
    "state",
    "severity",
    "level",
    "department",
    "area_code",
    "lon",
    "lat",
    "title",
    "description",
    "reporter_actor",
    "external_id",
    "rule_version",
    "deadline_hours",
    "reported_at",
    "created_at",
    "updated_at",
    "dispatched_at",
    "completed_at",
    "due_at",
    "overdue",
    "rating",
)
_TIMES = ("reported_at", "created_at", "updated_at", "dispatched_at", "completed_at", "due_at")
# SQLAlchemy's own SQLite DATETIME text: the same format keeps string comparisons in SQL right.
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S%.6f"
SQLITE_CACHE_KIB = 256 * 1024  # measured at scale 1.0: insert 21 s -> 18 s


class UnmappedCategory(ValueError):
    """A twin sub-category with no category of the tree: the load refuses to guess."""


def category_map(
    pairs: Iterable[tuple[str, str]], t: Tree | None = None
) -> dict[tuple[str, str], str]:
    """(twin family, Chinese sub-category) -> the tree's category code; raises on any miss."""
    t = t or tree()
    found: dict[tuple[str, str], str] = {}
    missing: list[str] = []
    for family, zh in pairs:
        for fam in TWIN_FAMILIES.get(family, (family,)):
            c = t.by_name(fam, zh)
            if c is not None:
                found[(family, zh)] = c.code
                break
        else:
            missing.append(f"{family}/{zh}")
    if missing:
        raise UnmappedCategory(
            "twin history categories with no category in the tree: " + ", ".join(sorted(missing))
        )
    return found


def history_frame(twin_dir: Path, book: RuleBook, t: Tree | None = None) -> pl.DataFrame:
    """Every historical event as an `events` row (COLUMNS), times as polars datetimes."""
    t = t or tree()
    hist = pl.read_parquet(
        twin_dir / "truth" / "events_history.parquet",
        columns=[
            "event_id",
            "occurred_at",
            "family",
            "category",
            "system",
            "grid_code",
            "lon",
            "lat",
            "severity",
        ],
    )
    pairs = hist.select("family", "category").unique().rows()
    codes = category_map(pairs, t)
    # The routing of each distinct category once; the events join it.
    routes = []
    for (family, zh), code in codes.items():
        level = book.start_level(code)
        rule = book.rule(code, level)
        routes.append(
            (
                family,
                zh,
                code,
                t.get(code).family,
                level,
                rule.department,
                float(rule.deadline_hours),
                int(rule.respond_minutes),
            )
        )
    route = pl.DataFrame(
        routes,
        schema={
            "family": pl.Utf8,
            "category": pl.Utf8,
            "code": pl.Utf8,
            "tree_family": pl.Utf8,
            "level": pl.Utf8,
            "department": pl.Utf8,
            "deadline_hours": pl.Float64,
            "respond_minutes": pl.Int64,
        },
        orient="row",
    )
    ev = hist.join(route, on=["family", "category"], how="left", maintain_order="left")
    n = ev.height
    rng = stream(_twin_seed(twin_dir), "events.history")

    # Milliseconds since the epoch; every step is an offset from when it happened.
    # The twin's clock is local (UTC+8); the operational store keeps naive UTC like live intake.
    occurred = ev["occurred_at"].cast(pl.Datetime("ms")).cast(pl.Int64).to_numpy() - CHINA_OFFSET_MS
    deadline_ms = (ev["deadline_hours"].to_numpy() * 3_600_000).astype(np.int64)
    respond_ms = ev["respond_minutes"].to_numpy() * 60_000
    dispatched = occurred + (respond_ms * rng.uniform(0.05, 0.9, n)).astype(np.int64)
    due = occurred + deadline_ms
    overdue = rng.random(n) < OVERDUE_SHARE
    # On time: somewhere before the deadline, most well before it; overdue: up to 60 % late.
    on_time = dispatched + ((due - dispatched) * rng.beta(2.0, 3.0, n)).astype(np.int64)
    late = due + (deadline_ms * rng.uniform(0.05, 0.6, n)).astype(np.int64)
    completed = np.where(overdue, late, on_time)
    rated = rng.random(n) < RATED_SHARE
    rating = np.where(
        overdue,
        rng.choice(5, n, p=RATINGS_OVERDUE),
        rng.choice(5, n, p=RATINGS_ON_TIME),
    ).astype(np.int16) + np.int16(1)
    # The rating arrives with the return visit, two hours to three days after completion.
    updated = completed + np.where(rated, rng.integers(2 * 3_600_000, 72 * 3_600_000, n), 0)

    def ms(values: np.ndarray) -> pl.Series:
        return pl.Series(values).cast(pl.Datetime("ms"))

    return ev.select(
        code=pl.lit("H") + pl.col("event_id").str.strip_prefix("EV"),
        category=pl.col("code"),
        family=pl.col("tree_family"),
        channel=pl.lit(CHANNEL),
        state=pl.Series(np.where(rated, RATED, COMPLETED)),
        severity=pl.col("severity").cast(pl.Int16),
        level=pl.col("level"),
        department=pl.col("department"),
        area_code=pl.col("grid_code"),
        lon=pl.col("lon"),
        lat=pl.col("lat"),
        title=pl.col("category"),
        description=pl.lit(""),
        reporter_actor=pl.lit("history:") + pl.col("system"),
        external_id=pl.col("event_id"),  # the twin's own number, as a pushing system's id
        rule_version=pl.lit(RULE_VERSION, dtype=pl.Int32),
        deadline_hours=pl.col("deadline_hours"),
        reported_at=ms(occurred),
        created_at=ms(occurred),
        updated_at=ms(updated),
        dispatched_at=ms(dispatched),
        completed_at=ms(completed),
        due_at=ms(due),
        overdue=pl.Series(overdue),
        rating=pl.when(pl.Series(rated)).then(pl.Series(rating)),
    ).select(COLUMNS)


def load_history(url: str, twin_dir: Path, *, batch: int = 50_000) -> dict:
    """Replace the store's history (channel "history") with the twin's historical events.

    The schema must exist (`zhili.db.migrate.upgrade(url)`). Routing version 1 is created
    from the seed rules if the store has none, since every event records the version that
    routed it. History is written closed and without a timeline (no event_actions rows).
    Returns {"events", "seconds", "rows_per_s"}.
    """
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            if session.get(RoutingVersion, RULE_VERSION) is None:
                version = save_version(session, seed_rules(), "system", "seed rules (routing.yaml)")
                session.commit()
                if version != RULE_VERSION:  # pragma: no cover - versions count from 1
                    raise RuntimeError(f"seeded routing version {version}, expected 1")
            book = load_book(session, RULE_VERSION)
        frame = history_frame(twin_dir, book)
        # One transaction: readers see the old history or the new, never half of it.
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                # Index pages stay in memory for the whole load (the default cache is 2 MB);
                # the engine is this load's own, so the setting dies with it.
                conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            _delete_history(conn)
            if engine.dialect.name == "postgresql":
                _copy_postgres(conn, frame, batch)
            else:
                _insert_sqlite(conn, frame, batch)
        if engine.dialect.name == "postgresql":
            # Fresh statistics, so the planner knows the table grew by ~790,000 rows.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE events")
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    return {
        "events": frame.height,
        "seconds": round(seconds, 2),
        "rows_per_s": round(frame.height / seconds) if seconds else None,
    }


def _twin_seed(twin_dir: Path) -> int:
    summary = twin_dir / "summary.json"
    if summary.exists():
        return int(json.loads(summary.read_text("utf-8")).get("seed", 0))
    return 0


def _delete_history(conn: Connection) -> None:
    history = f"SELECT id FROM events WHERE channel = '{CHANNEL}'"
    # Whatever was later done to a historical event goes with it, or the foreign keys refuse.
    for child in ("event_actions", "event_attachments", "event_timers", "event_notifications"):
        conn.execute(text(f"DELETE FROM {child} WHERE event_id IN ({history})"))
    conn.execute(
        text(
            f"UPDATE events SET incident_id = NULL WHERE incident_id IN ({history}) "
            f"AND channel <> '{CHANNEL}'"
        )
    )
    conn.execute(text(f"DELETE FROM events WHERE channel = '{CHANNEL}'"))


def _copy_postgres(conn: Connection, frame: pl.DataFrame, batch: int) -> None:
    # polars writes the CSV in Rust; COPY parses it in C: no Python object per row. In CSV
    # an unquoted empty field is NULL and "" an empty string, as polars writes them.
    cols = ", ".join(COLUMNS)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY events ({cols}) FROM STDIN (FORMAT csv)") as copy:
        for chunk in frame.iter_slices(batch):
            buf = io.BytesIO()
            chunk.write_csv(buf, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.3f")
            copy.write(buf.getvalue())


def _insert_sqlite(conn: Connection, frame: pl.DataFrame, batch: int) -> None:
    frame = frame.with_columns(
        *(pl.col(c).dt.strftime(_SQLITE_TIME) for c in _TIMES),
        pl.col("overdue").cast(pl.Int8),
    )
    sql = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    cursor = conn.connection.driver_connection.cursor()
    try:
        for chunk in frame.iter_slices(batch):
            cursor.executemany(sql, chunk.rows())
    finally:
        cursor.close()
