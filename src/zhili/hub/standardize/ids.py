"""Identifiers over whole columns: resident ids, credit codes, phones and plates.

Each `standardize_*` takes a polars Series and returns a DataFrame, one row per input row:

  original  the input as text (integers as their digits; null stays null)
  value     the standardized identifier (see each function for invalid rows)
  valid     True when `value` passed every check
  reason    why not (the scalar validator's words), "missing" for null input, else null

The common case runs as polars string expressions and NumPy arithmetic on a byte matrix;
only rows the fast path does not accept go through the scalar validators of
`zhili.identifiers`, once per distinct value. The fast path accepts a row only when the
scalar validator would accept it with the same result, which the tests check property-wise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

import numpy as np
import polars as pl

from zhili.hub.standardize._text import align, as_text, ascii_matrix, tidy
from zhili.identifiers import credit_code, phone, plate, resident_id

IdKind = Literal["resident_id", "credit_code", "phone", "plate"]
Validator = Callable[[object], tuple[str | None, str | None]]
Normalizer = Callable[[object], str | None]

MISSING = "missing"
NOT_TEXT = "not text"

_RID_W = np.array(resident_id.WEIGHTS, dtype=np.int64)
_RID_CHECK = np.frombuffer(resident_id.CHECK_CHARS.encode("ascii"), dtype=np.uint8)
_PROVINCE_OK = np.zeros(100, dtype=bool)
_PROVINCE_OK[[int(p) for p in resident_id.PROVINCE_PREFIXES]] = True
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)

# Credit-code symbol values by byte; -1 marks a byte outside the 31-symbol alphabet.
_CC_VALUE = np.full(256, -1, dtype=np.int64)
_CC_ORG = np.zeros(256, dtype=np.int64)
for _c, _v in credit_code.VALUE.items():
    _CC_VALUE[ord(_c)] = _v
    _CC_ORG[ord(_c)] = credit_code._org_value(_c)
_CC_W = np.array(credit_code.WEIGHTS, dtype=np.int64)
_CC_ORG_W = np.array(credit_code.ORG_WEIGHTS, dtype=np.int64)
_CC_ALPHA = np.frombuffer(credit_code.ALPHABET.encode("ascii"), dtype=np.uint8)
# The GB 32100 alphabet as a regex class: digits and capitals without I, O, S, V, Z.
_CC_CLASS = "[0-9A-HJ-NP-RTUW-Y]"
_PLATE_CHAR = "[0-9A-HJ-NP-Z]"  # plate letters never include I or O
_PLATE_LETTER = "[A-HJ-NP-Z]"


def _empty_result() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"original": pl.String, "value": pl.String, "valid": pl.Boolean, "reason": pl.String}
    )


def _fallback(
    frame: pl.DataFrame, validate: Validator, normalize: Normalizer, keep_invalid_value: bool
) -> pl.DataFrame:
    """Settle the rows the fast path left open (`valid` null) with the scalar validator.

    Each distinct original is validated once: errors repeat (the same mistyped number appears
    in several registers), and null originals never reach Python at all.
    """
    is_open = (frame["valid"].is_null() & frame["original"].is_not_null()).fill_null(False)
    if is_open.any():
        where = is_open.arg_true()
        open_text = frame["original"].gather(where)
        rows = []
        for text in open_text.unique().to_list():
            value, reason = validate(text)
            if value is None and keep_invalid_value:
                value = normalize(text)
            rows.append((text, value, value is not None and reason is None, reason))
        settled = pl.DataFrame(
            rows,
            schema={
                "original": pl.String,
                "value": pl.String,
                "valid": pl.Boolean,
                "reason": pl.String,
            },
            orient="row",
        )
        # Only the open rows are looked up and written back: they are few, the column is not.
        got = align(open_text, settled, "original")
        frame = frame.with_columns(
            value=frame["value"].scatter(where, got["value"]),
            valid=frame["valid"].scatter(where, got["valid"]),
            reason=frame["reason"].scatter(where, got["reason"]),
        )
    return frame.with_columns(
        value=pl.when(pl.col("original").is_null()).then(None).otherwise("value"),
        reason=pl.when(pl.col("original").is_null()).then(pl.lit(MISSING)).otherwise("reason"),
        valid=pl.col("valid").fill_null(False),
    )


def _not_text_reason(values: pl.Series, frame: pl.DataFrame) -> pl.DataFrame:
    """Floats and other non-text cells: null value with reason "not text" instead of "missing"
    (their digits were probably already rounded away by the spreadsheet)."""
    if values.dtype == pl.String or values.dtype.is_integer() or values.dtype == pl.Null:
        return frame
    present = values.is_not_null()
    return frame.with_columns(reason=pl.when(present).then(pl.lit(NOT_TEXT)).otherwise("reason"))


# --- resident ids ---------------------------------------------------------------------------


def _birth_ok(mat: np.ndarray) -> np.ndarray:
    """Valid calendar date YYYYMMDD in columns 6..13, between 1900-01-01 and today."""
    d = mat[:, 6:14].astype(np.int64) - 48
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    dim = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ymd = year * 10000 + month * 100 + day
    today = dt.date.today()
    # Same bounds as resident_id._birth: EARLIEST_BIRTH .. today.
    lo = resident_id.EARLIEST_BIRTH
    return (
        month_ok
        & (day >= 1)
        & (day <= dim)
        & (ymd >= lo.year * 10000 + lo.month * 100 + lo.day)
        & (ymd <= today.year * 10000 + today.month * 100 + today.day)
    )


def _rid_fast(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(check characters as bytes, area-and-birth ok) for rows of 17+ ASCII digits."""
    digits = mat[:, :17].astype(np.int64) - 48
    check = _RID_CHECK[(digits @ _RID_W) % 11]
    ok = _PROVINCE_OK[digits[:, 0] * 10 + digits[:, 1]] & _birth_ok(mat)
    return check, ok


