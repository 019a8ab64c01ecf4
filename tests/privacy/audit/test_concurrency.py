"""Concurrent appends: two writers, one gapless chain that verifies."""

from __future__ import annotations

import threading

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.privacy.audit.conftest import entry
from zhili.privacy.audit import append, maybe_checkpoint, verify
from zhili.privacy.models import AuditHead, AuditRecord

PER_THREAD = 500


def test_two_threads_append_one_gapless_chain(
    sessions: sessionmaker[Session], key: bytes, signing_key: Ed25519PrivateKey
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(worker: int) -> None:
        try:
            start.wait()  # both race for the very first append (creating the head)
            for i in range(PER_THREAD):
                with sessions.begin() as session:
                    append(session, entry(i, actor_id=f"worker:{worker}"), key=key)
                    if i % 100 == 99:  # checkpoints interleave with the other's appends
                        maybe_checkpoint(session, signing_key, every=150)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with sessions() as session:
        seqs = session.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq)).all()
        by_worker = dict(
            session.execute(
                select(AuditRecord.actor_id, func.count()).group_by(AuditRecord.actor_id)
            ).all()
        )
        head = session.get(AuditHead, 1)
        report = verify(session, signing_key.public_key())
    assert seqs == list(range(1, 2 * PER_THREAD + 1))
    assert by_worker == {"worker:1": PER_THREAD, "worker:2": PER_THREAD}
    assert head.last_seq == 2 * PER_THREAD
    assert report.ok and report.records == 2 * PER_THREAD and report.checkpoints >= 1, report
