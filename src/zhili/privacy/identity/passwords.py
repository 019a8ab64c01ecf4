"""Password hashing (argon2id) and the password policy.

Parameters: argon2id, time_cost=2, memory_cost=64 MiB, parallelism=2, 16-byte salt, 32-byte
hash. On the 2-core development machine one hash takes about 53 ms (the argon2-cffi default,
t=3/64 MiB/p=4, took about 95 ms there; OWASP's floor is 19 MiB/t=2 or 46 MiB/t=1). Hashes
made with other parameters still verify, and `needs_rehash` tells login to upgrade them.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from zhili.privacy.identity.errors import PasswordPolicyError

TIME_COST = 2
MEMORY_COST_KIB = 64 * 1024
PARALLELISM = 2
MIN_LENGTH = 10
# Long enough for any passphrase; the cap keeps a megabyte "password" from costing the server.
MAX_LENGTH = 256

_hasher = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)
_dummy_lock = threading.Lock()
_dummy: str | None = None


def hash_password(password: str) -> str:
    """An encoded argon2id hash ("$argon2id$v=19$m=65536,t=2,p=2$...")."""
    return _hasher.hash(password)


def verify_password(encoded: str, password: str) -> bool:
    """True if `password` matches; False for a mismatch or a damaged/foreign hash."""
    try:
        return _hasher.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """True when the hash was made with other parameters than today's (rehash at login)."""
    try:
        return _hasher.check_needs_rehash(encoded)
    except InvalidHashError:
        return True


def dummy_verify(password: str) -> None:
    """Spend one verification's time, so an unknown username answers as slowly as a known one."""
    global _dummy
    with _dummy_lock:
        if _dummy is None:
            _dummy = _hasher.hash("zhili-dummy-password-never-matches")
    verify_password(_dummy, password)


def _classes(password: str) -> set[str]:
    found = set()
    for ch in password:
        if ch.isascii() and ch.islower():
            found.add("lowercase letters")
        elif ch.isascii() and ch.isupper():
            found.add("uppercase letters")
        elif ch.isdigit():
            found.add("digits")
        else:
            found.add("other characters")  # punctuation, spaces, Chinese characters
    return found


def check_password_policy(password: str, username: str | None = None) -> None:
    """Raise PasswordPolicyError unless the password has >= 10 characters from >= 2 classes
    (lowercase, uppercase, digits, other) and does not contain the username."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(
            f"password too short: {len(password)} characters, at least {MIN_LENGTH} needed"
        )
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"password too long: at most {MAX_LENGTH} characters")
    classes = _classes(password)
    if len(classes) < 2:
        raise PasswordPolicyError(
            f"password uses only {next(iter(classes))}; mix at least two of: lowercase letters, "
            "uppercase letters, digits, other characters"
        )
    if username and len(username) >= 3 and username.lower() in password.lower():
        raise PasswordPolicyError("password must not contain the username")
