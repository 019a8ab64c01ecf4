"""Deleting old audit records without breaking the chain, and never before six months.

The Cybersecurity Law (Art. 21) wants network logs kept at least six months: anything younger
than `retention_days` (>= 183) is refused outright. A purge cuts at a checkpoint boundary: the
signed checkpoint ending at the cut is the anchor (its last_hash is the prev_hash of the first
record kept). The purge itself is appended as an "audit.purge" record naming the boundary, and a
checkpoint seals that record, so `verify` accepts a missing prefix only when a signed purge
record accounts for exactly that prefix.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from zhili.privacy.audit import log
from zhili.privacy.audit.checkpoints import write_checkpoint
from zhili.privacy.audit.log import AuditEntry, append
from zhili.privacy.audit.records import last_checkpoint
from zhili.privacy.models import AuditCheckpoint, AuditRecord, AuditSubject

MIN_RETENTION_DAYS = 183  # six months and a little more: the Cybersecurity Law's floor
PURGE_ACTION = "audit.purge"
LEGAL_BASIS = "CSL-21"
_LOG = AuditRecord.__table__
_SUBJECTS = AuditSubject.__table__
_RESOURCE = re.compile(r"audit_log:\.\.(\d+)")


class RetentionError(ValueError):
    """A purge that would delete records younger than the retention period."""


@dataclass(frozen=True)
class PurgeResult:
    boundary: int  # every seq <= boundary is gone
    deleted: int  # records deleted by this purge
    anchor_checkpoint_id: int | None
    purge_seq: int  # the "audit.purge" record


def purge_resource(boundary: int) -> str:
    return f"audit_log:..{boundary}"


def parse_purge_resource(resource: str | None) -> int | None:
    """The boundary a purge record states, or None if it states none."""
    match = _RESOURCE.fullmatch(resource or "")
    return int(match.group(1)) if match else None


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def purge_older_than(
    session: Session,
    before: dt.datetime,
    retention_days: int = MIN_RETENTION_DAYS,
    *,
    signing_key: Ed25519PrivateKey,
    actor_id: str = "system:retention",
    actor_role: str = "system",
    actor_department: str | None = None,
) -> PurgeResult:
    """Delete the oldest records written before `before` (naive UTC), in the caller's transaction.

    Raises RetentionError if `retention_days` < 183 or `before` is less than `retention_days`
    ago. Only a run from the start of the log is deleted, ending at a checkpoint boundary, so a
    few records older than `before` may stay until the next purge; never a younger one goes.
    """
    if retention_days < MIN_RETENTION_DAYS:
        raise RetentionError(
            f"retention of {retention_days} days is below the legal minimum of "
            f"{MIN_RETENTION_DAYS} days (Cybersecurity Law Art. 21: logs kept >= 6 months)"
        )
    before = _naive_utc(before)
    now = log._now()
    oldest_allowed = now - dt.timedelta(days=retention_days)
    if before > oldest_allowed:
        raise RetentionError(
            f"refusing to purge audit records up to {before:%Y-%m-%d %H:%M}: records younger "
            f"than {retention_days} days (after {oldest_allowed:%Y-%m-%d %H:%M} UTC) must be kept"
        )
    head = log.lock_head(session)  # appends wait until the purge commits
    head_seq = head[0] if head is not None else 0
    young = session.scalar(select(func.min(AuditRecord.seq)).where(AuditRecord.at >= before))
    first_present = session.scalar(select(func.min(AuditRecord.seq)))
    cut = young - 1 if young is not None else head_seq
    previous = last_checkpoint(session)
    covered = previous.last_seq if previous is not None else 0
    if cut > covered:
        anchor = write_checkpoint(session, signing_key, upto=cut)
        anchor_id = anchor.id if anchor is not None else None
    else:  # the cut falls inside signed runs: step back to the nearest run's end
        row = session.execute(
            select(AuditCheckpoint.id, AuditCheckpoint.last_seq)
            .where(AuditCheckpoint.last_seq <= cut)
            .order_by(AuditCheckpoint.last_seq.desc())
            .limit(1)
        ).first()
        anchor_id, cut = (row[0], row[1]) if row is not None else (None, 0)
    deleted = 0
    if first_present is not None and cut >= first_present:
        session.execute(delete(_SUBJECTS).where(_SUBJECTS.c.seq <= cut))
        result = session.execute(delete(_LOG).where(_LOG.c.seq <= cut))
        deleted = result.rowcount or 0
    boundary = max(cut, first_present - 1) if first_present is not None else cut
    record = append(
        session,
        AuditEntry(
            actor_id=actor_id,
            actor_role=actor_role,
            actor_department=actor_department,
            action=PURGE_ACTION,
            resource=purge_resource(boundary),
            purpose=f"retention: records before {before:%Y-%m-%d} ({retention_days} days)",
            legal_basis=LEGAL_BASIS,
            result_count=deleted,
        ),
        key=b"",  # the purge concerns no person
    )
    write_checkpoint(session, signing_key)  # seal the purge record under a signature
    return PurgeResult(boundary, deleted, anchor_id, record.seq)
