"""The errors real department data carries, applied at stated rates to the rows a system holds.

Each function changes only a random subset of rows (Python loops touch just those), so
millions of clean rows cost nothing. Rates are per system: a legacy register is messier
than the telecom operator's real-name check.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.identifiers import resident_id
from zhili.twin.names import HOMOPHONES, TRADITIONAL
from zhili.twin.text import text

_FULLWIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}
_CN_NUM = "〇一二三四五六七八九十"
# Village groups (组) in Chinese numerals: 3 → 三, 12 → 十二.
_GROUP_NUMERALS = {g: _CN_NUM[g] if g <= 10 else f"十{_CN_NUM[g - 10]}" for g in range(20)}


def _pick(
    rng: np.random.Generator, n: int, rate: float, eligible: np.ndarray | None = None
) -> np.ndarray:
    hit = rng.random(n) < rate
    if eligible is not None:
        hit &= eligible
    return np.flatnonzero(hit)


def _apply(values: pl.Series, idx: np.ndarray, fn) -> pl.Series:
    if idx.size == 0:
        return values
    arr = values.to_numpy().astype(object).copy()
    for i in idx:
        if arr[i] is not None:
            arr[i] = fn(arr[i])
    return text(arr, values.name)


def names(
    values: pl.Series,
    rng: np.random.Generator,
    homophone: float = 0.01,
    traditional: float = 0.0,
    spaced: float = 0.0,
) -> pl.Series:
    """Same-sound characters (张伟/章伟), traditional forms (張偉), stray spaces ("张 伟")."""
    n = values.len()

    def swap(s: str) -> str:
        pos = [i for i, c in enumerate(s) if c in HOMOPHONES]
        if not pos:
            return s
        i = pos[int(rng.integers(0, len(pos)))]
        return s[:i] + HOMOPHONES[s[i]] + s[i + 1 :]

    values = _apply(values, _pick(rng, n, homophone), swap)
    values = _apply(
        values, _pick(rng, n, traditional), lambda s: "".join(TRADITIONAL.get(c, c) for c in s)
    )
    values = _apply(
        values,
        _pick(rng, n, spaced),
        lambda s: s[0] + rng.choice([" ", "\u3000"]) + s[1:] if len(s) > 1 else s,
    )
    return values


def id_numbers(
    values: pl.Series,
    rng: np.random.Generator,
    birth_year: np.ndarray | None = None,
    swap: float = 0.0,
    digit: float = 0.0,
    missing: float = 0.0,
    old15: float = 0.0,
    lower_x: float = 1.0,
) -> pl.Series:
    """Swapped adjacent digits, a wrong digit, blanks, old 15-digit numbers (only for people
    old enough to have had one) and the lower-case x that many forms keep."""
    n = values.len()

    def swap_two(s: str) -> str:
        i = int(rng.integers(6, 16))
        return (
            s[:i] + s[i + 1] + s[i] + s[i + 2 :]
            if s[i] != s[i + 1]
            else s[:i] + str((int(s[i]) + 1) % 10) + s[i + 1 :]
        )

    def wrong_digit(s: str) -> str:
        i = int(rng.integers(0, 17))
        return s[:i] + str((int(s[i]) + int(rng.integers(1, 10))) % 10) + s[i + 1 :]

    is_id = values.str.contains(r"^\d{17}[\dXx]$").fill_null(False).to_numpy()
    eligible_15 = is_id & (birth_year < 1985) if birth_year is not None else None
    values = _apply(values, _pick(rng, n, old15, eligible_15), resident_id.downgrade_to_15)
    # Only resident ids (17 digits + check): a column may also hold credit codes.
    long = values.str.contains(r"^\d{17}[\dXx]$").fill_null(False).to_numpy()
    values = _apply(values, _pick(rng, n, swap, long), swap_two)
    values = _apply(values, _pick(rng, n, digit, long), wrong_digit)
    if lower_x:
        values = _apply(
            values, _pick(rng, n, lower_x, values.str.ends_with("X").to_numpy()), str.lower
        )
    return blank(values, rng, missing)


def blank(values: pl.Series, rng: np.random.Generator, rate: float) -> pl.Series:
    idx = _pick(rng, values.len(), rate)
    if idx.size == 0:
        return values
    mask = np.zeros(values.len(), dtype=bool)
    mask[idx] = True
    return pl.select(
        pl.when(pl.Series(mask)).then(None).otherwise(values).alias(values.name)
    ).to_series()


def phones(
    values: pl.Series, rng: np.random.Generator, styles: dict[str, float], missing: float = 0.0
) -> pl.Series:
    """Write numbers in a system's habits: plain, "+86 138-0013-8000", "138 0013 8000", ..."""
    n = values.len()
    keys = list(styles)
    p = np.array([styles[k] for k in keys], dtype=float)
    style = np.array(keys)[rng.choice(len(keys), n, p=p / p.sum())]
    fmt = {
        "plain": lambda s: s,
        "intl": lambda s: f"+86 {s[:3]}-{s[3:7]}-{s[7:]}",
        "spaced": lambda s: f"{s[:3]} {s[3:7]} {s[7:]}",
        "dashed": lambda s: f"{s[:3]}-{s[3:7]}-{s[7:]}",
        "prefixed": lambda s: f"86{s}",
        "fullwidth": lambda s: s.translate(_FULLWIDTH),
    }
    for k in keys:
        if k != "plain":
            values = _apply(values, np.flatnonzero(style == k), fmt[k])
    return blank(values, rng, missing)


