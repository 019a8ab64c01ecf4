"""Times as the hub stores them: naive UTC (`timestamp without time zone`, SQLite text)."""

from __future__ import annotations

import datetime as dt


def naive_utc(t: dt.datetime) -> dt.datetime:
    """An aware time converted to UTC and made naive; a naive time is taken as UTC already.
    An offset is applied, never dropped: 05:00+08:00 is 21:00 the day before."""
    return t if t.tzinfo is None else t.astimezone(dt.UTC).replace(tzinfo=None)
