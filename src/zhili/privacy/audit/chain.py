"""The hash chain: one canonical byte string per record, hashed together with the record before.

hash(n) = H(prev_hash(n) || "\\n" || canonical(fields of n)), prev_hash(1) = GENESIS.

The canonical form is a JSON array in the fixed order of FIELDS, preceded by a version tag:
fixed order makes it cheaper than sorted keys, JSON makes it unambiguous (strings are quoted
and escaped, None is null, not ""). `seq` is part of it, so moving a record breaks its hash.
Datetimes are naive UTC at microsecond precision, which both SQLite and PostgreSQL keep exactly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# The fields that are hashed, in canonical order (every column but prev_hash and hash).
FIELDS: tuple[str, ...] = (
    "seq",
    "at",
    "actor_id",
    "actor_role",
    "actor_department",
    "action",
    "resource",
    "subjects",
    "purpose",
    "legal_basis",
    "case_id",
    "result_count",
    "outcome",
    "disclose_after",
)
VERSION = "zhili.audit/1"
ALGORITHMS: tuple[str, ...] = ("sha256", "sm3")
DEFAULT_ALGORITHM = "sha256"
# Both algorithms give 256-bit digests, so one genesis value and String(64) columns serve both.
GENESIS = "0" * 64

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class UnsupportedAlgorithm(ValueError):
    """The chain names a hash algorithm this Python/OpenSSL cannot compute."""


def hasher(algorithm: str = DEFAULT_ALGORITHM) -> Callable[..., Any]:
    """A constructor like hashlib.sha256 for the algorithm (SM3 needs OpenSSL's sm3)."""
    if algorithm == "sha256":
        return hashlib.sha256
    if algorithm == "sm3":
        try:
            hashlib.new("sm3")
        except ValueError as exc:
            raise UnsupportedAlgorithm(
                "SM3 is not available: this Python's OpenSSL lacks sm3 "
                "(OpenSSL >= 1.1.1 built with SM3 is needed)"
            ) from exc
        return lambda data=b"": hashlib.new("sm3", data)
    raise UnsupportedAlgorithm(
        f"unknown audit hash algorithm {algorithm!r}; use one of {ALGORITHMS}"
    )


_last_at: tuple[dt.datetime | None, str] = (None, "")


def format_at(value: dt.datetime) -> str:
    """Naive UTC, always with microseconds (an aware datetime is converted to UTC first)."""
    global _last_at
    last = _last_at  # one-entry cache: a batch shares one time, strftime is the slow part
    if last[0] is not None and value == last[0] and value.tzinfo is last[0].tzinfo:
        return last[1]
    text = value
    if text.tzinfo is not None:
        text = text.astimezone(dt.UTC).replace(tzinfo=None)
    formatted = text.strftime("%Y-%m-%dT%H:%M:%S.%f")
    _last_at = (value, formatted)
    return formatted


def canonical_values(values: Sequence[Any]) -> bytes:
    """Canonical bytes of the field values given in FIELDS order (the verifier's fast path)."""
    (seq, at, actor_id, actor_role, actor_department, action, resource, subjects,
     purpose, legal_basis, case_id, result_count, outcome, disclose_after) = values  # fmt: skip
    return _encode(
        [
            VERSION,
            int(seq),
            format_at(at) if at is not None else None,
            actor_id,
            actor_role,
            actor_department,
            action,
            resource,
            subjects,
            purpose,
            legal_basis,
            case_id,
            int(result_count) if result_count is not None else None,
            outcome,
            disclose_after.isoformat() if disclose_after is not None else None,
        ]
    ).encode("utf-8")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """Canonical bytes of a record's fields (a mapping with every name in FIELDS)."""
    missing = [f for f in FIELDS if f not in fields]
    if missing:
        raise KeyError(f"audit record fields missing: {missing}")
    return canonical_values([fields[f] for f in FIELDS])


def record_hash(
    prev_hash: str, fields: Mapping[str, Any], algorithm: str = DEFAULT_ALGORITHM
) -> str:
    """The record's hash (hex), chained to the previous record's hash."""
    return hash_canonical(prev_hash, canonical(fields), hasher(algorithm))


def hash_canonical(prev_hash: str, data: bytes, new: Callable[..., Any]) -> str:
    h = new(prev_hash.encode("utf-8"))  # utf-8: a tampered value must not crash
    h.update(b"\n")
    h.update(data)
    return h.hexdigest()
