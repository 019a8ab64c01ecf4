"""Appending to the audit log, always inside the caller's transaction (never committing).

The head row (audit_head, id=1) is the chain's lock: the first statement of every append is
`UPDATE audit_head SET last_seq = last_seq + n ... RETURNING`. On PostgreSQL that takes the
row lock (what SELECT ... FOR UPDATE would, in one round trip fewer), so concurrent appends
queue and each sees its predecessor's committed seq and hash. On SQLite the same UPDATE is the
transaction's first write, which takes the database write lock before anything is read, so
there is no stale-snapshot window either. Records bypass the ORM's unit of work and Core:
an append is 3-4 statements on the DBAPI connection of the session's transaction, which keeps
it well above 5,000 records/s on SQLite with a commit per record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, configure_mappers
from sqlalchemy.orm.attributes import instance_state

from zhili.db.json_rows import document, populate_sql
from zhili.db.pipeline import pipelined
from zhili.db.sqlite_text import sqlite_date, sqlite_datetime
from zhili.privacy.audit.chain import (
    DEFAULT_ALGORITHM,
    GENESIS,
    canonical_values,
    hash_canonical,
    hasher,
)
from zhili.privacy.models import AuditCheckpoint, AuditHead, AuditRecord, AuditSubject

HEAD_ID = 1
MIN_KEY_BYTES = 16

_HEAD = AuditHead.__table__
_LOG = AuditRecord.__table__
_SUBJECTS = AuditSubject.__table__
_LOG_COLUMNS = [c.name for c in _LOG.c]


class _Statements:
    """An append's statements in the driver's own placeholder style.

    Appends run them on the DBAPI connection of the session's transaction: SQLAlchemy's
    per-statement overhead (about 20 us) was most of the time an append took on SQLite.
    """

    def __init__(self, dialect: Dialect) -> None:
        if dialect.name not in ("sqlite", "postgresql"):
            raise NotImplementedError(
                f"the audit log supports SQLite and PostgreSQL, not {dialect.name}"
            )
        p = "?" if dialect.paramstyle == "qmark" else "%s"
        self.sqlite = dialect.name == "sqlite"
        head, log, subjects = _HEAD.name, _LOG.name, _SUBJECTS.name
        # The last checkpoint's seq comes back with the lock, so that maybe_checkpoint's
        # question needs no query of its own after an append.
        signed = (
            f"(SELECT c.last_seq FROM {AuditCheckpoint.__tablename__} c ORDER BY c.id DESC LIMIT 1)"
        )
        self.advance = (
            f"UPDATE {head} SET last_seq = last_seq + {p} WHERE id = {HEAD_ID} "
            f"RETURNING last_seq, last_hash, algorithm, {signed}"
        )
        # ON CONFLICT DO NOTHING: a concurrent first append may create the head too.
        self.create_head = (
            f"INSERT INTO {head} (id, last_seq, last_hash, algorithm) "
            f"VALUES ({HEAD_ID}, 0, {p}, {p}) ON CONFLICT DO NOTHING"
        )
        # A no-op write: takes the same lock as an append without moving the chain.
        self.lock = (
            f"UPDATE {head} SET last_seq = last_seq WHERE id = {HEAD_ID} "
            "RETURNING last_seq, last_hash, algorithm"
        )
        # maybe_checkpoint's question, asked after every append in practice: one cheap query.
        self.unsigned_tail = f"SELECT h.last_seq, {signed} FROM {head} h WHERE h.id = {HEAD_ID}"
        self.read_head = f"SELECT last_seq, last_hash, algorithm FROM {head} WHERE id = {HEAD_ID}"
        self.set_hash = f"UPDATE {head} SET last_hash = {p} WHERE id = {HEAD_ID}"
        self.insert_record = (
            f"INSERT INTO {log} ({', '.join(_LOG_COLUMNS)}) "
            f"VALUES ({', '.join([p] * len(_LOG_COLUMNS))})"
        )
        self.insert_subject = f"INSERT INTO {subjects} (subject, seq) VALUES ({p}, {p})"
        # PostgreSQL, a batch: each table's rows as one JSON document (db/json_rows.py).
        self.insert_records = populate_sql(log, _LOG_COLUMNS)
        self.insert_subjects = populate_sql(subjects, ("subject", "seq"))

    def row(self, values: dict[str, Any]) -> list[Any]:
        """A record's parameters; on SQLite dates are text exactly as SQLAlchemy stores them."""
        row = [values[c] for c in _LOG_COLUMNS]
        if self.sqlite:
            at, after = values["at"], values["disclose_after"]
            row[_AT] = sqlite_datetime(at)
            row[_AFTER] = sqlite_date(after)
        return row


_AT = _LOG_COLUMNS.index("at")
_AFTER = _LOG_COLUMNS.index("disclose_after")
_STATEMENTS: dict[str, _Statements] = {}


