from __future__ import annotations

import time

import pytest
from argon2 import PasswordHasher

from zhili.privacy.identity import (
    DEMO_PASSWORD,
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_round_trip_is_argon2id() -> None:
    h = hash_password("Correct-horse-9")
    assert h.startswith("$argon2id$v=19$m=65536,t=2,p=2$")
    assert verify_password(h, "Correct-horse-9")
    assert not verify_password(h, "Correct-horse-8")
    assert not verify_password("not a hash", "Correct-horse-9")
    assert hash_password("Correct-horse-9") != h  # salted
    assert not needs_rehash(h)


def test_old_parameters_need_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Correct-horse-9")
    assert verify_password(weak, "Correct-horse-9")
    assert needs_rehash(weak)


def test_hash_cost_is_tens_of_milliseconds() -> None:
    start = time.perf_counter()
    hash_password("Correct-horse-9")
    # ~50 ms on the development machine; bounds are loose for slower and faster machines.
    assert 0.005 < time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-1", "too short: 7 characters, at least 10"),
        ("abcdefghijkl", "only lowercase letters"),
        ("ABCDEFGHIJKL", "only uppercase letters"),
        ("123456789012", "only digits"),
        ("！！！！！！！！！！", "only other characters"),
        ("x" * 257 + "1", "too long"),
        ("my-commander-pw", "must not contain the username"),
    ],
)
def test_policy_rejects(password: str, message: str) -> None:
    with pytest.raises(PasswordPolicyError, match=message):
        check_password_policy(password, "commander")


@pytest.mark.parametrize(
    "password", ["abcdefghij1", "Abcdefghijk", "密码是余杭区2019年", DEMO_PASSWORD]
)
def test_policy_accepts(password: str) -> None:
    check_password_policy(password, "commander")


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PasswordPolicyError, ValueError)
