"""Several statements in one round trip on PostgreSQL (psycopg's pipeline mode).

The intake writer and the audit log send their writes this way: they run on a thread that
shares a core and the GIL with the HTTP loop, and wait their turn after every round trip
(docs/PERFORMANCE.md, decisions 54 and 56)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection


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
