"""What every privacy-aware service needs at hand: the keys and one way to write the audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from zhili.privacy.actors import Actor
from zhili.privacy.audit import AuditEntry, append_batch, maybe_checkpoint
from zhili.privacy.audit import keys as audit_keys
from zhili.privacy.purpose import Purpose

# How long an investigation's reads stay hidden from the citizen unless told otherwise.
CONFIDENTIAL_DAYS = 180


@dataclass
class PrivacyContext:
    keys_dir: Path
    checkpoint_every: int = 1000

    @cached_property
    def subject_key(self) -> bytes:
        return audit_keys.load_subject_key(self.keys_dir)

    @cached_property
    def signing_key(self) -> Ed25519PrivateKey:
        return audit_keys.load_signing_key(self.keys_dir)

    @cached_property
    def public_key(self) -> Ed25519PublicKey:
        return audit_keys.load_public_key(self.keys_dir)

    def audit(
        self,
        session: Session,
        actor: Actor,
        action: str,
        *,
        resource: str | None = None,
        subjects: list[str] | tuple[str, ...] = (),
        purpose: Purpose | None = None,
        result_count: int = 0,
        outcome: str = "ok",
    ) -> None:
        """Append one audit record inside the caller's transaction (the caller commits)."""
        disclose_after = None
        if purpose is not None and purpose.confidential:
            disclose_after = dt.date.today() + dt.timedelta(days=CONFIDENTIAL_DAYS)
        entry = AuditEntry(
            actor_id=actor.id,
            actor_role=actor.role,
            actor_department=actor.department,
            action=action,
            resource=resource,
            subjects=list(subjects),
            purpose=purpose.text if purpose else None,
            legal_basis=purpose.legal_basis if purpose else None,
            case_id=purpose.case_id if purpose else None,
            result_count=result_count,
            outcome=outcome,
            disclose_after=disclose_after,
        )
        appended = append_batch(session, [entry], key=self.subject_key)
        # Periodically sign a Merkle checkpoint over the records since the last one.
        maybe_checkpoint(session, self.signing_key, self.checkpoint_every, appended.tail)

    def audit_many(self, session: Session, entries: list[AuditEntry]) -> None:
        """Append a batch (one lock of the chain's head) inside the caller's transaction."""
        if not entries:
            return
        appended = append_batch(session, entries, key=self.subject_key)
        maybe_checkpoint(session, self.signing_key, self.checkpoint_every, appended.tail)
