"""Appending: numbering, chaining, subjects as HMACs, the caller's transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.privacy.audit.conftest import entry, fill
from zhili.privacy.audit import (
    GENESIS,
    AuditEntry,
    append,
    append_many,
    init_chain,
    record_hash,
    subject_hmac,
    verify,
)
from zhili.privacy.audit.chain import FIELDS
from zhili.privacy.models import AuditHead, AuditRecord, AuditSubject


def test_append_numbers_and_chains_records(sessions: sessionmaker[Session], key: bytes) -> None:
    with sessions.begin() as session:
        first = append(session, entry(1), key=key)
        second = append(session, entry(2), key=key)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    with sessions() as session:
        stored = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
        head = session.get(AuditHead, 1)
    assert [r.hash for r in stored] == [first.hash, second.hash]
    assert (head.last_seq, head.last_hash, head.algorithm) == (2, second.hash, "sha256")
    # The stored row hashes to its hash (what the verifier recomputes).
    row = stored[1]
    assert record_hash(row.prev_hash, {f: getattr(row, f) for f in FIELDS}) == row.hash
    assert row.at == second.at and row.at.tzinfo is None
    assert first.at <= second.at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_append_never_commits(sessions: sessionmaker[Session], key: bytes) -> None:
    with sessions() as session:
        append(session, entry(1), key=key)
        session.rollback()
    with sessions() as session:
        assert session.scalar(select(AuditRecord.seq)) is None
        assert session.get(AuditHead, 1) is None  # even the head's creation was rolled back
    fill(sessions, 3, key)
    with sessions() as session:
        assert session.scalars(select(AuditRecord.seq)).all() == [1, 2, 3]


def test_append_many_is_one_run_and_verifies(sessions: sessionmaker[Session], key: bytes) -> None:
    with sessions.begin() as session:
        records = append_many(session, [entry(i) for i in range(120)], key=key)
        assert append_many(session, [], key=key) == []
    assert [r.seq for r in records] == list(range(1, 121))
    fill(sessions, 80, key, start=120)
    with sessions() as session:
        report = verify(session)
    assert report.ok and report.records == 200 and report.last_seq == 200, report


def test_subjects_are_keyed_hmacs_never_ids(
    sessions: sessionmaker[Session], key: bytes, db_url: str
) -> None:
    ids = ["330110199001011234", "P000042", "P000042", ""]
    with sessions.begin() as session:
        record = append(session, entry(1, subjects=ids), key=key)
    expected = sorted({subject_hmac("330110199001011234", key), subject_hmac("P000042", key)})
    assert record.subjects == ",".join(expected)
    assert subject_hmac("P000042", key) == subject_hmac("P000042", key)
    assert subject_hmac("P000042", key) != subject_hmac("P000042", b"x" * 32)
    assert subject_hmac("P000042", key) != subject_hmac("P000043", key)
    with sessions() as session:
        index = session.execute(select(AuditSubject.subject, AuditSubject.seq)).all()
        assert sorted(index) == [(s, 1) for s in expected]
        # No table holds the raw ids, in any column.
        dump = " ".join(
            str(v)
            for table in ("audit_log", "audit_subjects", "audit_head")
            for row in session.execute(text(f"SELECT * FROM {table}"))
            for v in row
        )
    assert "330110199001011234" not in dump and "P000042" not in dump


def test_a_short_key_is_refused_when_there_are_subjects(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(ValueError, match="at least 16 bytes"):
        append(session, entry(1, subjects=["P1"]), key=b"short")
    with sessions.begin() as session:  # an act about nobody needs no key
        append(session, entry(1, subjects=[]), key=b"")


def test_entries_are_checked_the_same_on_both_backends(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        with pytest.raises(ValueError, match="outcome longer than 16"):
            append(session, entry(1, outcome="x" * 17), key=b"k" * 32)
        with pytest.raises(ValueError, match="non-empty action"):
            append(session, entry(1, action=""), key=b"k" * 32)


def test_sm3_chain(sessions: sessionmaker[Session], key: bytes) -> None:
    with sessions.begin() as session:
        assert init_chain(session, "sm3") == "sm3"
    fill(sessions, 60, key)
    with sessions() as session:
        head = session.get(AuditHead, 1)
        assert head.algorithm == "sm3"
        row = session.get(AuditRecord, 60)
        assert record_hash(row.prev_hash, {f: getattr(row, f) for f in FIELDS}, "sm3") == row.hash
        report = verify(session)
    assert report.ok and report.algorithm == "sm3" and report.records == 60
    with sessions() as session, pytest.raises(ValueError, match="already uses sm3"):
        init_chain(session, "sha256")
    with sessions() as session, pytest.raises(ValueError, match="uses sm3, not sha256"):
        append(session, entry(1), key=key, algorithm="sha256")


def test_the_first_append_may_choose_the_algorithm(
    sessions: sessionmaker[Session], key: bytes
) -> None:
    with sessions.begin() as session:
        append(session, AuditEntry("u", "r", None, "a"), key=key, algorithm="sm3")
    with sessions() as session:
        assert session.get(AuditHead, 1).algorithm == "sm3"


def test_the_returned_record_is_the_stored_row(sessions: sessionmaker[Session], key: bytes) -> None:
    with sessions.begin() as session:
        record = append(session, entry(3), key=key)
    assert isinstance(record, AuditRecord)
    with sessions() as session:
        merged = session.merge(record, load=False)  # detached, as if loaded: no INSERT
        session.flush()
        assert merged.hash == record.hash and session.get(AuditRecord, 1) is merged


def test_an_empty_log_verifies(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        report = verify(session)
    assert report.ok and report.records == 0 and report.first_bad_seq is None
