"""Signed Merkle checkpoints: an Ed25519 signature over a run of records.

A checkpoint covers the records after the previous checkpoint (contiguous runs from seq 1).
It signs (algorithm, first_seq, last_seq, last_hash, merkle_root): last_hash pins the chain at
last_seq, so rewriting any covered record (even with a recomputed chain) breaks it, and the
root lets a verifier check the run without trusting the chain. The run is re-verified before
signing: a checkpoint never blesses a record that was already tampered with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from zhili.privacy.audit import log
from zhili.privacy.audit.chain import GENESIS
from zhili.privacy.audit.keys import key_id
from zhili.privacy.audit.merkle import MerkleBuilder
from zhili.privacy.audit.records import last_checkpoint
from zhili.privacy.audit.walk import ChainBreak, walk
from zhili.privacy.models import AuditCheckpoint

MESSAGE_VERSION = "zhili.audit.checkpoint/1"
DEFAULT_EVERY = 1000


class AuditChainError(RuntimeError):
    """The records to be signed do not verify: signing them would bless tampering."""


def checkpoint_message(
    algorithm: str, first_seq: int, last_seq: int, last_hash: str, merkle_root: str
) -> bytes:
    """The exact bytes that are signed (a JSON array, so no field can bleed into another)."""
    body = [MESSAGE_VERSION, algorithm, int(first_seq), int(last_seq), last_hash, merkle_root]
    return json.dumps(body, separators=(",", ":")).encode("ascii")


def signature_valid(public_key: Ed25519PublicKey, checkpoint: Any, algorithm: str) -> bool:
    """Whether the checkpoint (a row or an AuditCheckpoint) carries a good signature."""
    message = checkpoint_message(
        algorithm,
        checkpoint.first_seq,
        checkpoint.last_seq,
        checkpoint.last_hash,
        checkpoint.merkle_root,
    )
    try:
        public_key.verify(bytes.fromhex(checkpoint.signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_keys_by_id(
    keys: Ed25519PublicKey | Iterable[Ed25519PublicKey] | Mapping[str, Ed25519PublicKey],
) -> dict[str, Ed25519PublicKey]:
    """Accept one key, several (old ones after a rotation) or a mapping by key id."""
    if isinstance(keys, Ed25519PublicKey):
        return {key_id(keys): keys}
    if isinstance(keys, Mapping):
        return dict(keys)
    return {key_id(k): k for k in keys}


def write_checkpoint(
    session: Session, signing_key: Ed25519PrivateKey, *, upto: int | None = None
) -> AuditCheckpoint | None:
    """Sign the records after the last checkpoint (up to `upto`, default the head).

    Runs in the caller's transaction and holds the head lock, so appends wait and two
    checkpoint writers cannot overlap. Returns None when there is nothing new to sign.
    """
    head = log.lock_head(session)
    if head is None:
        return None
    head_seq, _, algorithm = head
    last = head_seq if upto is None else upto
    if last > head_seq:
        raise ValueError(f"cannot checkpoint up to {last}: the log ends at {head_seq}")
    previous = last_checkpoint(session)
    first = previous.last_seq + 1 if previous is not None else 1
    if last < first:
        return None
    prev_hash = previous.last_hash if previous is not None else GENESIS
    builder = MerkleBuilder(algorithm)
    last_hash = prev_hash
    seen = first - 1
    try:
        for seen, last_hash in walk(session, first, last, prev_hash, algorithm):  # noqa: B007
            builder.add(last_hash)
    except ChainBreak as exc:
        raise AuditChainError(f"refusing to sign a broken chain: {exc}") from exc
    if seen != last:
        raise AuditChainError(f"refusing to sign: records {seen + 1}..{last} are missing")
    root = builder.root()
    message = checkpoint_message(algorithm, first, last, last_hash, root)
    checkpoint = AuditCheckpoint(
        first_seq=first,
        last_seq=last,
        last_hash=last_hash,
        merkle_root=root,
        signature=signing_key.sign(message).hex(),
        key_id=key_id(signing_key),
        at=log._now(),
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def maybe_checkpoint(
    session: Session,
    signing_key: Ed25519PrivateKey,
    every: int = DEFAULT_EVERY,
    tail: tuple[int, int] | None = None,
) -> AuditCheckpoint | None:
    """Write a checkpoint once `every` records have gathered since the last one.

    Cheap when there is nothing to do (one indexed query, or none when the caller gives the
    `tail` an append under the same lock returned), so it can follow every append.
    """
    tail = tail or log.unsigned_tail(session)
    if tail is None or tail[0] - tail[1] < every:
        return None
    return write_checkpoint(session, signing_key)
