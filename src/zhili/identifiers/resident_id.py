"""Citizen identity numbers (公民身份号码, GB 11643-1999).

Layout of the 18-character number: 6-digit area code of first registration, birth date
YYYYMMDD, 3-digit sequence code (odd last digit = male, even = female) and an ISO 7064
MOD 11-2 check character ("X" stands for 10). Numbers issued before 1999 had 15 digits:
2-digit year and no check character.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from zhili.identifiers._common import (
    as_area_codes,
    as_text,
    is_ascii_digits,
    remove_chars,
    rows_to_str,
    to_halfwidth,
)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level prefixes that appear in real numbers: the 31 mainland provinces plus
# Taiwan (71) and the 81/82/83 prefixes of HK, Macao and Taiwan residence permits.
PROVINCE_PREFIXES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82", "83",
    }
)  # fmt: skip
# Sequence codes run 001..998: 000 is never issued and 996-999 were reserved for people
# over 100 in the 15-digit era, so generated numbers avoid them.
MAX_SEQ = 498
EARLIEST_BIRTH = dt.date(1900, 1, 1)

_W = np.array(WEIGHTS, dtype=np.int64)
_CHECK_CODES = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8).astype(np.uint32)


def _digit_table(values: np.ndarray, width: int) -> np.ndarray:
    pow10 = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((np.asarray(values, dtype=np.int64)[:, None] // pow10) % 10).astype(np.uint32)


def _ymd_int(days: np.ndarray) -> np.ndarray:
    """datetime64[D] -> YYYYMMDD as int64."""
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years).astype(np.int64) + 1
    day = (days - months).astype(np.int64) + 1
    return year * 10000 + month * 100 + day


# Digit rows for 000..999 and the weighted partial sums of each 3-digit segment.
_D3 = _digit_table(np.arange(1000), 3)
_DIGITS3 = _D3 + ord("0")
_S_AREA_HI = _D3.astype(np.int64) @ _W[0:3]
_S_AREA_LO = _D3.astype(np.int64) @ _W[3:6]
_S_SEQ = _D3.astype(np.int64) @ _W[14:17]


def check_digit(first17: str) -> str:
    """Check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not is_ascii_digits(first17):
        raise ValueError(f"need 17 ASCII digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15(id15: str) -> str:
    """Old 15-digit number to 18 digits: insert century "19" and append the check character."""
    if len(id15) != 15 or not is_ascii_digits(id15):
        raise ValueError(f"need 15 ASCII digits, got {id15!r}")
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_digit(first17)


def downgrade_to_15(id18: str) -> str:
    """18-digit number to the old 15-digit form (drop century and check character).

    Only numbers of people born 1900-1999 have a 15-digit form.
    """
    if len(id18) != 18 or not is_ascii_digits(id18[:17]):
        raise ValueError(f"need an 18-character number, got {id18!r}")
    if id18[6:8] != "19":
        raise ValueError(f"only births in 19xx have a 15-digit form: {id18!r}")
    return id18[:6] + id18[8:17]


def normalize(s: object) -> str | None:
    """Best-effort clean-up: half-width, no spaces, upper-case X, 15 digits upgraded to 18.

    Returns the cleaned text even when it is not a valid number (use `validate` for a
    verdict); None only when `s` is not text at all. Idempotent.
    """
    text = as_text(s)
    if text is None:
        return None
    clean = remove_chars(to_halfwidth(text), "").upper()
    if len(clean) == 15 and is_ascii_digits(clean):
        clean = upgrade_15(clean)
    return clean


def _birth(id18: str) -> dt.date | None:
    try:
        born = dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None
    if born < EARLIEST_BIRTH or born > dt.date.today():
        return None
    return born


def validate(s: object) -> tuple[str | None, str | None]:
    """(normalised 18-character number, None) if valid, else (None, reason). Never raises.

    Reasons: "empty", "not text", "length N", "non-digit", "bad area code",
    "bad birth date", "bad check digit".
    """
    clean = normalize(s)
    if clean is None:
        return None, "not text"
    if not clean:
        return None, "empty"
    if len(clean) != 18:
        return None, f"length {len(clean)}"
    body, last = clean[:17], clean[17]
    if not (is_ascii_digits(body) and (last == "X" or is_ascii_digits(last))):
        return None, "non-digit"
    if body[:2] not in PROVINCE_PREFIXES:
        return None, "bad area code"
    if _birth(clean) is None:
        return None, "bad birth date"
    if check_digit(body) != last:
        return None, "bad check digit"
    return clean, None


def is_valid(s: object) -> bool:
    """True if `validate` accepts `s` (15-digit numbers count, as they upgrade cleanly)."""
    return validate(s)[0] is not None


def _require(s: object) -> str:
    number, reason = validate(s)
    if number is None:
        raise ValueError(f"invalid resident id {s!r}: {reason}")
    return number


def birth_date(s: object) -> dt.date:
    """Birth date embedded in a valid number (15 or 18 digits); ValueError otherwise."""
    number = _require(s)
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex(s: object) -> str:
    """Sex from the 17th digit: "M" if odd, else "F"; ValueError for invalid numbers."""
    return "M" if int(_require(s)[16]) % 2 else "F"


def make_ids(
    area6: np.ndarray | str | int,
    birth: np.ndarray,
    seq: np.ndarray | int,
    male: np.ndarray | bool,
) -> np.ndarray:
    """Vectorised numbers ('<U18' array); inputs broadcast against each other.

    area6: 6-digit codes (int or str); birth: datetime64 dates; seq: 0..498; male: bool.
    The 3-digit sequence code is 2*seq+1 for men and 2*seq+2 for women, so its parity encodes
    sex and distinct seq values give distinct numbers for the same area and birth date
    (whatever the sexes). `assign_seq` produces collision-free seq values. Birth dates
    outside 1900..today give numbers that `validate` rejects as "bad birth date".
    """
    area = as_area_codes(area6)
    days = np.asarray(birth).astype("datetime64[D]")
    seq_arr = np.asarray(seq)
    if seq_arr.dtype.kind not in "iu":
        raise TypeError("seq must be integers")
    male_arr = np.asarray(male, dtype=bool)
    area, days, seq_arr, male_arr = np.broadcast_arrays(area, days, seq_arr, male_arr)
    area, days = area.ravel(), days.ravel()
    seq_arr, male_arr = seq_arr.ravel().astype(np.int64), male_arr.ravel()
    if seq_arr.size and (seq_arr.min() < 0 or seq_arr.max() > MAX_SEQ):
        raise ValueError(f"seq must be in 0..{MAX_SEQ}")
    if np.isnat(days).any():
        raise ValueError("birth dates must not be NaT")

    # Per-segment lookup tables instead of integer division: gathers are ~10x faster than
    # int64 // and %, and the weighted check sum splits into per-segment partial sums.
    day_num = days.astype(np.int64)
    lo, hi = (int(day_num.min()), int(day_num.max())) if days.size else (0, 0)
    if hi - lo > 4_000_000:  # wider than years 1000..9999 allow; also bounds the table size
        raise ValueError("birth years must have 4 digits")
    span = np.arange(lo, hi + 1).astype("datetime64[D]")
    ymd = _ymd_int(span)
    if ymd.size and (ymd.min() < 10_000_000 or ymd.max() > 99_999_999):
        raise ValueError("birth years must have 4 digits")
    day_idx = day_num - lo
    date_digits = _digit_table(ymd, 8)
    date_sum = date_digits.astype(np.int64) @ _W[6:14]
    a_hi, a_lo = area // 1000, area % 1000
    seq3 = 2 * seq_arr + np.where(male_arr, 1, 2)

    total = _S_AREA_HI[a_hi] + _S_AREA_LO[a_lo] + date_sum[day_idx] + _S_SEQ[seq3]
    codes = np.empty((area.size, 18), dtype=np.uint32)
    codes[:, 0:3] = _DIGITS3[a_hi]
    codes[:, 3:6] = _DIGITS3[a_lo]
    codes[:, 6:14] = (date_digits + ord("0"))[day_idx]
    codes[:, 14:17] = _DIGITS3[seq3]
    codes[:, 17] = _CHECK_CODES[total % 11]
    return rows_to_str(codes)


def assign_seq(
    area6: np.ndarray | str | int, birth: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Sequence numbers (0..498) that make `make_ids` output unique for these people.

    People sharing an area and birth date get distinct values: their rank within the group
    plus a random per-group offset, modulo 499, so sequence codes do not all start at 001.
    Raises ValueError if more than 499 people share an area and a birth date.
    """
    area = as_area_codes(area6)
    days = np.asarray(birth).astype("datetime64[D]")
    area, days = np.broadcast_arrays(area, days)
    area, day_num = area.ravel(), days.ravel().astype(np.int64)
    n = area.size
    order = np.lexsort((day_num, area))  # stable: ties keep input order
    a, d = area[order], day_num[order]
    starts = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (d[1:] != d[:-1])])
    sizes = np.diff(np.r_[starts, n])
    if sizes.size and sizes.max() > MAX_SEQ + 1:
        raise ValueError(f"more than {MAX_SEQ + 1} people share an area code and birth date")
    group = np.repeat(np.arange(starts.size), sizes)
    rank = np.arange(n) - starts[group]
    offset = rng.integers(0, MAX_SEQ + 1, size=starts.size)
    seq = np.empty(n, dtype=np.int64)
    seq[order] = (rank + offset[group]) % (MAX_SEQ + 1)
    return seq
