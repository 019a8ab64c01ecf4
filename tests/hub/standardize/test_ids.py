"""Vectorised identifier standardization: examples, and agreement with the scalar validators."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.hub.standardize import (
    standardize_credit_codes,
    standardize_ids,
    standardize_phones,
    standardize_plates,
    standardize_resident_ids,
)
from zhili.identifiers import credit_code, phone, plate, resident_id

STANDARD = "11010519491231002X"  # the example printed in GB 11643-1999

# Text that looks like identifiers and their typing errors, including full-width forms and
# odd spaces; st.text() alone would almost never produce a valid number.
ID_ALPHABET = "0123456789xX -+.·()（）０１２３４５６７８９\u3000\u200b\t浙AaDFIO挂"
id_like = st.text(alphabet=ID_ALPHABET, max_size=24)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2019, 12, 31))
areas = st.sampled_from(["330110", "330184", "330125", "341221", "411525", "110105"])


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    area = draw(areas)
    birth = np.array([draw(births)], dtype="datetime64[D]")
    seq = draw(st.integers(0, resident_id.MAX_SEQ))
    return str(resident_id.make_ids(area, birth, seq, draw(st.booleans()))[0])


@st.composite
def noisy_ids(draw: st.DrawFn) -> str:
    """A valid number with the errors the sources carry: lower-case x, spaces, full-width,
    a swapped pair, a wrong digit, or the 15-digit form."""
    number = draw(resident_ids())
    kind = draw(st.sampled_from(["clean", "lower", "space", "wide", "swap", "digit", "old"]))
    if kind == "lower":
        return number.lower()
    if kind == "space":
        i = draw(st.integers(1, 17))
        return number[:i] + draw(st.sampled_from([" ", "\u3000"])) + number[i:]
    if kind == "wide":
        return number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    if kind == "swap":
        i = draw(st.integers(0, 15))
        return number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    if kind == "digit":
        i = draw(st.integers(0, 16))
        return number[:i] + str((int(number[i]) + draw(st.integers(1, 9))) % 10) + number[i + 1 :]
    if kind == "old" and number[6:8] == "19":
        return resident_id.downgrade_to_15(number)
    return number


def test_resident_id_examples() -> None:
    out = standardize_resident_ids(
        pl.Series(["11010519491231002x", "110105491231002", " 110105 19491231 002X ", None, ""])
    )
    assert out["value"].to_list() == [STANDARD, STANDARD, STANDARD, None, ""]
    assert out["valid"].to_list() == [True, True, True, False, False]
    assert out["reason"].to_list() == [None, None, None, "missing", "empty"]
    assert out["upgraded"].to_list() == [False, True, False, False, False]
    assert out["original"][0] == "11010519491231002x"


def test_invalid_id_keeps_cleaned_value() -> None:
    out = standardize_resident_ids(pl.Series(["11010519491231003x"]))
    assert out.row(0) == (
        "11010519491231003x",
        "11010519491231003X",
        False,
        "bad check digit",
        False,
    )


def test_integer_and_float_columns() -> None:
    out = standardize_resident_ids(pl.Series([110105194912310021, None]))
    assert out["original"][0] == "110105194912310021"
    floats = standardize_resident_ids(pl.Series([1.1e17, None]))
    assert floats["reason"].to_list() == ["not text", "missing"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(noisy_ids(), id_like, st.none()), min_size=1, max_size=30))
def test_resident_ids_agree_with_scalar(values: list[str | None]) -> None:
    out = standardize_resident_ids(pl.Series(values, dtype=pl.String))
    for raw, (value, valid, reason) in zip(
        values, out.select("value", "valid", "reason").iter_rows(), strict=True
    ):
        if raw is None:
            assert (value, valid, reason) == (None, False, "missing")
            continue
        expected, why = resident_id.validate(raw)
        assert valid == (expected is not None)
        assert reason == why
        assert value == (expected if expected is not None else resident_id.normalize(raw))


@settings(max_examples=100, deadline=None)
@given(st.lists(resident_ids(), min_size=1, max_size=20))
def test_valid_ids_survive_unchanged(numbers: list[str]) -> None:
    out = standardize_resident_ids(pl.Series(numbers))
    assert out["value"].to_list() == numbers
    assert out["valid"].all()


@settings(max_examples=100, deadline=None)
@given(st.lists(resident_ids(), min_size=1, max_size=20))
def test_15_to_18_matches_upgrade_15(numbers: list[str]) -> None:
    old = [resident_id.downgrade_to_15(n) for n in numbers if n[6:8] == "19"]
    if not old:
        return
    out = standardize_resident_ids(pl.Series(old))
    assert out["value"].to_list() == [resident_id.upgrade_15(o) for o in old]
    assert out["upgraded"].all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(noisy_ids(), id_like), min_size=1, max_size=20))
def test_resident_id_normalisation_is_idempotent(values: list[str]) -> None:
    once = standardize_resident_ids(pl.Series(values))["value"]
    twice = standardize_resident_ids(once)["value"]
    assert once.to_list() == twice.to_list()


@st.composite
def phones_written(draw: st.DrawFn) -> str:
    number = draw(st.sampled_from(["13800138000", "18913456789", "17012345678", "12345678901"]))
    style = draw(st.sampled_from(["plain", "intl", "spaced", "dashed", "prefixed", "wide"]))
    return {
        "plain": number,
        "intl": f"+86 {number[:3]}-{number[3:7]}-{number[7:]}",
        "spaced": f"{number[:3]} {number[3:7]} {number[7:]}",
        "dashed": f"{number[:3]}-{number[3:7]}-{number[7:]}",
        "prefixed": f"86{number}",
        "wide": number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
    }[style]


def test_phone_examples() -> None:
    out = standardize_phones(
        pl.Series(["+86 138-0013-8000", "138 0013 8000", "8613800138000", "１３８００１３８０００",
                   "0571-88888888", "(0571)88888888", "12345", None])
    )  # fmt: skip
    assert out["value"].to_list() == ["13800138000"] * 4 + ["0571-88888888"] * 2 + [None, None]
    assert out["kind"].to_list() == ["mobile"] * 4 + ["landline"] * 2 + [None, None]
    assert out["reason"].to_list()[-2:] == ["length 5", "missing"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(phones_written(), id_like), min_size=1, max_size=20))
def test_phones_agree_with_scalar(values: list[str]) -> None:
    out = standardize_phones(pl.Series(values))
    for raw, (value, reason) in zip(values, out.select("value", "reason").iter_rows(), strict=True):
        assert (value, reason) == phone.validate_any(raw)


def test_plate_examples() -> None:
    out = standardize_plates(
        pl.Series(["浙a·b1234", "浙AD12345", "浙A12345D", "浙A1234挂", "浙AIO123"])
    )
    assert out["value"].to_list() == ["浙AB1234", "浙AD12345", "浙A12345D", "浙A1234挂", "浙AIO123"]
    assert out["valid"].to_list() == [True, True, True, True, False]
    assert out["reason"][4] == "contains I or O"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(alphabet="浙京AaBDFIO0123456789挂·- ", max_size=10), min_size=1, max_size=20)
)
def test_plates_agree_with_scalar(values: list[str]) -> None:
    out = standardize_plates(pl.Series(values))
    for raw, (value, valid, reason) in zip(
        values, out.select("value", "valid", "reason").iter_rows(), strict=True
    ):
        expected, why = plate.validate(raw)
        assert (valid, reason) == (expected is not None, why)
        assert value == (expected or plate.normalize(raw))


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(st.sampled_from(sorted(credit_code.KINDS)))
    code = str(credit_code.make_codes("330110", np.random.default_rng(seed), kind)[0])
    mangle = draw(st.sampled_from(["none", "lower", "dash", "char", "space"]))
    if mangle == "lower":
        return code.lower()
    if mangle == "dash":
        return code[:8] + "-" + code[8:]
    if mangle == "space":
        return " " + code + "\u3000"
    if mangle == "char":
        i = draw(st.integers(0, 17))
        return code[:i] + draw(st.sampled_from("0A9ZIOS")) + code[i + 1 :]
    return code


@settings(max_examples=100, deadline=None)
@given(st.lists(credit_codes(), min_size=1, max_size=20), st.booleans())
def test_credit_codes_agree_with_scalar(values: list[str], check_org: bool) -> None:
    out = standardize_credit_codes(pl.Series(values), check_org_code=check_org)
    for raw, (value, valid, reason) in zip(
        values, out.select("value", "valid", "reason").iter_rows(), strict=True
    ):
        expected, why = credit_code.validate(raw, check_org_code=check_org)
        assert (valid, reason) == (expected is not None, why)
        assert value == (expected or credit_code.normalize(raw))


def test_dispatch() -> None:
    out = standardize_ids(pl.Series(["11010519491231002x"]), "resident_id")
    assert out["value"][0] == STANDARD
    with pytest.raises(ValueError, match="unknown identifier kind"):
        standardize_ids(pl.Series(["x"]), "passport")  # type: ignore[arg-type]


def test_empty_series() -> None:
    for kind in ("resident_id", "credit_code", "phone", "plate"):
        out = standardize_ids(pl.Series([], dtype=pl.String), kind)  # type: ignore[arg-type]
        assert out.height == 0
        assert {"original", "value", "valid", "reason"} <= set(out.columns)
