"""Recomputing the chain over a run of records: the one loop behind verify and checkpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from zhili.privacy.audit.chain import canonical_values, hash_canonical, hasher
from zhili.privacy.audit.records import CHUNK, HASH, N_FIELDS, PREV_HASH, iter_records

_AT = 1
_AFTER = N_FIELDS - 1


class ChainBreak(Exception):
    """The first record at which the chain stops holding, and why."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"record {seq}: {reason}")
        self.seq = seq
        self.reason = reason


def _fields(row: Any) -> list[Any]:
    values = list(row[:N_FIELDS])
    # SQLite hands dates over as text (see records.py); PostgreSQL as date objects.
    if isinstance(values[_AT], str):
        values[_AT] = dt.datetime.fromisoformat(values[_AT])
    if isinstance(values[_AFTER], str):
        values[_AFTER] = dt.date.fromisoformat(values[_AFTER])
    return values


def walk(
    session: Session,
    first: int,
    last: int | None,
    prev_hash: str,
    algorithm: str,
    chunk: int = CHUNK,
) -> Iterator[tuple[int, str]]:
    """Yield (seq, hash) for first..last, each recomputed from its predecessor.

    Raises ChainBreak at the first missing, unlinked or altered record. Stops quietly at the
    end of the log: the caller compares the last seq it got with the one it expected.
    """
    new = hasher(algorithm)
    expected = first
    before_prev: str | None = None
    for row in iter_records(session, first, last, chunk):
        seq = row[0]
        if seq != expected:
            raise ChainBreak(expected, f"record {expected} is missing (the next one is {seq})")
        if row[PREV_HASH] != prev_hash:
            if before_prev is not None and row[PREV_HASH] == before_prev:
                # This record links straight to seq-2: the one in between was slipped in.
                raise ChainBreak(
                    seq - 1,
                    f"record {seq - 1} was inserted: record {seq} links to record {seq - 2}",
                )
            raise ChainBreak(
                seq,
                f"prev_hash does not match record {seq - 1}'s hash "
                "(a record was deleted, inserted or moved)",
            )
        try:
            data = canonical_values(_fields(row))
        except (TypeError, ValueError) as exc:
            raise ChainBreak(
                seq, f"unreadable field value ({exc}): the record was altered"
            ) from None
        digest = hash_canonical(prev_hash, data, new)
        if digest != row[HASH]:
            raise ChainBreak(seq, "hash mismatch: the record's content was altered")
        yield seq, digest
        before_prev, prev_hash = prev_hash, digest
        expected += 1