def _statements(dialect: Dialect) -> _Statements:
    found = _STATEMENTS.get(dialect.name)
    if found is None:
        found = _STATEMENTS[dialect.name] = _Statements(dialect)
    return found


# Column widths, checked here so SQLite refuses what PostgreSQL would (and both say why).
_LIMITS = tuple(
    (c.name, c.type.length)
    for c in _LOG.c
    if getattr(c.type, "length", None) and c.name not in ("prev_hash", "hash")
)


def _now() -> dt.datetime:
    """The record time: naive UTC. Tests replace it to make records look old."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(slots=True)
class AuditEntry:
    """What the caller says happened. `subjects` are raw person ids: only HMACs are stored."""

    actor_id: str
    actor_role: str
    actor_department: str | None
    action: str
    resource: str | None = None
    subjects: list[str] = field(default_factory=list)
    purpose: str | None = None
    legal_basis: str | None = None
    case_id: str | None = None
    result_count: int = 0
    outcome: str = "ok"
    disclose_after: dt.date | None = None


def subject_hmac(person_id: str, key: bytes) -> str:
    """The keyed HMAC-SHA256 (hex) that stands for a person in the log and its index."""
    return hmac.new(key, person_id.encode("utf-8"), hashlib.sha256).hexdigest()


def subject_hmacs(person_ids: Iterable[str], key: bytes) -> list[str]:
    """Sorted, deduplicated HMACs of the non-empty ids (no key is needed when there are none)."""
    ids = {p for p in person_ids if p}
    if not ids:
        return []
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the subject HMAC key must have at least {MIN_KEY_BYTES} bytes")
    return sorted({subject_hmac(p, key) for p in ids})


def _check(entry: AuditEntry) -> None:
    for name, limit in _LIMITS:
        value = getattr(entry, name)
        if value is not None and len(value) > limit:
            raise ValueError(f"audit {name} longer than {limit} characters: {value[:40]!r}...")
    for name in ("actor_id", "actor_role", "action", "outcome"):
        if not getattr(entry, name):
            raise ValueError(f"audit entry needs a non-empty {name}")


def _cursor(session: Session) -> tuple[Any, _Statements]:
    """The DBAPI cursor of the session's transaction (begun here if need be)."""
    conn = session.connection()
    return conn.connection.dbapi_connection.cursor(), _statements(conn.dialect)


def _ensure_head(cur: Any, sql: _Statements, algorithm: str) -> None:
    hasher(algorithm)  # fail now on an unknown or unavailable algorithm
    cur.execute(sql.create_head, (GENESIS, algorithm))


