"""Several statements in one round trip on PostgreSQL (psycopg's pipeline mode): writes
(`pipelined`) and reads (`Reads`).

The intake writer and the audit log send their writes this way: they run on a thread that
shares a core and the GIL with the HTTP loop, and wait their turn after every round trip
(docs/PERFORMANCE.md, decisions 54 and 56)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Compiled, Dialect
from sqlalchemy.sql import Executable


@contextlib.contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, the statements inside go out in one pipeline and are synced at the end
    (an error surfaces there and fails the transaction); elsewhere nothing changes."""
    if conn.dialect.name != "postgresql":
        yield
        return
    with dbapi(conn).pipeline():
        yield


def dbapi(conn: Connection) -> Any:
    """The DB-API connection under the SQLAlchemy connection's transaction."""
    return conn.connection.dbapi_connection


class Reads:
    """SELECTs gathered, then sent together: on PostgreSQL in one pipeline (one round trip
    for all of them), elsewhere one after another. `add` queues a statement and returns its
    handle; after `run`, `rows(handle)` gives its rows (attributes by column name).

    The parameters go to the driver as given, without SQLAlchemy's type processing: for
    reads by strings, numbers, dates and lists (expanding IN lists are expanded here)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._queued: list[tuple[Executable, dict[str, Any]]] = []
        self._rows: list[Sequence[Any]] = []

    def add(self, stmt: Executable, params: dict[str, Any] | None = None) -> int:
        self._queued.append((stmt, params or {}))
        return len(self._queued) - 1

    def rows(self, handle: int) -> Sequence[Any]:
        return self._rows[handle]

    def run(self) -> None:
        if self.conn.dialect.name != "postgresql":
            self._rows = [self.conn.execute(s, p).all() for s, p in self._queued]
            return
        from psycopg.rows import namedtuple_row  # only where PostgreSQL is used

        raw = dbapi(self.conn)
        cursors = []
        try:
            with raw.pipeline():
                for stmt, params in self._queued:
                    expanded = _compiled(stmt, self.conn.dialect).construct_expanded_state(params)
                    cur = raw.cursor(row_factory=namedtuple_row)
                    cursors.append(cur)
                    cur.execute(expanded.statement, expanded.parameters)
            self._rows = [cur.fetchall() for cur in cursors]  # synced when the block ended
        finally:
            for cur in cursors:
                cur.close()


_COMPILED: dict[tuple[int, str], tuple[Executable, Compiled]] = {}


def _compiled(stmt: Executable, dialect: Dialect) -> Compiled:
    """Each statement compiled once per dialect (the statements are module constants)."""
    key = (id(stmt), dialect.name)
    hit = _COMPILED.get(key)
    if hit is None or hit[0] is not stmt:
        hit = _COMPILED[key] = (stmt, stmt.compile(dialect=dialect))  # type: ignore[attr-defined]
    return hit[1]