def dates(values: pl.Series, style: str) -> pl.Series:
    """A system's one date habit: iso, slash, compact, chinese, dotted."""
    fmt = {
        "iso": "%Y-%m-%d",
        "slash": "%Y/%m/%d",
        "compact": "%Y%m%d",
        "chinese": "%Y年%m月%d日",
        "dotted": "%Y.%m.%d",
    }[style]
    return values.cast(pl.Date).dt.strftime(fmt)


def datetimes(values: pl.Series, style: str) -> pl.Series:
    fmt = {
        "iso": "%Y-%m-%dT%H:%M:%S",
        "space": "%Y-%m-%d %H:%M:%S",
        "slash": "%Y/%m/%d %H:%M",
        "compact": "%Y%m%d%H%M%S",
    }[style]
    return values.cast(pl.Datetime).dt.strftime(fmt)


def addresses(
    houses: pl.DataFrame, rng: np.random.Generator, styles: dict[str, float]
) -> pl.Series:
    """One address in many forms, as clerks and residents write it:
    full      杭州市余杭区良渚街道谢村村昌运里5幢2单元301室
    town      良渚街道谢村村昌运里5幢2单元301室
    short     良渚昌运里5-2-301
    district  余杭区良渚街道昌运里5幢2单元301
    For village houses the short form drops 村 and writes the group in Chinese numerals
    (良渚谢村三组56号) and the district form keeps the pre-2001 town name (良渚镇谢村村3组56号).
    """
    n = houses.height
    keys = list(styles)
    p = np.array([styles[k] for k in keys], dtype=float)
    style = np.array(keys)[rng.choice(len(keys), n, p=p / p.sum())]
    town_short = houses["town_name"].str.replace("街道$", "").str.replace("镇$", "")
    vh = houses["kind"] == "village_house"
    grp = houses["group"].fill_null(0).cast(pl.Int64)
    grp_cn = grp.replace_strict(_GROUP_NUMERALS, default=grp.cast(pl.Utf8), return_dtype=pl.Utf8)
    df = houses.select(
        full="address",
        town=pl.col("address").str.replace("^杭州市余杭区", ""),
        short=pl.when(vh)
        .then(
            pl.concat_str(
                [
                    town_short,
                    houses["village_name"].str.replace("村$", ""),
                    grp_cn,
                    pl.lit("组"),
                    houses["number"].cast(pl.Utf8),
                    pl.lit("号"),
                ]
            )
        )
        .otherwise(
            pl.concat_str(
                [
                    town_short,
                    houses["compound_name"],
                    houses["building_no"].cast(pl.Utf8),
                    pl.lit("-"),
                    houses["unit"].cast(pl.Utf8),
                    pl.lit("-"),
                    houses["room"].cast(pl.Utf8),
                ]
            )
        ),
        district=pl.when(vh)
        .then(
            pl.concat_str(
                [
                    pl.lit("余杭区"),
                    town_short,
                    pl.lit("镇"),
                    houses["village_name"],
                    houses["group"].cast(pl.Utf8),
                    pl.lit("组"),
                    houses["number"].cast(pl.Utf8),
                    pl.lit("号"),
                ]
            )
        )
        .otherwise(
            pl.concat_str(
                [
                    pl.lit("余杭区"),
                    houses["town_name"],
                    houses["compound_name"],
                    houses["building_no"].cast(pl.Utf8),
                    pl.lit("幢"),
                    houses["unit"].cast(pl.Utf8),
                    pl.lit("单元"),
                    houses["room"].cast(pl.Utf8),
                ]
            )
        ),
    )
    out = df["full"].to_numpy().astype(object)
    for k in keys:
        idx = np.flatnonzero(style == k)
        out[idx] = df[k].to_numpy()[idx]
    return pl.Series("address", out, dtype=pl.Utf8)


def duplicates(df: pl.DataFrame, rng: np.random.Generator, rate: float) -> pl.DataFrame:
    """Re-keyed records: the same entity entered twice, under a new record id."""
    idx = _pick(rng, df.height, rate)
    if idx.size == 0:
        return df
    dup = df[idx].with_columns(pl.format("{}-D", pl.col("record_id")).alias("record_id"))
    return pl.concat([df, dup])
