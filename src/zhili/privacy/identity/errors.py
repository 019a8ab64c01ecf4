"""Errors and small helpers shared by the identity modules."""

from __future__ import annotations

import datetime as dt
import hashlib


class AuthError(Exception):
    """A login, token or key was refused. `reason` is a stable code; str() is the message.

    Reasons: bad_credentials, locked, inactive, unknown_token, expired, revoked, unknown_key.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PasswordPolicyError(ValueError):
    """A new password does not meet the policy; the message says which rule."""


def utc_naive(now: dt.datetime | None = None) -> dt.datetime:
    """`now` (or the clock) as naive UTC, the form the models store."""
    if now is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if now.tzinfo is not None:
        return now.astimezone(dt.UTC).replace(tzinfo=None)
    return now


def sha256_hex(secret: str) -> str:
    # Tokens and keys carry 256 random bits, so a fast unsalted hash is enough: there is
    # nothing to brute-force, and the hash must be indexable for lookup.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
