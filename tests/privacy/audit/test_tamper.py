"""Tampering with the log: each kind is detected and the first bad record is named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tests.privacy.audit import tamper
from tests.privacy.audit.conftest import entry, fill
from zhili.privacy.audit import append, verify, write_checkpoint
from zhili.privacy.audit.checkpoints import checkpoint_message
from zhili.privacy.audit.keys import key_id
from zhili.privacy.models import AuditCheckpoint

N = 300
CP = AuditCheckpoint.__table__


@pytest.fixture
def chain(
    sessions: sessionmaker[Session], key: bytes, signing_key: Ed25519PrivateKey
) -> sessionmaker[Session]:
    """300 records; signed checkpoints over 1-100 and 101-200; 201-300 not yet signed."""
    for upto in (100, 200):
        fill(sessions, 100, key, start=upto - 100)
        with sessions.begin() as session:
            write_checkpoint(session, signing_key)
    fill(sessions, 100, key, start=200)
    with sessions() as session:
        report = verify(session, signing_key.public_key())
    assert report.ok and report.records == N and report.checkpoints == 2, report
    return sessions


def broken(
    sessions: sessionmaker[Session],
    change: Callable[[Session], object],
    public_key: object = None,
) -> tuple[int | None, str]:
    """Apply a change in a transaction, verify what it leaves, roll back."""
    with sessions() as session:
        change(session)
        report = verify(session, public_key)
        session.rollback()
    assert not report.ok, "tampering went unnoticed"
    return report.first_bad_seq, report.reason or ""


def test_edited_field_is_named(chain: sessionmaker[Session]) -> None:
    seq, reason = broken(
        chain, lambda s: s.execute(text("UPDATE audit_log SET purpose = 'routine' WHERE seq = 150"))
    )
    assert seq == 150 and "altered" in reason
    seq, reason = broken(chain, lambda s: s.execute(
        text("UPDATE audit_log SET outcome = 'ok' WHERE seq = 243")  # entry(242): was denied
    ))  # fmt: skip
    assert (seq, "altered" in reason) == (243, True)
    seq, _ = broken(chain, lambda s: s.execute(text("UPDATE audit_log SET subjects = '' "
                                                    "WHERE seq = 7")))  # fmt: skip
    assert seq == 7


def test_deleted_record_is_named(chain: sessionmaker[Session]) -> None:
    seq, reason = broken(chain, lambda s: tamper.remove(s, 137))
    assert seq == 137 and "missing" in reason
    seq, reason = broken(chain, lambda s: tamper.remove(s, 250))  # beyond the checkpoints
    assert seq == 250 and "missing" in reason

    def delete_and_close_the_gap(s: Session) -> None:
        tamper.remove(s, 137)
        tamper.shift(s, 138, -1)
        tamper.set_head(s, last_seq=N - 1)

    seq, _ = broken(chain, delete_and_close_the_gap)
    assert seq == 137


def test_inserted_record_is_named(chain: sessionmaker[Session]) -> None:
    def insert_chained(s: Session) -> None:  # a well-formed record slipped in at 120
        tamper.shift(s, 120, +1)
        s.execute(insert(tamper.LOG).values(tamper.forged(s, 120, tamper.row(s, 119)["hash"])))
        tamper.set_head(s, last_seq=N + 1)

    seq, reason = broken(chain, insert_chained)
    assert seq == 120 and "inserted" in reason

    def insert_naive(s: Session) -> None:  # renumbering, but the hash made up
        tamper.shift(s, 230, +1)
        values = tamper.forged(s, 230, tamper.row(s, 229)["hash"])
        s.execute(insert(tamper.LOG).values({**values, "hash": "f" * 64}))

    seq, _ = broken(chain, insert_naive)
    assert seq == 230

    def append_behind_the_head(s: Session) -> None:
        s.execute(insert(tamper.LOG).values(tamper.forged(s, N + 1, tamper.row(s, N)["hash"])))

    seq, reason = broken(chain, append_behind_the_head)
    assert seq == N + 1 and "beyond the head" in reason


def test_reordered_records_are_named(chain: sessionmaker[Session]) -> None:
    def swap(a: int, b: int, columns: list[str]) -> Callable[[Session], None]:
        def change(s: Session) -> None:
            ra, rb = tamper.row(s, a), tamper.row(s, b)
            tamper.edit(s, a, **{c: rb[c] for c in columns})
            tamper.edit(s, b, **{c: ra[c] for c in columns})

        return change

    everything_but_seq = [c for c in tamper.COLUMNS if c != "seq"]
    assert broken(chain, swap(50, 60, everything_but_seq))[0] == 50
    content = [c for c in everything_but_seq if c not in ("prev_hash", "hash")]
    assert broken(chain, swap(250, 251, content))[0] == 250


def test_truncated_tail_is_detected(chain: sessionmaker[Session]) -> None:
    seq, reason = broken(
        chain, lambda s: s.execute(delete(tamper.LOG).where(tamper.LOG.c.seq > 280))
    )
    assert seq == 281 and "truncated" in reason

    def truncate_and_fix_head(s: Session) -> None:  # the head agrees, the checkpoint does not
        s.execute(delete(tamper.LOG).where(tamper.LOG.c.seq > 150))
        tamper.set_head(s, last_seq=150, last_hash=tamper.row(s, 150)["hash"])

    seq, reason = broken(chain, truncate_and_fix_head)
    assert seq == 151 and "truncated" in reason

    def delete_everything(s: Session) -> None:
        s.execute(delete(tamper.LOG))

    assert broken(chain, delete_everything)[0] == 1


def test_forged_checkpoints_are_detected(
    chain: sessionmaker[Session], signing_key: Ed25519PrivateKey
) -> None:
    public = signing_key.public_key()

    def alter_root(s: Session) -> None:
        s.execute(update(CP).where(CP.c.first_seq == 101).values(merkle_root="0" * 64))

    seq, reason = broken(chain, alter_root, public)
    assert seq == 101 and "bad signature" in reason
    seq, reason = broken(chain, alter_root)  # without the key, the records still disagree
    assert seq == 101 and "Merkle root" in reason

    def sign_with_another_key(s: Session) -> None:
        other = Ed25519PrivateKey.generate()
        cp = s.execute(select(CP).where(CP.c.first_seq == 101)).one()
        message = checkpoint_message("sha256", 101, 200, cp.last_hash, "1" * 64)
        s.execute(
            update(CP)
            .where(CP.c.id == cp.id)
            .values(merkle_root="1" * 64, signature=other.sign(message).hex(), key_id=key_id(other))
        )

    seq, reason = broken(chain, sign_with_another_key, public)
    assert seq == 101 and "unknown key" in reason

    def rewrite_signed_history(s: Session) -> None:  # edit 150, recompute everything after it
        tamper.edit(s, 150, purpose="routine")
        tamper.rechain(s, 150)

    seq, reason = broken(chain, rewrite_signed_history, public)
    assert seq == 101 and "signed state" in reason

    def drop_a_checkpoint(s: Session) -> None:
        s.execute(delete(CP).where(CP.c.first_seq == 1))

    seq, reason = broken(chain, drop_a_checkpoint, public)
    assert seq == 1 and "checkpoint" in reason


def test_head_tampering_is_detected(chain: sessionmaker[Session]) -> None:
    seq, reason = broken(chain, lambda s: tamper.set_head(s, last_hash="a" * 64))
    assert seq == N and "head" in reason
    seq, reason = broken(chain, lambda s: s.execute(delete(tamper.HEAD)))
    assert seq == 1 and "head" in reason
    seq, reason = broken(chain, lambda s: tamper.set_head(s, algorithm="sm3"))
    assert seq == 1 and "altered" in reason


def test_a_chain_switched_between_algorithms_is_detected(
    sessions: sessionmaker[Session], key: bytes
) -> None:
    fill(sessions, 100, key)  # sha256
    with sessions.begin() as session:
        tamper.set_head(session, algorithm="sm3")
        for i in range(100, 150):
            append(session, entry(i), key=key)  # chained with sm3 from here on
    with sessions() as session:
        assert verify(session).first_bad_seq == 1  # read as sm3, record 1 fails
        tamper.set_head(session, algorithm="sha256")
        report = verify(session)  # read as sha256, the first sm3 record fails
        session.rollback()
    assert not report.ok and report.first_bad_seq == 101, report
