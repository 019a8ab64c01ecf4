"""Dates and datetimes in every style the department exports use, over whole columns.

Styles are tried in order, each on the values no earlier style could read, with
`strict=False` so a miss is a null rather than an error; the first hit wins. Each style has a
shape regex as well as a format because chrono is lenient: "%Y%m%d" happily reads the
7-digit typo "2019063" as 2019-06-03. Distinct values are parsed once (a column of a million
dates holds a few thousand distinct days) and joined back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from zhili.hub.standardize._text import align, halfwidth

Kind = Literal["date", "datetime"]

# (style name, shape the text must have, chrono format). Order matters only between styles
# whose shapes overlap, which none of these do.
DATE_STYLES: list[tuple[str, str, str]] = [
    ("iso", r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$", "%Y-%m-%d"),
    ("slash", r"^[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}$", "%Y/%m/%d"),
    ("compact", r"^[0-9]{8}$", "%Y%m%d"),
    ("chinese", r"^[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日$", "%Y年%m月%d日"),
    ("dotted", r"^[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}$", "%Y.%m.%d"),
]
DATETIME_STYLES: list[tuple[str, str, str]] = [
    (
        "iso_t",
        r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{2}:[0-9]{2}$",
        "%Y-%m-%dT%H:%M:%S",
    ),
    (
        "iso_t_frac",
        r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{2}:[0-9]{2}\.[0-9]+$",
        "%Y-%m-%dT%H:%M:%S%.f",
    ),
    (
        "space",
        r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2}$",
        "%Y-%m-%d %H:%M:%S",
    ),
    (
        "space_frac",
        r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2}\.[0-9]+$",
        "%Y-%m-%d %H:%M:%S%.f",
    ),
    ("space_min", r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}$", "%Y-%m-%d %H:%M"),
    ("slash_min", r"^[0-9]{4}/[0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9]{2}$", "%Y/%m/%d %H:%M"),
    (
        "slash_sec",
        r"^[0-9]{4}/[0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2}$",
        "%Y/%m/%d %H:%M:%S",
    ),
    ("compact_sec", r"^[0-9]{14}$", "%Y%m%d%H%M%S"),
    ("compact_min", r"^[0-9]{12}$", "%Y%m%d%H%M"),
    ("compact_space", r"^[0-9]{8} [0-9]{1,2}:[0-9]{2}:[0-9]{2}$", "%Y%m%d %H:%M:%S"),
    (
        "chinese_min",
        r"^[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日 ?[0-9]{1,2}:[0-9]{2}$",
        "%Y年%m月%d日 %H:%M",
    ),
    (
        "chinese_sec",
        r"^[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日 ?[0-9]{1,2}:[0-9]{2}:[0-9]{2}$",
        "%Y年%m月%d日 %H:%M:%S",
    ),
    (
        "chinese_hm",
        r"^[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日 ?[0-9]{1,2}时[0-9]{1,2}分$",
        "%Y年%m月%d日 %H时%M分",
    ),
    ("dotted_min", r"^[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2} [0-9]{1,2}:[0-9]{2}$", "%Y.%m.%d %H:%M"),
]
# Excel stores dates as days since 1899-12-30 (the 1900 leap-year bug makes that the epoch
# for every date after 1900-03-01). Five digits cover 1927-05-18 .. 2173; four-digit values
# are refused, as they are far more often a bare year than a date in 1900-1927.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_SHAPE = r"^[0-9]{5}(\.[0-9]+)?$"
EXCEL = "excel"
UNPARSED = "unparsed"


@dataclass
class DateParse:
    """Parsed values (Date or Datetime), the style each value was read in (null for nulls,
    "unparsed" for text no style reads) and counts per style."""

    values: pl.Series
    style: pl.Series
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def unparsed(self) -> int:
        return self.counts.get(UNPARSED, 0)


def _clean(values: pl.Series) -> pl.Series:
    """Half-width digits and punctuation; trimmed; runs of spaces (incl. U+3000) to one space,
    which the datetime formats need between date and time; 年/月/日 lose their padding."""
    expr = halfwidth(pl.col("v")).str.strip_chars().str.replace_all(r"\s+", " ")
    expr = expr.str.replace_all(r"\s*([年月日时分])\s*", "$1")
    return pl.DataFrame({"v": values}).select(expr).to_series()


def _parse_text(distinct: pl.Series, kind: Kind) -> pl.DataFrame:
    """distinct cleaned texts -> (v, value, style): one attempt per style, each only where
    the text has that style's shape, coalesced in order (the first hit wins)."""
    target = pl.Date if kind == "date" else pl.Datetime("us")
    dates = [(*style, True) for style in DATE_STYLES]
    datetimes = [(*style, False) for style in DATETIME_STYLES]
    ordered = dates + datetimes if kind == "date" else datetimes + dates
    v = pl.col("v")
    values: list[pl.Expr] = []
    styles: list[pl.Expr] = []
    for name, shape, fmt, is_date in ordered:
        if is_date:
            parsed = v.str.to_date(fmt, strict=False)
        else:
            parsed = v.str.to_datetime(fmt, strict=False, time_unit="us")
        # Cast: a datetime style gives its date, a date style gives midnight.
        attempt = pl.when(v.str.contains(shape)).then(parsed.cast(target))
        values.append(attempt)
        styles.append(pl.when(attempt.is_not_null()).then(pl.lit(name)))
    serial = v.str.contains(EXCEL_SHAPE)
    values.append(pl.when(serial).then(_excel(v.cast(pl.Float64, strict=False), kind)))
    styles.append(pl.when(serial).then(pl.lit(EXCEL)))
    return pl.DataFrame({"v": distinct}).with_columns(
        value=pl.coalesce(values),
        style=pl.coalesce([*styles, pl.lit(UNPARSED)]),
    )


