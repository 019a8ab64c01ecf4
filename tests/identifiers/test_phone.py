from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.identifiers import phone

from .strategies import garbage


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138-0013-8000",
        "86 13800138000",
        "138 0013 8000",
        "１３８００１３８０００",
        "+86（138）0013 8000",
        "0086-138.0013.8000",
        "013800138000",  # trunk 0 in front of a mobile
        13800138000,
    ],
)
def test_normalize_mobile(raw: object) -> None:
    assert phone.normalize(raw) == "13800138000"
    assert phone.validate(raw) == ("13800138000", None)
    assert phone.carrier(raw) == phone.CHINA_MOBILE


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        (None, "not text"),
        ("1380013800", "length 10"),
        ("138001380001", "length 12"),
        ("1380013800a", "non-digit"),
        ("12345678901", "unknown prefix 123"),
        ("19212345678", "unknown prefix 192"),  # not issued in 2019
        ("23800138000", "not a mobile number"),
        ("0571-88888888", "not a mobile number"),
    ],
)
def test_mobile_reasons(raw: object, reason: str) -> None:
    assert phone.validate(raw) == (None, reason)
    assert phone.carrier(raw) is None


def test_carriers() -> None:
    assert phone.carrier("13012345678") == phone.CHINA_UNICOM
    assert phone.carrier("18912345678") == phone.CHINA_TELECOM
    assert phone.carrier("19812345678") == phone.CHINA_MOBILE
    assert phone.carrier("17012345678") == phone.MVNO
    for name, prefixes in phone.PREFIXES.items():
        for prefix in prefixes:
            assert phone.carrier(prefix + "12345678") == name
    all_prefixes = [p for ps in phone.PREFIXES.values() for p in ps]
    assert len(all_prefixes) == len(set(all_prefixes)) == 42


@pytest.mark.parametrize(
    "raw",
    ["0571-88888888", "057188888888", "(0571) 8888 8888", "+86 571 8888 8888", "88888888"],
)
def test_landline(raw: str) -> None:
    assert phone.validate_any(raw) == ("0571-88888888", None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("010-88888888", "not a Hangzhou (0571) landline"),
        ("0571-8888888", "local number length 7"),
        ("0571-08888888", "bad local number"),
        ("1380013800", "length 10"),
        ("0571-8888888a", "non-digit"),
        ("", "empty"),
    ],
)
def test_landline_reasons(raw: str, reason: str) -> None:
    assert phone.validate_any(raw) == (None, reason)


def test_validate_any_accepts_mobiles() -> None:
    assert phone.validate_any("+86 138 0013 8000") == ("13800138000", None)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(sorted(phone.CARRIER_OF_PREFIX)))
    return prefix + draw(st.text(alphabet="0123456789", min_size=8, max_size=8))


@given(valid_numbers(), st.sampled_from(["", "+86", "86", "0086", "+86 "]), st.booleans())
def test_formatting_variants(number: str, country: str, spaced: bool) -> None:
    text = f"{number[:3]} {number[3:7]}-{number[7:]}" if spaced else number
    assert phone.validate(country + text) == (number, None)


@given(st.one_of(garbage, valid_numbers()))
def test_normalize_idempotent(s: object) -> None:
    once = phone.normalize(s)
    assert phone.normalize(once) == once


@given(garbage)
def test_garbage_returns_reason(s: object) -> None:
    for fn in (phone.validate, phone.validate_any):
        number, reason = fn(s)
        assert (number is None) != (reason is None)


@settings(deadline=None, max_examples=20)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300))
def test_generated_numbers_validate(seed: int, n: int) -> None:
    numbers = phone.make_numbers(np.random.default_rng(seed), n)
    assert numbers.shape == (n,)
    assert all(phone.validate(x) == (x, None) for x in numbers)


def test_bulk_unique_and_carrier_mix() -> None:
    numbers = phone.make_numbers(np.random.default_rng(2019), 200_000)
    assert numbers.dtype == np.dtype("<U11")
    assert np.unique(numbers).size == numbers.size
    carriers = [phone.carrier(x) for x in numbers]
    share = {name: carriers.count(name) / len(carriers) for name in phone.CARRIER_SHARE}
    for name, expected in phone.CARRIER_SHARE.items():
        assert abs(share[name] - expected) < 0.01, (name, share)
    assert phone.MVNO not in carriers
    # 19x blocks were new in 2019: a small minority.
    assert 0 < sum(x.startswith("19") for x in numbers) / numbers.size < 0.02
