from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.identifiers import plate

from .strategies import garbage

ORDINARY = re.compile(r"浙A[0-9A-HJ-NP-Z]{5}")
NEW_ENERGY = re.compile(r"浙A[DF][0-9]{5}")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("浙A12345", "浙A12345"),
        ("浙AB1234", "浙AB1234"),
        ("浙A1B234", "浙A1B234"),
        ("浙a·b1234", "浙AB1234"),
        (" 浙A 1B234 ", "浙A1B234"),
        ("浙Ａ－１２３４５", "浙A12345"),
        ("浙A•12345", "浙A12345"),
        ("浙AD12345", "浙AD12345"),
        ("浙AFA1234", "浙AFA1234"),  # small new energy: second character may be a letter
        ("浙A12345D", "浙A12345D"),  # large new energy: D/F last
        ("浙A1234挂", "浙A1234挂"),  # trailer
    ],
)
def test_valid(raw: str, expected: str) -> None:
    assert plate.normalize(raw) == expected
    assert plate.validate(raw) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        (None, "not text"),
        ("浙B12345", "not a Hangzhou plate (浙A)"),
        ("京A12345", "not a Hangzhou plate (浙A)"),
        ("浙AI2345", "contains I or O"),
        ("浙AD1234O", "contains I or O"),
        ("浙AABC12", "too many letters"),
        ("浙A1234", "length 6"),
        ("浙A1234567", "length 9"),
        ("浙AF1A234", "bad new-energy format"),
        ("浙A12#45", "bad character '#'"),
    ],
)
def test_reasons(raw: object, reason: str) -> None:
    assert plate.validate(raw) == (None, reason)


def test_is_new_energy() -> None:
    assert plate.is_new_energy("浙AD12345")
    assert not plate.is_new_energy("浙AD1234")
    assert not plate.is_new_energy("garbage")


@given(st.one_of(garbage, st.from_regex(ORDINARY, fullmatch=True)))
def test_normalize_idempotent(s: object) -> None:
    once = plate.normalize(s)
    assert plate.normalize(once) == once


@given(garbage)
def test_garbage_returns_reason(s: object) -> None:
    value, reason = plate.validate(s)
    assert (value is None) != (reason is None)


@settings(deadline=None, max_examples=20)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.floats(0, 1))
def test_generated_plates_validate(seed: int, n: int, share: float) -> None:
    plates = plate.make_plates(np.random.default_rng(seed), n, new_energy_share=share)
    assert plates.shape == (n,)
    assert np.unique(plates).size == n
    for p in plates.tolist():
        assert plate.validate(p) == (p, None)
        assert "I" not in p and "O" not in p
        assert ORDINARY.fullmatch(p) or NEW_ENERGY.fullmatch(p)


def test_bulk_unique_share_and_patterns() -> None:
    plates = plate.make_plates(np.random.default_rng(5), 200_000, new_energy_share=0.05)
    assert np.unique(plates).size == plates.size
    joined = "".join(plates.tolist())
    assert "I" not in joined and "O" not in joined
    lengths = np.char.str_len(plates)
    assert set(np.unique(lengths).tolist()) == {7, 8}
    assert abs((lengths == 8).mean() - 0.05) < 0.005
    shapes = {
        "".join("L" if c.isalpha() else "D" for c in p[2:]) for p in plates[lengths == 7].tolist()
    }
    assert shapes == set(plate.ORDINARY_PATTERNS)


def test_capacity() -> None:
    # Near the ordinary capacity the overflow moves between patterns, still all distinct.
    plates = plate.make_plates(np.random.default_rng(0), 1_100_000, new_energy_share=0.0)
    assert np.unique(plates).size == plates.size
    with pytest.raises(ValueError, match="capacity"):
        plate.make_plates(np.random.default_rng(0), 2_000_000, new_energy_share=0.0)
    with pytest.raises(ValueError):
        plate.make_plates(np.random.default_rng(0), 10, new_energy_share=1.5)
