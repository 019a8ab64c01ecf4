"""The intake's bulk inserts on the DB-API connection of the session's transaction.

At thousands of reports a second SQLAlchemy's per-row work (bind processing, parameter
construction) was a large share of the writer's time, as it was for the audit log
(privacy/audit/log.py does the same). On PostgreSQL the writer sends them inside one
pipeline (db/pipeline.py): one round trip for all of them instead of one each.

On PostgreSQL each table's rows go as one JSON document (db/json_rows.py): one statement
per table and batch instead of one per row.

What is written is what SQLAlchemy would write: the same columns, Python-side scalar defaults
for columns a row leaves out, and on SQLite dates as the text SQLAlchemy stores."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Connection, Date, DateTime, Table

from zhili.db.json_rows import document, populate_sql
from zhili.db.pipeline import dbapi
from zhili.db.sqlite_text import sqlite_date, sqlite_datetime

Convert = Callable[[Any], Any]


def _sqlite_json(v: Any) -> Any:
    return None if v is None else json.dumps(v)


class _Insert:
    """One table's INSERT for one set of columns, in the driver's placeholder style."""

    def __init__(self, table: Table, dialect: str, given: tuple[str, ...]) -> None:
        if dialect not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"bulk inserts support SQLite and PostgreSQL, not {dialect}")
        missing = [
            c
            for c in table.columns
            if c.name not in given and c.default is not None and c.default.is_scalar
        ]
        self.given = given
        self.defaults = [c.default.arg for c in missing]  # type: ignore[union-attr]
        columns = [table.c[name] for name in given] + missing
        self.names = [c.name for c in columns]
        names = ", ".join(self.names)
        self.json = dialect == "postgresql"
        if self.json:  # the columns' types come from the table's row type
            self.sql = populate_sql(table.name, self.names)
            return
        self.sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join(['?'] * len(columns))})"
        self.converts: list[tuple[int, Convert]] = []
        for i, c in enumerate(columns[: len(given)]):
            if isinstance(c.type, JSON):
                self.converts.append((i, _sqlite_json))
            elif isinstance(c.type, DateTime):
                self.converts.append((i, sqlite_datetime))
            elif isinstance(c.type, Date):
                self.converts.append((i, sqlite_date))

    def document(self, rows: list[dict[str, Any]]) -> str:
        """PostgreSQL: the rows as one JSON array of objects (JSON columns nested as values)."""
        if self.defaults:
            extra = dict(zip(self.names[len(self.given) :], self.defaults, strict=True))
            rows = [{**row, **extra} for row in rows]
        return document(rows)

    def params(self, rows: list[dict[str, Any]]) -> list[list[Any]]:
        out = []
        for row in rows:
            values = [row[name] for name in self.given]
            for i, convert in self.converts:
                values[i] = convert(values[i])
            out.append(values + self.defaults)
        return out


_INSERTS: dict[tuple[str, str, tuple[str, ...]], _Insert] = {}


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT the rows (dicts with the same keys) into `table` in the connection's transaction."""
    if not rows:
        return
    dialect = conn.dialect.name
    given = tuple(rows[0])
    key = (table.name, dialect, given)
    stmt = _INSERTS.get(key)
    if stmt is None:
        stmt = _INSERTS[key] = _Insert(table, dialect, given)
    cur = dbapi(conn).cursor()
    try:
        if stmt.json:
            cur.execute(stmt.sql, (stmt.document(rows),))
        else:
            cur.executemany(stmt.sql, stmt.params(rows))
    finally:
        cur.close()
