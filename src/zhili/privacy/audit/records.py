"""Reading the log in seq order, in chunks, as plain rows (no ORM objects).

Keyset pagination (seq > last seen, LIMIT n) behaves the same on SQLite and PostgreSQL, keeps
memory flat for millions of records and needs no server-side cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row, String, func, select, type_coerce
from sqlalchemy.orm import Session

from zhili.privacy.audit.chain import FIELDS
from zhili.privacy.audit.log import HEAD_ID
from zhili.privacy.models import AuditCheckpoint, AuditHead, AuditRecord

CHUNK = 20_000

_LOG = AuditRecord.__table__
_HEAD = AuditHead.__table__
_CHECKPOINTS = AuditCheckpoint.__table__
# The hashed fields in canonical order, then prev_hash and hash: row[:14] feeds the hash.
ROW_COLUMNS = [_LOG.c[f] for f in FIELDS] + [_LOG.c.prev_hash, _LOG.c.hash]
# On SQLite dates are text: read them raw so one tampered, unparsable value names its record
# instead of failing the whole chunk inside SQLAlchemy's converter (walk.py parses them).
_SQLITE_COLUMNS = [
    type_coerce(c, String).label(c.name) if c.name in ("at", "disclose_after") else c
    for c in ROW_COLUMNS
]
N_FIELDS = len(FIELDS)
PREV_HASH = N_FIELDS
HASH = N_FIELDS + 1


def iter_records(
    session: Session, first: int = 1, last: int | None = None, chunk: int = CHUNK
) -> Iterator[Row[Any]]:
    """Records with first <= seq <= last in seq order, fetched chunk by chunk."""
    conn = session.connection()
    columns = _SQLITE_COLUMNS if conn.dialect.name == "sqlite" else ROW_COLUMNS
    after = first - 1
    while True:
        query = select(*columns).where(_LOG.c.seq > after)
        if last is not None:
            query = query.where(_LOG.c.seq <= last)
        rows = conn.execute(query.order_by(_LOG.c.seq).limit(chunk)).all()
        yield from rows
        if len(rows) < chunk:
            return
        after = rows[-1][0]


def iter_hashes(session: Session, first: int, last: int, chunk: int = CHUNK) -> Iterator[Row[Any]]:
    """(seq, prev_hash, hash) of first <= seq <= last in seq order."""
    conn = session.connection()
    after = first - 1
    while True:
        query = (
            select(_LOG.c.seq, _LOG.c.prev_hash, _LOG.c.hash)
            .where(_LOG.c.seq > after, _LOG.c.seq <= last)
            .order_by(_LOG.c.seq)
            .limit(chunk)
        )
        rows = conn.execute(query).all()
        yield from rows
        if len(rows) < chunk:
            return
        after = rows[-1][0]


def read_head(session: Session) -> Row[Any] | None:
    """(last_seq, last_hash, algorithm) of the head row, or None before the first append."""
    query = select(_HEAD.c.last_seq, _HEAD.c.last_hash, _HEAD.c.algorithm).where(
        _HEAD.c.id == HEAD_ID
    )
    return session.connection().execute(query).first()


def seq_bounds(session: Session) -> tuple[int | None, int | None]:
    """The smallest and largest seq present."""
    row = session.connection().execute(select(func.min(_LOG.c.seq), func.max(_LOG.c.seq))).one()
    return row[0], row[1]


def read_checkpoints(session: Session) -> list[Row[Any]]:
    query = select(_CHECKPOINTS).order_by(_CHECKPOINTS.c.first_seq, _CHECKPOINTS.c.id)
    return list(session.connection().execute(query).all())


def last_checkpoint(session: Session) -> Row[Any] | None:
    """The newest checkpoint. Checkpoints are written in order under the head lock, so the
    highest id is also the highest last_seq, and the primary key finds it without a scan."""
    query = select(_CHECKPOINTS).order_by(_CHECKPOINTS.c.id.desc()).limit(1)
    return session.connection().execute(query).first()