def standardize_resident_ids(values: pl.Series) -> pl.DataFrame:
    """Resident ids to 18 characters with an upper-case X and a valid check character.

    15-digit numbers are upgraded (`resident_id.upgrade_15`); the extra `upgraded` column
    says so. Invalid numbers keep their cleaned text in `value` (half-width, no spaces,
    upper-case, upgraded when 15 digits) because fusion still compares them: a swapped pair
    of digits is a typo, not a different person.
    """
    text = as_text(values).alias("original")
    if text.len() == 0:
        return _empty_result().with_columns(upgraded=pl.lit(False))
    frame = pl.DataFrame(text).with_columns(value=tidy(text).str.to_uppercase())
    n = frame.height
    long = frame["value"].str.contains(r"^[0-9]{17}[0-9X]$").fill_null(False).to_numpy()
    short = frame["value"].str.contains(r"^[0-9]{15}$").fill_null(False).to_numpy()
    ok = np.zeros(n, dtype=bool)

    idx = np.flatnonzero(long)
    mat = ascii_matrix(frame["value"].gather(idx), 18)
    check, fine = _rid_fast(mat)
    ok[idx] = fine & (check == mat[:, 17])

    # Old 15-digit numbers: insert the century, append the check character (few rows).
    idx15 = np.flatnonzero(short)
    value = frame["value"]
    if idx15.size:
        old = value.gather(idx15)
        first17 = pl.select(
            pl.concat_str([old.str.slice(0, 6), pl.lit("19"), old.str.slice(6)])
        ).to_series()
        check15, fine15 = _rid_fast(ascii_matrix(first17, 17))
        chars = pl.Series(np.frombuffer(check15.tobytes(), dtype="S1").astype("U1"))
        value = value.scatter(idx15, pl.select(pl.concat_str([first17, chars])).to_series())
        ok[idx15] = fine15

    frame = frame.with_columns(
        value=value,
        # Null = undecided: the scalar validator settles these rows and gives the reason.
        valid=pl.when(pl.Series(ok)).then(pl.lit(True)),
        reason=pl.lit(None, dtype=pl.String),
        upgraded=pl.Series(short),
    )
    out = _fallback(frame, resident_id.validate, resident_id.normalize, keep_invalid_value=True)
    return _not_text_reason(values, out)


# --- credit codes ---------------------------------------------------------------------------


def standardize_credit_codes(values: pl.Series, check_org_code: bool = True) -> pl.DataFrame:
    """Unified social credit codes: half-width, upper-case, no spaces or hyphens, both check
    characters verified (`check_org_code=False` skips the embedded GB 11714 check, as the
    scalar validator allows). Invalid codes keep their cleaned text in `value`."""
    text = as_text(values).alias("original")
    if text.len() == 0:
        return _empty_result()
    clean = tidy(text).str.replace_all("-", "", literal=True).str.to_uppercase()
    frame = pl.DataFrame(text).with_columns(value=clean)
    authority = "[" + "".join(sorted(credit_code.AUTHORITIES)) + "]"
    shape = frame["value"].str.contains(f"^{authority}{_CC_CLASS}[0-9]{{6}}{_CC_CLASS}{{10}}$")
    idx = np.flatnonzero(shape.fill_null(False).to_numpy())
    mat = ascii_matrix(frame["value"].gather(idx), 18)
    sym = _CC_VALUE[mat[:, :17]]
    total = sym @ _CC_W
    ok = _CC_ALPHA[(31 - total % 31) % 31] == mat[:, 17]
    if check_org_code:
        c9 = 11 - (_CC_ORG[mat[:, 8:16]] @ _CC_ORG_W) % 11
        org = np.where(c9 == 10, ord("X"), np.where(c9 == 11, ord("0"), c9 + 48))
        ok &= org == mat[:, 16]
    decided = np.zeros(frame.height, dtype=bool)
    decided[idx[ok]] = True
    frame = frame.with_columns(
        valid=pl.when(pl.Series(decided)).then(pl.lit(True)),
        reason=pl.lit(None, dtype=pl.String),
    ).select("original", "value", "valid", "reason")

    def validate(s: object) -> tuple[str | None, str | None]:
        return credit_code.validate(s, check_org_code=check_org_code)

    out = _fallback(frame, validate, credit_code.normalize, keep_invalid_value=True)
    return _not_text_reason(values, out)