def init_chain(session: Session, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """Create the head with the chosen algorithm (sha256 or sm3); returns the chain's algorithm.

    The algorithm is fixed when the chain is created; asking for another one later fails.
    """
    cur, sql = _cursor(session)
    try:
        _ensure_head(cur, sql, algorithm)
        cur.execute(sql.read_head)
        current = cur.fetchone()[2]
    finally:
        cur.close()
    if current != algorithm:
        raise ValueError(f"the audit chain already uses {current}, not {algorithm}")
    return current


def lock_head(session: Session) -> tuple[int, str, str] | None:
    """Lock the head as an append would: returns (last_seq, last_hash, algorithm) or None.

    Checkpoints and purges call it first, so nothing is appended while they read the tail.
    """
    cur, sql = _cursor(session)
    try:
        cur.execute(sql.lock)
        row = cur.fetchone()
    finally:
        cur.close()
    return None if row is None else (row[0], row[1], row[2])


def unsigned_tail(session: Session) -> tuple[int, int] | None:
    """(head's last seq, last seq under a checkpoint), or None before the first append.

    Checkpoints are written in order under the head lock, so the highest id is the newest.
    """
    cur, sql = _cursor(session)
    try:
        cur.execute(sql.unsigned_tail)
        row = cur.fetchone()
    finally:
        cur.close()
    return None if row is None else (row[0], row[1] or 0)


def _advance(
    cur: Any, sql: _Statements, n: int, algorithm: str | None
) -> tuple[int, str, str, int]:
    """Lock the head and reserve n sequence numbers: returns (first_seq, prev_hash, algorithm,
    the last seq under a checkpoint)."""
    cur.execute(sql.advance, (n,))
    row = cur.fetchone()
    if row is None:  # the very first append creates the chain
        _ensure_head(cur, sql, algorithm or DEFAULT_ALGORITHM)
        cur.execute(sql.advance, (n,))
        row = cur.fetchone()
    last_seq, prev_hash, chain_algorithm, signed = row
    if algorithm is not None and algorithm != chain_algorithm:
        raise ValueError(f"the audit chain uses {chain_algorithm}, not {algorithm}")
    return last_seq - n + 1, prev_hash, chain_algorithm, signed or 0


def _record_values(
    entry: AuditEntry, seq: int, at: dt.datetime, subjects: list[str]
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": at,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "actor_department": entry.actor_department,
        "action": entry.action,
        "resource": entry.resource,
        "subjects": ",".join(subjects),
        "purpose": entry.purpose,
        "legal_basis": entry.legal_basis,
        "case_id": entry.case_id,
        "result_count": int(entry.result_count),
        "outcome": entry.outcome,
        "disclose_after": entry.disclose_after,
    }


def _chain(values: dict[str, Any], prev_hash: str, new: Any) -> str:
    v = values
    data = canonical_values(
        (v["seq"], v["at"], v["actor_id"], v["actor_role"], v["actor_department"], v["action"],
         v["resource"], v["subjects"], v["purpose"], v["legal_basis"], v["case_id"],
         v["result_count"], v["outcome"], v["disclose_after"])
    )  # fmt: skip
    v["prev_hash"] = prev_hash
    v["hash"] = hash_canonical(prev_hash, data, new)
    return v["hash"]


def append(
    session: Session, entry: AuditEntry, *, key: bytes, algorithm: str | None = None
) -> AuditRecord:
    """Append one record in the session's open transaction; the caller commits or rolls back.

    `key` is the subject HMAC key. `algorithm` only matters for the very first record (it
    creates the chain with it); later it must match the chain's or be None.
    Returns a transient AuditRecord holding what was written (the row went in through Core).
    """
    return append_many(session, [entry], key=key, algorithm=algorithm)[0]


def append_many(
    session: Session,
    entries: Sequence[AuditEntry],
    *,
    key: bytes,
    algorithm: str | None = None,
) -> list[AuditRecord]:
    """Append records in order, under one lock of the head (a batch is one run of seqs)."""
    return append_batch(session, entries, key=key, algorithm=algorithm).records


@dataclass
class Appended:
    """What one append wrote, and the chain's tail after it (for maybe_checkpoint)."""

    values: list[dict[str, Any]]  # each record's columns, as written
    last_seq: int = 0
    signed_seq: int = 0  # the last seq under a checkpoint

    @property
    def tail(self) -> tuple[int, int]:
        return self.last_seq, self.signed_seq

    @property
    def records(self) -> list[AuditRecord]:
        """The written rows as detached AuditRecords, made only when asked for (the intake
        appends thousands a second and never reads them back)."""
        return [_detached(v) for v in self.values]


def append_batch(
    session: Session,
    entries: Sequence[AuditEntry],
    *,
    key: bytes,
    algorithm: str | None = None,
) -> Appended:
    """append_many, also telling the tail: the head's last seq and the last signed one."""
    if not entries:
        return Appended([])
    hashed = []
    for entry in entries:
        _check(entry)
        hashed.append(subject_hmacs(entry.subjects, key))  # before the lock: keep it short
    conn = session.connection()
    cur, sql = _cursor(session)
    try:
        seq, prev_hash, chain_algorithm, signed = _advance(cur, sql, len(entries), algorithm)
        new = hasher(chain_algorithm)
        at = _now()  # taken under the lock, so times never run backwards along the chain
        records, rows, subject_rows = [], [], []
        for entry, subjects in zip(entries, hashed, strict=True):
            values = _record_values(entry, seq, at, subjects)
            prev_hash = _chain(values, prev_hash, new)
            records.append(values)
            rows.append(sql.row(values))
            subject_rows.extend((s, seq) for s in subjects)
            seq += 1
        # PostgreSQL takes a batch as one JSON document per table; a single row plainly.
        bulk = not sql.sqlite
        with pipelined(conn):  # the writes need no answer: one round trip on PostgreSQL
            if len(rows) == 1:
                cur.execute(sql.insert_record, rows[0])
            elif bulk:
                cur.execute(sql.insert_records, (document(records),))
            else:
                cur.executemany(sql.insert_record, rows)
            if bulk and len(subject_rows) > 1:
                pairs = [{"subject": s, "seq": q} for s, q in subject_rows]
                cur.execute(sql.insert_subjects, (document(pairs),))
            elif subject_rows:
                cur.executemany(sql.insert_subject, subject_rows)
            cur.execute(sql.set_hash, (prev_hash,))
    finally:
        cur.close()
    return Appended(records, seq - 1, signed)


def _detached(values: dict[str, Any]) -> AuditRecord:
    """The written row as a detached AuditRecord (as if loaded), without the ORM's setters."""
    global _configured
    if not _configured:
        configure_mappers()
        _configured = True
    record = _new_record()
    record.__dict__.update(values)
    # What make_transient_to_detached does, minus resetting a history that was never made.
    instance_state(record).key = _MAPPER.identity_key_from_primary_key((values["seq"],))
    return record


_MAPPER = AuditRecord.__mapper__
_new_record = _MAPPER.class_manager.new_instance
_configured = False
