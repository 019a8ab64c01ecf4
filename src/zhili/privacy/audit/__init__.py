"""The tamper-evident audit log: hash-chained records, signed Merkle checkpoints, verification
and retention. Every read of personal data and every change appends a record in the caller's
own transaction (see log.py); `verify` names the first record that does not hold.
"""

from zhili.privacy.audit.chain import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    GENESIS,
    UnsupportedAlgorithm,
    canonical,
    record_hash,
)
from zhili.privacy.audit.checkpoints import (
    AuditChainError,
    checkpoint_message,
    maybe_checkpoint,
    write_checkpoint,
)
from zhili.privacy.audit.keys import (
    key_id,
    load_public_key,
    load_signing_key,
    load_subject_key,
)
from zhili.privacy.audit.log import (
    AuditEntry,
    append,
    append_batch,
    append_many,
    init_chain,
    subject_hmac,
    subject_hmacs,
)
from zhili.privacy.audit.merkle import MerkleBuilder, merkle_root
from zhili.privacy.audit.retention import (
    MIN_RETENTION_DAYS,
    PurgeResult,
    RetentionError,
    purge_older_than,
)
from zhili.privacy.audit.verify import VerifyReport, verify

__all__ = [
    "ALGORITHMS",
    "DEFAULT_ALGORITHM",
    "GENESIS",
    "MIN_RETENTION_DAYS",
    "AuditChainError",
    "AuditEntry",
    "MerkleBuilder",
    "PurgeResult",
    "RetentionError",
    "UnsupportedAlgorithm",
    "VerifyReport",
    "append",
    "append_batch",
    "append_many",
    "canonical",
    "checkpoint_message",
    "init_chain",
    "key_id",
    "load_public_key",
    "load_signing_key",
    "load_subject_key",
    "maybe_checkpoint",
    "merkle_root",
    "purge_older_than",
    "record_hash",
    "subject_hmac",
    "subject_hmacs",
    "verify",
    "write_checkpoint",
]
