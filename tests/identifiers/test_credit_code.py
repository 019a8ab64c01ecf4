from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.identifiers import credit_code as cc

from .strategies import area_codes, garbage

ALIBABA = "91330100716105852F"  # 阿里巴巴（中国）有限公司, published on its business licence
# Constructed by hand (see test_hand_computed_examples for the arithmetic).
CONSTRUCTED_ENTERPRISE = "91330110MA27A1B20F"
CONSTRUCTED_INDIVIDUAL = "92330110MA2H0E40XN"


def test_real_codes() -> None:
    assert cc.validate(ALIBABA) == (ALIBABA, None)
    # Organisation code 71610585-2: 7*3+1*7+6*9+1*10+0*5+5*8+8*4+5*2 = 174; 174 % 11 = 9;
    # 11 - 9 = 2.
    assert cc.org_check_char("71610585") == "2"
    # 9 1 3 3 0 1 0 0 7 1 6 1 0 5 8 5 2 . weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    # = 884; 884 % 31 = 16; 31 - 16 = 15 -> "F".
    assert cc.check_char("91330100716105852") == "F"
    assert cc.is_valid("91110000600037341L")  # the example used by python-stdnum


def test_hand_computed_examples() -> None:
    # Body MA27A1B2 (GB 11714 values M=22, A=10, B=11): 22*3+10*7+2*9+7*10+10*5+1*8+11*4+2*2
    # = 330; 330 % 11 = 0; 11 - 0 = 11 -> "0".
    assert cc.org_check_char("MA27A1B2") == "0"
    # ALPHABET values M=21, A=10, B=11: 9+3+27+81+0+26+16+0+420+290+50+91+80+24+110+60+0
    # = 1287; 1287 % 31 = 16; 31 - 16 = 15 -> "F".
    assert cc.check_char("91330110MA27A1B20") == "F"
    assert cc.validate(CONSTRUCTED_ENTERPRISE) == (CONSTRUCTED_ENTERPRISE, None)
    # Body MA2H0E40 (H=17, E=14): 66+70+18+170+0+112+16+0 = 452; 452 % 11 = 1; 11 - 1 = 10
    # -> "X". Full: 9+6+27+81+0+26+16+0+420+290+50+221+0+336+40+0+29*28 = 2334; 2334 % 31 = 9;
    # 31 - 9 = 22 -> "N".
    assert cc.org_check_char("MA2H0E40") == "X"
    assert cc.validate(CONSTRUCTED_INDIVIDUAL) == (CONSTRUCTED_INDIVIDUAL, None)


@pytest.mark.parametrize(
    "raw",
    [
        " 91330100716105852f ",
        "９１３３０１００７１６１０５８５２Ｆ",
        "91330100-716105852F",
        "9133 0100 7161 0585 2F",
    ],
)
def test_normalize(raw: str) -> None:
    assert cc.normalize(raw) == ALIBABA
    assert cc.validate(raw) == (ALIBABA, None)


def _with_final_check(first17: str) -> str:
    return first17 + cc.check_char(first17)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        (None, "not text"),
        ("91330100716105852", "length 17"),
        ("91330100716105852FF", "length 19"),
        ("91330100I16105852F", "bad character 'I' at position 9"),
        ("91330100716105852O", "bad character 'O' at position 18"),
        ("浙1330100716105852F", "bad character '浙' at position 1"),
        (_with_final_check("B1330100716105852"), "unknown registration authority 'B'"),
        (_with_final_check("91A30100716105852"), "bad area code"),
        (_with_final_check("91330100716105853"), "bad organisation code check"),
        ("91330100716105852E", "bad check character"),
    ],
)
def test_reasons(raw: object, reason: str) -> None:
    assert cc.validate(raw) == (None, reason)
    assert not cc.is_valid(raw)


def test_org_code_check_can_be_skipped() -> None:
    code = _with_final_check("91330100716105853")
    assert cc.validate(code, check_org_code=False) == (code, None)


kinds = st.sampled_from([*cc.KINDS, "91", "Y1"])


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    seed = draw(st.integers(0, 2**32 - 1))
    return str(cc.make_codes(draw(area_codes), np.random.default_rng(seed), draw(kinds))[0])


@given(st.integers(0, 2**32 - 1), st.lists(st.tuples(area_codes, kinds), min_size=1, max_size=20))
def test_generated_codes_validate(seed: int, rows: list[tuple[str, str]]) -> None:
    area = np.array([a for a, _ in rows])
    kind = np.array([k for _, k in rows])
    codes = cc.make_codes(area, np.random.default_rng(seed), kind)
    assert len(set(codes.tolist())) == len(rows)
    for code, (a, k) in zip(codes.tolist(), rows, strict=True):
        assert cc.validate(code) == (code, None)
        assert code[2:8] == a
        assert code[:2] == cc.KINDS.get(k, k)


@given(valid_codes(), st.integers(0, 17), st.sampled_from(cc.ALPHABET))
def test_single_character_change_detected(code: str, pos: int, char: str) -> None:
    if code[pos] == char:
        return
    assert not cc.is_valid(code[:pos] + char + code[pos + 1 :])


@given(st.one_of(garbage, valid_codes()))
def test_normalize_idempotent(s: object) -> None:
    once = cc.normalize(s)
    assert cc.normalize(once) == once


@given(garbage)
def test_garbage_returns_reason(s: object) -> None:
    code, reason = cc.validate(s)
    assert (code is None) != (reason is None)


@settings(deadline=None, max_examples=5)
@given(st.integers(0, 1000))
def test_bulk_generation_unique_and_valid(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 20_000
    kind = rng.choice(np.array(["enterprise", "individual", "social_org", "93"]), n)
    codes = cc.make_codes(330110, rng, kind)
    assert codes.dtype == np.dtype("<U18")
    assert np.unique(codes).size == n
    assert all(cc.is_valid(c) for c in codes[:2000])
    assert all(c[:2] == cc.KINDS.get(k, k) for c, k in zip(codes, kind, strict=True))
    # Individual businesses only got codes after the 2015 reform: always new-style bodies.
    assert all(c[8:11] == "MA2" for c, k in zip(codes, kind, strict=True) if k == "individual")


def test_make_codes_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        cc.make_codes(330110, np.random.default_rng(0), "company")
    with pytest.raises(ValueError):
        cc.make_codes("33011", np.random.default_rng(0), "enterprise")
