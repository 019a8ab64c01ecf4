"""Retention: nothing younger than six months goes; a purge leaves a chain that verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.privacy.audit import tamper
from tests.privacy.audit.conftest import fill
from zhili.privacy.audit import RetentionError, log, purge_older_than, verify, write_checkpoint
from zhili.privacy.models import AuditCheckpoint, AuditRecord, AuditSubject

REAL_NOW = log._now
DAY = dt.timedelta(days=1)


def days_ago(days: int) -> dt.datetime:
    return REAL_NOW() - days * DAY


def append_at(
    monkeypatch: pytest.MonkeyPatch, sessions: sessionmaker[Session], key: bytes,
    when: dt.datetime, n: int, start: int,
) -> None:  # fmt: skip
    monkeypatch.setattr(log, "_now", lambda: when)
    fill(sessions, n, key, start=start)
    monkeypatch.setattr(log, "_now", REAL_NOW)


@pytest.fixture
def aged(
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
    key: bytes,
    signing_key: Ed25519PrivateKey,
) -> sessionmaker[Session]:
    """Records 1-150 from 400 days ago (signed up to 100), 151-200 from 10 days ago."""
    append_at(monkeypatch, sessions, key, days_ago(400), 100, 0)
    with sessions.begin() as session:
        write_checkpoint(session, signing_key)
    append_at(monkeypatch, sessions, key, days_ago(400), 50, 100)
    append_at(monkeypatch, sessions, key, days_ago(10), 50, 150)
    return sessions


def test_retention_below_six_months_is_refused(
    aged: sessionmaker[Session], signing_key: Ed25519PrivateKey
) -> None:
    with aged() as session:
        with pytest.raises(RetentionError, match="legal minimum of 183 days"):
            purge_older_than(session, days_ago(400), retention_days=90, signing_key=signing_key)
        with pytest.raises(RetentionError, match="younger than 183 days"):
            purge_older_than(session, days_ago(100), signing_key=signing_key)
        with pytest.raises(RetentionError, match="younger than 365 days"):
            purge_older_than(session, days_ago(200), retention_days=365, signing_key=signing_key)
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == 200


def test_a_purge_keeps_the_chain_verifiable(
    aged: sessionmaker[Session], signing_key: Ed25519PrivateKey
) -> None:
    with aged.begin() as session:
        result = purge_older_than(session, days_ago(200), signing_key=signing_key)
    assert (result.boundary, result.deleted, result.purge_seq) == (150, 150, 201)
    with aged() as session:
        assert session.scalar(select(func.min(AuditRecord.seq))) == 151
        assert session.scalar(select(func.min(AuditSubject.seq))) > 150
        purge = session.get(AuditRecord, 201)
        anchor = session.get(AuditCheckpoint, result.anchor_checkpoint_id)
        first_kept = session.get(AuditRecord, 151)
        report = verify(session, signing_key.public_key())
    assert (purge.action, purge.resource, purge.result_count) == (
        "audit.purge",
        "audit_log:..150",
        150,
    )
    assert (anchor.last_seq, anchor.last_hash) == (150, first_kept.prev_hash)
    assert report.ok, report
    assert (report.first_seq, report.purged_through, report.records) == (151, 150, 51)
    # A second purge, later: nothing more is old enough, and that is audited too.
    with aged.begin() as session:
        again = purge_older_than(session, days_ago(200), signing_key=signing_key)
    assert (again.boundary, again.deleted) == (150, 0)
    with aged() as session:
        assert verify(session, signing_key.public_key()).ok


def test_a_cut_inside_a_signed_run_steps_back(
    aged: sessionmaker[Session], key: bytes, signing_key: Ed25519PrivateKey
) -> None:
    with aged.begin() as session:
        write_checkpoint(session, signing_key)  # 101-200 signed: the cut at 150 falls inside
        result = purge_older_than(session, days_ago(200), signing_key=signing_key)
    assert (result.boundary, result.deleted) == (100, 100)
    with aged() as session:
        report = verify(session, signing_key.public_key())
    assert report.ok and report.purged_through == 100, report


def test_tampering_after_a_purge_is_still_caught(
    aged: sessionmaker[Session], key: bytes, signing_key: Ed25519PrivateKey
) -> None:
    with aged.begin() as session:
        purge_older_than(session, days_ago(200), signing_key=signing_key)
    fill(aged, 20, key, start=500)  # 202-221
    public = signing_key.public_key()
    with aged() as session:
        tamper.edit(session, 160, purpose="routine")
        report = verify(session, public)
        session.rollback()
    assert (report.ok, report.first_bad_seq) == (False, 160), report
    with aged() as session:
        tamper.remove(session, 151)
        report = verify(session, public)
        session.rollback()
    assert not report.ok and report.first_bad_seq == 151, report
    with aged() as session:  # more prefix gone, up to the signed run's end: no purge says so
        session.execute(delete(tamper.LOG).where(tamper.LOG.c.seq <= 201))
        report = verify(session, public)
        session.rollback()
    assert not report.ok and "missing" in (report.reason or ""), report
    with aged() as session:  # the purge record claims more than was purged
        tamper.edit(session, 201, resource="audit_log:..160")
        report = verify(session, public)
        session.rollback()
    assert not report.ok and report.first_bad_seq == 201, report


def test_an_unannounced_prefix_deletion_is_caught(
    aged: sessionmaker[Session], signing_key: Ed25519PrivateKey
) -> None:
    with aged() as session:  # deleted up to a checkpoint's end, but no audit.purge record
        session.execute(delete(tamper.LOG).where(tamper.LOG.c.seq <= 100))
        report = verify(session, signing_key.public_key())
        session.rollback()
    assert not report.ok and report.first_bad_seq == 1 and "missing" in (report.reason or "")
