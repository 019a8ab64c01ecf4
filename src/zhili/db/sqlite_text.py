"""Dates as SQLAlchemy stores them in SQLite (text), for the write paths that go straight to
the DB-API (the audit log, the intake's bulk inserts, the intake bench's ceiling): a row they
write must read back exactly like one SQLAlchemy wrote."""

from __future__ import annotations

import datetime as dt
from typing import Any

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
DATE_FORMAT = "%Y-%m-%d"


def sqlite_datetime(v: Any) -> Any:
    return v.strftime(DATETIME_FORMAT) if isinstance(v, dt.datetime) else v


def sqlite_date(v: Any) -> Any:
    return v.strftime(DATE_FORMAT) if isinstance(v, dt.date) else v
