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


def _sqlite_converts(columns: list[Any]) -> list[tuple[int, Convert]]:
    """How SQLAlchemy would store each column's Python value on SQLite (JSON and dates as text)."""
    out: list[tuple[int, Convert]] = []
    for i, c in enumerate(columns):
        if isinstance(c.type, JSON):
            out.append((i, _sqlite_json))
        elif isinstance(c.type, DateTime):
            out.append((i, sqlite_datetime))
        elif isinstance(c.type, Date):
            out.append((i, sqlite_date))
    return out


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
        self.converts = _sqlite_converts(columns[: len(given)])

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
    given = tuple(rows[0])
    key = (table.name, conn.dialect.name, given)
    stmt = _INSERTS.get(key)
    if stmt is None:
        stmt = _INSERTS[key] = _Insert(table, conn.dialect.name, given)
    _send(conn, stmt, rows)


def _send(conn: Connection, stmt: _Insert | _Update, rows: list[dict[str, Any]]) -> None:
    """One statement for all rows on PostgreSQL (a JSON document), one per row elsewhere."""
    cur = dbapi(conn).cursor()
    try:
        if stmt.json:
            cur.execute(stmt.sql, (stmt.document(rows),))
        else:
            cur.executemany(stmt.sql, stmt.params(rows))
    finally:
        cur.close()


class _Update:
    """One table's UPDATE of some columns by its `id`, in the driver's style: on PostgreSQL
    all rows as one JSON document joined on id, elsewhere one statement per row."""

    def __init__(self, table: Table, dialect: str, given: tuple[str, ...]) -> None:
        self.given = given
        self.set = [name for name in given if name != "id"]
        self.json = dialect == "postgresql"
        if self.json:
            sets = ", ".join(f"{name} = d.{name}" for name in self.set)
            self.sql = (
                f"UPDATE {table.name} AS t SET {sets} "
                f"FROM json_populate_recordset(NULL::{table.name}, %s::json) AS d "
                "WHERE t.id = d.id"
            )
            return
        sets = ", ".join(f"{name} = ?" for name in self.set)
        self.sql = f"UPDATE {table.name} SET {sets} WHERE id = ?"
        self.converts = _sqlite_converts([table.c[name] for name in self.set])

    def document(self, rows: list[dict[str, Any]]) -> str:
        return document(rows)

    def params(self, rows: list[dict[str, Any]]) -> list[list[Any]]:
        out = []
        for row in rows:
            values = [row[name] for name in self.set]
            for i, convert in self.converts:
                values[i] = convert(values[i])
            out.append([*values, row["id"]])
        return out


_UPDATES: dict[tuple[str, str, tuple[str, ...]], _Update] = {}


def update_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """UPDATE rows of `table` by id: each dict holds "id" and the columns to set (the same
    keys in every dict). Inside `pipelined` it joins the round trip of the writes around it."""
    if not rows:
        return
    given = tuple(rows[0])
    if "id" not in given:
        raise ValueError("update_rows needs each row's id")
    key = (table.name, conn.dialect.name, given)
    stmt = _UPDATES.get(key)
    if stmt is None:
        stmt = _UPDATES[key] = _Update(table, conn.dialect.name, given)
    _send(conn, stmt, rows)
