"""What an insider with write access to the database might do to the log (test helpers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from zhili.privacy.audit import GENESIS, record_hash
from zhili.privacy.audit.chain import FIELDS
from zhili.privacy.models import AuditHead, AuditRecord

LOG = AuditRecord.__table__
HEAD = AuditHead.__table__
COLUMNS = [c.name for c in LOG.c]


def row(session: Session, seq: int) -> dict[str, Any]:
    return dict(session.execute(select(LOG).where(LOG.c.seq == seq)).one()._mapping)


def edit(session: Session, seq: int, /, **values: Any) -> None:
    session.execute(update(LOG).where(LOG.c.seq == seq).values(**values))


def remove(session: Session, *seqs: int) -> None:
    session.execute(delete(LOG).where(LOG.c.seq.in_(seqs)))


def shift(session: Session, from_seq: int, by: int) -> None:
    """Renumber every record from `from_seq` on by `by` (highest first, to dodge the key)."""
    seqs = session.scalars(select(LOG.c.seq).where(LOG.c.seq >= from_seq)).all()
    for seq in sorted(seqs, reverse=by > 0):
        edit(session, seq, seq=seq + by)


def forged(session: Session, seq: int, prev_hash: str, algorithm: str = "sha256") -> dict:
    """A plausible record (a copy of record 1's kind), correctly chained to prev_hash."""
    values = {**row(session, 1), "seq": seq, "actor_id": "user:intruder", "prev_hash": prev_hash}
    values["hash"] = record_hash(prev_hash, {f: values[f] for f in FIELDS}, algorithm)
    return values


def rechain(session: Session, from_seq: int, algorithm: str = "sha256") -> None:
    """Recompute every hash from `from_seq` on and move the head: a consistent rewrite."""
    prev = GENESIS if from_seq == 1 else row(session, from_seq - 1)["hash"]
    last = None
    for seq in session.scalars(select(LOG.c.seq).where(LOG.c.seq >= from_seq).order_by(LOG.c.seq)):
        values = row(session, seq)
        digest = record_hash(prev, {f: values[f] for f in FIELDS}, algorithm)
        edit(session, seq, prev_hash=prev, hash=digest)
        prev, last = digest, seq
    if last is not None:
        session.execute(update(HEAD).values(last_seq=last, last_hash=prev))


def set_head(session: Session, **values: Any) -> None:
    session.execute(update(HEAD).values(**values))