def _excel(days: pl.Expr, kind: Kind) -> pl.Expr:
    """Excel serial day numbers (fraction = time of day) to Date or Datetime."""
    micros = (days * 86_400_000_000).round(0).cast(pl.Int64)
    stamp = pl.lit(EXCEL_EPOCH).cast(pl.Datetime("us")) + pl.duration(microseconds=micros)
    return stamp.dt.date() if kind == "date" else stamp


def parse_dates(values: pl.Series, kind: Kind = "date") -> DateParse:
    """Parse a column of dates (kind="date") or datetimes (kind="datetime").

    Text in any style of DATE_STYLES or DATETIME_STYLES (date styles give midnight for
    datetimes; datetime styles give their date for dates), 5-digit Excel serial numbers, and
    columns that are already Date/Datetime (passed through) or numeric (Excel serials, or
    8-digit integers read from CSV as numbers: compact dates).
    """
    target = pl.Date if kind == "date" else pl.Datetime("us")
    name = values.name
    if values.dtype == pl.Date or isinstance(values.dtype, pl.Datetime):
        out = values.cast(target)
        style = pl.select(
            pl.when(out.is_not_null()).then(pl.lit("typed")).otherwise(pl.lit(None))
        ).to_series()
        return DateParse(out.alias(name), style.alias("style"), _counts(style))
    if values.dtype.is_integer():
        values = values.cast(pl.String)
    elif values.dtype.is_float():
        # A float cell is an Excel serial that lost its formatting; render it so that the
        # text path treats it like any other serial.
        values = pl.select(
            pl.when(values.is_not_null() & (values >= 10_000) & (values < 100_000))
            .then(values.cast(pl.String))
            .otherwise(pl.lit(None))
        ).to_series()
    elif values.dtype != pl.String:
        values = values.cast(pl.String)
    distinct = values.drop_nulls().unique()
    parsed = _parse_text(_clean(distinct), kind).with_columns(raw=distinct)
    joined = align(values, parsed, "raw")
    out = joined["value"].cast(target).alias(name)
    style = joined["style"].alias("style")
    return DateParse(out, style, _counts(style))


def _counts(style: pl.Series) -> dict[str, int]:
    counts = style.drop_nulls().value_counts()
    return {str(k): int(v) for k, v in counts.iter_rows()}


def to_date(values: pl.Series) -> pl.Series:
    """Just the parsed Date column."""
    return parse_dates(values, "date").values


def to_datetime(values: pl.Series) -> pl.Series:
    """Just the parsed Datetime column."""
    return parse_dates(values, "datetime").values