# --- phones ---------------------------------------------------------------------------------


def standardize_phones(values: pl.Series) -> pl.DataFrame:
    """Phones to an 11-digit mobile or a "0571-xxxxxxxx" Hangzhou landline; anything else
    gets a null `value` and the reason. `kind` is "mobile", "landline" or null.

    Fast path: after removing spaces and separators, an optional +86/0086/86 and 11 digits
    starting with 1 whose prefix a carrier uses. Everything else (landlines, doubled prefixes,
    trunk zeros, garbage) goes through `phone.validate_any`.
    """
    text = as_text(values).alias("original")
    if text.len() == 0:
        return _empty_result().with_columns(kind=pl.lit(None, dtype=pl.String))
    clean = pl.lit(tidy(text)).str.replace_all(r"[-.()/]", "")
    mobile = clean.str.extract(r"^(?:\+86|0086|86)?(1[0-9]{10})$", 1)
    frame = pl.DataFrame(text).with_columns(_m=mobile)
    known = frame["_m"].str.slice(0, 3).is_in(sorted(phone.CARRIER_OF_PREFIX)).fill_null(False)
    frame = frame.with_columns(
        value=pl.when(known).then("_m"),
        valid=pl.when(known).then(pl.lit(True)),
        reason=pl.lit(None, dtype=pl.String),
    ).select("original", "value", "valid", "reason")
    out = _fallback(frame, phone.validate_any, phone.normalize, keep_invalid_value=False)
    out = out.with_columns(
        kind=pl.when(pl.col("value").str.starts_with(phone.HANGZHOU_AREA_CODE + "-"))
        .then(pl.lit("landline"))
        .when(pl.col("value").is_not_null())
        .then(pl.lit("mobile"))
    )
    return _not_text_reason(values, out)


# --- plates ---------------------------------------------------------------------------------


def standardize_plates(values: pl.Series) -> pl.DataFrame:
    """Hangzhou plates: half-width, upper-case, no spaces or dot separators ("浙a·b1234" ->
    "浙AB1234"). Invalid plates keep their cleaned text in `value`."""
    text = as_text(values).alias("original")
    if text.len() == 0:
        return _empty_result()
    clean = tidy(text).str.replace_all(r"[·•・‧∙.\-]", "").str.to_uppercase()
    frame = pl.DataFrame(text).with_columns(value=clean)
    v = pl.col("value")
    letters = v.str.count_matches(_PLATE_LETTER) - 1  # the "A" of 浙A is not the plate's own
    ordinary = v.str.contains(f"^浙A{_PLATE_CHAR}{{5}}$") & (letters <= 2)
    trailer = v.str.contains(f"^浙A{_PLATE_CHAR}{{4}}挂$") & (letters <= 2)
    small_nev = v.str.contains(f"^浙A[DF]{_PLATE_CHAR}[0-9]{{4}}$")
    large_nev = v.str.contains("^浙A[0-9]{5}[DF]$")
    frame = frame.with_columns(
        valid=pl.when(ordinary | trailer | small_nev | large_nev).then(pl.lit(True)),
        reason=pl.lit(None, dtype=pl.String),
    ).select("original", "value", "valid", "reason")
    out = _fallback(frame, plate.validate, plate.normalize, keep_invalid_value=True)
    return _not_text_reason(values, out)


_STANDARDIZERS: dict[str, Callable[[pl.Series], pl.DataFrame]] = {
    "resident_id": standardize_resident_ids,
    "credit_code": standardize_credit_codes,
    "phone": standardize_phones,
    "plate": standardize_plates,
}


def standardize_ids(values: pl.Series, kind: IdKind) -> pl.DataFrame:
    """Dispatch on the identifier kind: "resident_id", "credit_code", "phone" or "plate"."""
    if kind not in _STANDARDIZERS:
        raise ValueError(f"unknown identifier kind {kind!r}; use one of {sorted(_STANDARDIZERS)}")
    return _STANDARDIZERS[kind](values)
