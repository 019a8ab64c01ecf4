from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.identifiers import resident_id as rid

from .strategies import area_codes, birth_dates, garbage

STANDARD_EXAMPLE = "11010519491231002X"  # the example printed in GB 11643-1999


def test_standard_example() -> None:
    assert rid.check_digit("11010519491231002") == "X"
    assert rid.validate(STANDARD_EXAMPLE) == (STANDARD_EXAMPLE, None)
    assert rid.birth_date(STANDARD_EXAMPLE) == dt.date(1949, 12, 31)
    assert rid.sex(STANDARD_EXAMPLE) == "F"  # sequence code 002: even


def test_hand_computed_check_digit() -> None:
    # 330110 19850615 001, weights 7 9 10 5 8 4 | 2 1 6 3 7 9 10 5 | 8 4 2:
    # 21+27+0+5+8+0 + 2+9+48+15+0+54+10+25 + 0+0+2 = 226; 226 % 11 = 6 -> "10X98765432"[6] = "6"
    assert rid.check_digit("33011019850615001") == "6"
    assert rid.is_valid("330110198506150016")
    assert rid.sex("330110198506150016") == "M"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002x", STANDARD_EXAMPLE),
        (" 110105 19491231 002X ", STANDARD_EXAMPLE),
        ("１１０１０５１９４９１２３１００２ｘ", STANDARD_EXAMPLE),
        ("110105491231002", STANDARD_EXAMPLE),  # 15-digit form
        ("\ufeff11010519491231002X\u200b", STANDARD_EXAMPLE),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert rid.normalize(raw) == expected
    assert rid.validate(raw) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "not text"),
        (1.5, "not text"),
        ("11010519491231002", "length 17"),
        ("1101051949123100211", "length 19"),
        ("11010519491231002Y", "non-digit"),
        ("1101051949X231002X", "non-digit"),
        ("11010519491231002\u0663", "non-digit"),  # Arabic-Indic digit three
        # The next four carry correct check digits, so only the named field is wrong.
        ("001105194912310025", "bad area code"),
        ("110105194913310021", "bad birth date"),  # month 13
        ("110105189912310023", "bad birth date"),  # before 1900
        ("110105299912310020", "bad birth date"),  # future
        ("110105194912310021", "bad check digit"),
    ],
)
def test_reasons(raw: object, reason: str) -> None:
    assert rid.validate(raw) == (None, reason)
    assert not rid.is_valid(raw)


def test_integer_input() -> None:
    # Spreadsheets store digit-only ids as numbers.
    assert rid.validate(330110198506150016) == ("330110198506150016", None)


def test_upgrade_downgrade() -> None:
    assert rid.upgrade_15("110105491231002") == STANDARD_EXAMPLE
    assert rid.downgrade_to_15(STANDARD_EXAMPLE) == "110105491231002"
    with pytest.raises(ValueError):
        rid.downgrade_to_15("330110200101010011")
    with pytest.raises(ValueError):
        rid.upgrade_15("11010549123100")


def test_accessors_reject_invalid() -> None:
    with pytest.raises(ValueError, match="bad check digit"):
        rid.birth_date("110105194912310021")
    with pytest.raises(ValueError):
        rid.sex("garbage")


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    area = draw(area_codes)
    born = draw(birth_dates)
    seq = draw(st.integers(0, rid.MAX_SEQ))
    male = draw(st.booleans())
    return str(rid.make_ids(area, np.datetime64(born), seq, male)[0])


@given(st.data(), area_codes, birth_dates, st.integers(0, rid.MAX_SEQ), st.booleans())
def test_generated_ids_validate(
    data: st.DataObject, area: str, born: dt.date, seq: int, male: bool
) -> None:
    number = str(rid.make_ids(area, np.datetime64(born), seq, male)[0])
    assert rid.validate(number) == (number, None)
    assert number[:6] == area
    assert rid.birth_date(number) == born
    assert rid.sex(number) == ("M" if male else "F")
    assert number[14:17] == f"{2 * seq + (1 if male else 2):03d}"


@given(valid_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_single_character_change_detected(number: str, pos: int, char: str) -> None:
    if number[pos] == char:
        return
    changed = number[:pos] + char + number[pos + 1 :]
    assert not rid.is_valid(changed)


@given(valid_ids())
def test_15_digit_round_trip(number: str) -> None:
    if number[6:8] != "19":
        with pytest.raises(ValueError):
            rid.downgrade_to_15(number)
        return
    old = rid.downgrade_to_15(number)
    assert len(old) == 15
    assert rid.upgrade_15(old) == number
    assert rid.validate(old) == (number, None)


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_downgrade_of_upgrade(id15: str) -> None:
    assert rid.downgrade_to_15(rid.upgrade_15(id15)) == id15


@given(st.one_of(garbage, valid_ids()))
def test_normalize_idempotent(s: object) -> None:
    once = rid.normalize(s)
    assert rid.normalize(once) == once


@given(garbage)
def test_garbage_returns_reason(s: object) -> None:
    number, reason = rid.validate(s)
    assert (number is None) != (reason is None)
    if number is None:
        assert isinstance(reason, str) and reason


def test_make_ids_bulk_unique_with_assign_seq() -> None:
    rng = np.random.default_rng(7)
    n = 100_000
    # Few areas and a one-year window force ~90 people per (area, date) group.
    area = rng.choice(np.array(["330110", "341221", "411525"]), n)
    birth = np.datetime64("1990-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    male = rng.random(n) < 0.5
    seq = rid.assign_seq(area, birth, rng)
    ids = rid.make_ids(area, birth, seq, male)
    assert ids.dtype == np.dtype("<U18")
    assert np.unique(ids).size == n
    sex_digit = np.array([int(x[16]) for x in ids])
    assert np.array_equal(sex_digit % 2 == 1, male)
    assert all(x[6:14] == str(b).replace("-", "") for x, b in zip(ids, birth, strict=True))
    assert all(x[:6] == a for x, a in zip(ids, area, strict=True))
    sample = ids[rng.choice(n, 3000, replace=False)]
    assert all(rid.check_digit(x[:17]) == x[17] for x in sample)


def test_make_ids_broadcasts_and_checks_inputs() -> None:
    birth = np.array(["1980-01-01", "2000-02-29"], dtype="datetime64[D]")
    ids = rid.make_ids(330110, birth, np.array([0, 498]), np.array([True, False]))
    assert ids.tolist() == [
        "330110" + "19800101" + "001" + rid.check_digit("33011019800101001"),
        "330110" + "20000229" + "998" + rid.check_digit("33011020000229998"),
    ]
    with pytest.raises(ValueError):
        rid.make_ids(330110, birth, 499, True)
    with pytest.raises(ValueError):
        rid.make_ids(33011, birth, 0, True)
    with pytest.raises(ValueError):
        rid.make_ids(np.array(["33011a"]), birth, 0, True)
    with pytest.raises(ValueError):
        rid.make_ids(np.array(["33011"]), birth, 0, True)
    with pytest.raises(ValueError):
        rid.make_ids(330110, np.array(["NaT"], dtype="datetime64[D]"), 0, True)
    empty = rid.make_ids(np.array([], dtype=np.int64), np.array([], "datetime64[D]"), 0, True)
    assert empty.size == 0


def test_assign_seq_limits() -> None:
    rng = np.random.default_rng(1)
    birth = np.full(499, np.datetime64("1990-05-05"))
    seq = rid.assign_seq(330110, birth, rng)
    assert sorted(seq.tolist()) == list(range(499))
    with pytest.raises(ValueError):
        rid.assign_seq(330110, np.full(500, np.datetime64("1990-05-05")), rng)
