"""Verifying the whole log: the chain, the head, the checkpoints and any purged prefix.

Records are streamed in seq order (records.py) and each hash is recomputed from the one before
(walk.py). What each kind of tampering looks like, and the seq that is named:
- an edited record: its hash no longer matches (that record);
- a deleted record: a gap in seq (the missing seq), or, if later seqs were renumbered, a
  prev_hash or hash mismatch (the first renumbered record);
- an inserted or moved record: its seq is in its hash and its prev_hash names another record;
- records behind the head's back: a seq beyond audit_head.last_seq;
- a truncated tail: the head or the last checkpoint reaches past the last record;
- a forged or altered checkpoint: a bad signature (with the public key), or a root or last
  hash that the records do not reproduce (always);
- a deleted prefix: accepted only when a signed checkpoint ends right before the first record
  kept and a sealed "audit.purge" record states exactly that boundary (retention.py).
A chain rewritten consistently after the last checkpoint cannot be told from a genuine one by
the database alone: that is what publishing checkpoints elsewhere would be for.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.privacy.audit.chain import GENESIS, UnsupportedAlgorithm, hasher
from zhili.privacy.audit.checkpoints import public_keys_by_id, signature_valid
from zhili.privacy.audit.merkle import MerkleBuilder
from zhili.privacy.audit.records import CHUNK, read_checkpoints, read_head, seq_bounds
from zhili.privacy.audit.retention import PURGE_ACTION, parse_purge_resource
from zhili.privacy.audit.walk import ChainBreak, walk
from zhili.privacy.models import AuditRecord

PublicKeys = Ed25519PublicKey | Iterable[Ed25519PublicKey] | Mapping[str, Ed25519PublicKey]
_LOG = AuditRecord.__table__


@dataclass
class VerifyReport:
    ok: bool
    records: int = 0  # records whose hash was recomputed and matched
    first_bad_seq: int | None = None
    reason: str | None = None
    checkpoints: int = 0  # checkpoints whose root and last hash the records reproduced
    signatures_checked: bool = False
    first_seq: int | None = None  # the first record kept (after a purge, > 1)
    last_seq: int | None = None  # the head's last seq
    purged_through: int = 0  # seqs <= this were purged, accounted for by a signed purge
    algorithm: str | None = None
    seconds: float = 0.0

    @property
    def records_checked(self) -> int:
        return self.records

    @property
    def checkpoints_checked(self) -> int:
        return self.checkpoints


def _purge_bounds(session: Session) -> list[tuple[int, int]]:
    """(seq of the purge record, boundary it states) for every purge record kept."""
    rows = session.connection().execute(
        select(_LOG.c.seq, _LOG.c.resource).where(_LOG.c.action == PURGE_ACTION)
    )
    found = []
    for seq, resource in rows:
        boundary = parse_purge_resource(resource)
        if boundary is not None:
            found.append((seq, boundary))
    return found


def _first_prev_hash(session: Session, seq: int) -> str:
    row = session.connection().execute(select(_LOG.c.prev_hash).where(_LOG.c.seq == seq)).first()
    return row[0] if row is not None else GENESIS


def verify(
    session: Session, public_key: PublicKeys | None = None, *, chunk: int = CHUNK
) -> VerifyReport:
    """Check the log end to end; the report names the first bad seq and why.

    With `public_key` (one key, several, or a mapping by key id) checkpoint signatures are
    checked too; without it only their roots and hashes are.
    """
    started = time.perf_counter()
    findings: list[tuple[int, str]] = []
    report = VerifyReport(ok=True, signatures_checked=public_key is not None)

    def done() -> VerifyReport:
        if findings:
            report.ok = False
            report.first_bad_seq, report.reason = min(findings, key=lambda f: f[0])
        report.seconds = time.perf_counter() - started
        return report

    # Checkpoints before the head: a checkpoint read first never reaches past the head read next.
    checkpoints = read_checkpoints(session)
    head = read_head(session)
    first_present, _ = seq_bounds(session)
    if head is None:
        if first_present is not None or checkpoints:
            findings.append((first_present or 1, "the chain head (audit_head) is missing"))
        return done()
    algorithm = report.algorithm = head.algorithm
    report.last_seq = head.last_seq
    try:
        hasher(algorithm)
    except UnsupportedAlgorithm as exc:
        findings.append((first_present or 1, str(exc)))
        return done()

    _check_checkpoint_runs(checkpoints, public_key, algorithm, findings)

    start = first_present if first_present is not None else head.last_seq + 1
    report.first_seq = first_present
    prev = GENESIS
    anchor = None
    if start > 1:
        anchor = next((cp for cp in checkpoints if cp.last_seq == start - 1), None)
        prev = anchor.last_hash if anchor is not None else _first_prev_hash(session, start)
        report.purged_through = start - 1

    pending = []
    for cp in checkpoints:
        if cp.first_seq < start <= cp.last_seq:
            findings.append(
                (start, f"checkpoint {cp.id} covers {cp.first_seq}-{cp.last_seq}, "
                 f"but the log starts at {start}")
            )  # fmt: skip
        elif cp.first_seq >= start:
            pending.append(cp)
    cps = iter(pending)
    cp: Any = next(cps, None)
    builder = MerkleBuilder(algorithm)
    last_seen, last_hash = start - 1, prev
    try:
        for seq, digest in walk(session, start, head.last_seq, prev, algorithm, chunk):
            last_seen, last_hash = seq, digest
            report.records += 1
            if cp is None or seq < cp.first_seq:
                continue
            builder.add(digest)
            if seq == cp.last_seq:
                _check_checkpoint_run(cp, digest, builder)
                report.checkpoints += 1
                while cp is not None and cp.first_seq <= seq:  # overlaps were reported above
                    cp = next(cps, None)
                builder = MerkleBuilder(algorithm)
    except ChainBreak as exc:
        findings.append((exc.seq, exc.reason))
        if start > 1:
            _check_purged_prefix(session, checkpoints, anchor, start, exc.seq, findings)
        return done()
    if start > 1:
        _check_purged_prefix(session, checkpoints, anchor, start, None, findings)

    if last_seen < head.last_seq:
        findings.append(
            (last_seen + 1, f"records {last_seen + 1}..{head.last_seq} are missing: the log "
             f"was truncated (the head says {head.last_seq})")
        )  # fmt: skip
    elif head.last_hash != last_hash:
        findings.append((head.last_seq, "the head's hash does not match the last record"))
    if cp is not None:
        findings.append(
            (last_seen + 1, f"checkpoint {cp.id} covers records up to {cp.last_seq}, but the "
             f"log ends at {last_seen}: the tail was truncated")
        )  # fmt: skip
    # Records behind the head's back. max(seq) first, then the head: committed appends move
    # both together, so in this order a concurrent append cannot look like an intruder.
    _, max_seq = seq_bounds(session)
    head_now = read_head(session)
    if max_seq is not None and head_now is not None and max_seq > head_now.last_seq:
        findings.append(
            (head_now.last_seq + 1, f"record(s) up to {max_seq} lie beyond the head "
             f"({head_now.last_seq}): inserted outside the chain")
        )  # fmt: skip
    return done()


def _check_checkpoint_runs(
    checkpoints: list[Any],
    public_key: PublicKeys | None,
    algorithm: str,
    findings: list[tuple[int, str]],
) -> None:
    """Checkpoints form contiguous runs from seq 1, each signed by a known key."""
    keys = public_keys_by_id(public_key) if public_key is not None else None
    expected = 1
    for cp in checkpoints:
        if cp.first_seq != expected or cp.last_seq < cp.first_seq:
            findings.append(
                (min(cp.first_seq, expected), f"checkpoint {cp.id} covers {cp.first_seq}-"
                 f"{cp.last_seq}, but the runs continue at {expected} (checkpoint removed "
                 "or forged)")
            )  # fmt: skip
        if keys is not None:
            key = keys.get(cp.key_id)
            if key is None:
                findings.append(
                    (cp.first_seq, f"checkpoint {cp.id} is signed by an unknown key {cp.key_id}")
                )
            elif not signature_valid(key, cp, algorithm):
                findings.append(
                    (cp.first_seq, f"checkpoint {cp.id} has a bad signature (forged or altered)")
                )
        expected = max(expected, cp.last_seq + 1)


def _check_purged_prefix(
    session: Session,
    checkpoints: list[Any],
    anchor: Any,
    start: int,
    broken_at: int | None,
    findings: list[tuple[int, str]],
) -> None:
    """A missing prefix 1..start-1 must end at a checkpoint and be stated by a purge record
    that verified and that a checkpoint seals (so it cannot be appended after the fact)."""
    sealed_up_to = max((cp.last_seq for cp in checkpoints), default=0)
    purges = _purge_bounds(session)
    trusted = [
        boundary
        for seq, boundary in purges
        if seq <= sealed_up_to and (broken_at is None or seq < broken_at)
    ]
    justified = max((b for b in trusted if b <= start - 1), default=0)
    if anchor is not None and justified == start - 1:
        return
    if anchor is not None and broken_at is not None and any(seq >= broken_at for seq, _ in purges):
        return  # the purge record lies in the broken part: that break is the finding
    why = (
        f"no checkpoint ends at {start - 1} to anchor the chain"
        if anchor is None
        else "no sealed audit.purge record accounts for them"
    )
    findings.append((justified + 1, f"records {justified + 1}..{start - 1} are missing: {why}"))


def _check_checkpoint_run(cp: Any, last_hash: str, builder: MerkleBuilder) -> None:
    if last_hash != cp.last_hash:
        raise ChainBreak(
            cp.first_seq,
            f"checkpoint {cp.id}: records {cp.first_seq}-{cp.last_seq} differ from the signed "
            "state (the chain was rewritten, or the checkpoint forged)",
        )
    if builder.root() != cp.merkle_root:
        raise ChainBreak(
            cp.first_seq,
            f"checkpoint {cp.id}: the Merkle root of records {cp.first_seq}-{cp.last_seq} "
            "does not match (forged checkpoint)",
        )
