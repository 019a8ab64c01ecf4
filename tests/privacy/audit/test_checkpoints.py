"""Checkpoints: contiguous signed runs, written only over records that verify."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.privacy.audit import tamper
from tests.privacy.audit.conftest import fill
from zhili.privacy.audit import (
    AuditChainError,
    AuditEntry,
    append_batch,
    checkpoint_message,
    maybe_checkpoint,
    merkle_root,
    verify,
    write_checkpoint,
)
from zhili.privacy.audit.keys import key_id
from zhili.privacy.audit.log import unsigned_tail
from zhili.privacy.models import AuditCheckpoint, AuditRecord


def test_checkpoints_cover_contiguous_runs_and_are_signed(
    sessions: sessionmaker[Session], key: bytes, signing_key: Ed25519PrivateKey
) -> None:
    with sessions.begin() as session:
        assert write_checkpoint(session, signing_key) is None  # nothing yet
    fill(sessions, 70, key)
    with sessions.begin() as session:
        first = write_checkpoint(session, signing_key)
        assert write_checkpoint(session, signing_key) is None  # nothing new
    fill(sessions, 31, key, start=70)
    with sessions.begin() as session:
        second = write_checkpoint(session, signing_key)
    assert (first.first_seq, first.last_seq, second.first_seq, second.last_seq) == (1, 70, 71, 101)
    assert second.key_id == key_id(signing_key)
    with sessions() as session:
        hashes = session.scalars(
            select(AuditRecord.hash).where(AuditRecord.seq > 70).order_by(AuditRecord.seq)
        ).all()
        report = verify(session, signing_key.public_key())
    assert second.merkle_root == merkle_root(hashes) and second.last_hash == hashes[-1]
    message = checkpoint_message("sha256", 71, 101, hashes[-1], second.merkle_root)
    signing_key.public_key().verify(bytes.fromhex(second.signature), message)
    assert report.ok and report.checkpoints == 2 and report.signatures_checked, report


def test_maybe_checkpoint_waits_for_enough_records(
    sessions: sessionmaker[Session], key: bytes, signing_key: Ed25519PrivateKey
) -> None:
    fill(sessions, 40, key)
    with sessions.begin() as session:
        assert maybe_checkpoint(session, signing_key, every=50) is None
    fill(sessions, 10, key, start=40)
    with sessions.begin() as session:
        cp = maybe_checkpoint(session, signing_key, every=50)
        assert (cp.first_seq, cp.last_seq) == (1, 50)
        assert maybe_checkpoint(session, signing_key, every=50) is None


def test_a_checkpoint_up_to_a_seq(
    sessions: sessionmaker[Session], key: bytes, signing_key: Ed25519PrivateKey
) -> None:
    fill(sessions, 30, key)
    with sessions.begin() as session:
        assert write_checkpoint(session, signing_key, upto=12).last_seq == 12
        with pytest.raises(ValueError, match="log ends at 30"):
            write_checkpoint(session, signing_key, upto=31)


def test_tampered_records_are_never_signed(
    sessions: sessionmaker[Session], key: bytes, signing_key: Ed25519PrivateKey
) -> None:
    fill(sessions, 30, key)
    with sessions() as session:
        tamper.edit(session, 17, outcome="ok!")
        with pytest.raises(AuditChainError, match="record 17"):
            write_checkpoint(session, signing_key)
        session.rollback()
    with sessions() as session:
        tamper.remove(session, 30)
        with pytest.raises(AuditChainError, match=r"30\.\.30 are missing"):
            write_checkpoint(session, signing_key)
        session.rollback()
        assert session.scalar(select(AuditCheckpoint.id)) is None


def test_an_append_tells_the_tail_maybe_checkpoint_would_ask_for(
    sessions: sessionmaker[Session], key: bytes, signing_key: Ed25519PrivateKey
) -> None:
    fill(sessions, 12, key)
    with sessions.begin() as session:
        write_checkpoint(session, signing_key, upto=7)
    entry = AuditEntry("user:1", "auditor", None, "audit.read")
    with sessions.begin() as session:
        appended = append_batch(session, [entry, entry], key=key)
        assert appended.tail == (14, 7) == unsigned_tail(session)
        assert maybe_checkpoint(session, signing_key, every=8, tail=appended.tail) is None
        cp = maybe_checkpoint(session, signing_key, every=7, tail=appended.tail)
        assert (cp.first_seq, cp.last_seq) == (8, 14)
