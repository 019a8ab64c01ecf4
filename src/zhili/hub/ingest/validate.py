"""Row validation against a table's contract, vectorised: every check is one polars expression
over the whole column (a cast, a regular expression, `strptime(strict=False)` compared with
the nulls it produces), so a million rows cost a few column scans, not a million Python calls.

A row is good when every check passes. Bad rows carry `_reason`: every failed check in field
order, e.g. "CSRQ: '19851340' is not a date in %Y%m%d; XB: '3' is not an allowed code (1, 2)".
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from zhili.hub.contracts.schema import FieldSpec, TableSpec
from zhili.hub.ingest.readers import FIELDS, ROW

REASON = "_reason"
_SHOW = 60  # characters of a bad value quoted in a reason
_MAX_CODES_SHOWN = 8


@dataclass
class Checked:
    good: pl.DataFrame
    bad: pl.DataFrame  # the same columns, plus _reason
    problems: dict[str, int]  # "CSRQ: not a date" -> rows


@dataclass(frozen=True)
class _Check:
    label: str  # short, for counts: "CSRQ: not a date"
    bad: pl.Expr  # True where the row fails
    reason: pl.Expr  # the message for a failing row


def _quoted(name: str) -> pl.Expr:
    return pl.concat_str([pl.lit("'"), pl.col(name).str.slice(0, _SHOW), pl.lit("'")])


def _message(name: str, text: str) -> pl.Expr:
    """The message <name>: '<value>' <text>, the value cut to _SHOW characters."""
    return pl.concat_str([pl.lit(f"{name}: "), _quoted(name), pl.lit(f" {text}")])


def blank(name: str) -> pl.Expr:
    """Missing: null, empty or only white space."""
    col = pl.col(name)
    return col.is_null() | col.str.contains(r"^\s*$")


def parse_date(f: FieldSpec, strict_shape: bool = True) -> pl.Expr:
    """The field parsed with its formats (the first that fits), null where none does. With
    `strict_shape`, a value must also have the exact shape of the format (polars alone takes
    '2019-6-3' for %Y-%m-%d and ' 20190603' for %Y%m%d)."""
    dtype = pl.Date if f.type == "date" else pl.Datetime("us")
    parsed = []
    for fmt in f.formats:
        p = pl.col(f.name).str.strptime(dtype, fmt, strict=False, exact=True)
        if strict_shape:
            p = pl.when(pl.col(f.name).str.contains(f.date_regex(fmt))).then(p)
        parsed.append(p)
    return parsed[0] if len(parsed) == 1 else pl.coalesce(parsed)


def typed(f: FieldSpec) -> pl.Expr:
    """The field as its declared type (for reading landed rows, which all passed)."""
    col = pl.col(f.name)
    if f.type == "int":
        return col.cast(pl.Int64, strict=False)
    if f.type == "float":
        return col.cast(pl.Float64, strict=False)
    if f.type in ("date", "datetime"):
        return parse_date(f, strict_shape=False).alias(f.name)
    if f.type == "bool":
        return col.replace_strict(f.codes or {}, default=None, return_dtype=pl.Boolean)
    return col


def _checks(table: TableSpec, columns: set[str]) -> list[_Check]:
    out: list[_Check] = []
    for f in table.fields.values():
        if f.name not in columns:
            continue
        col = pl.col(f.name)
        missing = blank(f.name)
        present = ~missing
        if f.required:
            out.append(
                _Check(f"{f.name}: missing", missing, pl.lit(f"{f.name}: required value missing"))
            )
        if f.type == "int":
            bad = present & col.cast(pl.Int64, strict=False).is_null()
            out.append(_Check(f"{f.name}: not an int", bad, _message(f.name, "is not an int")))
        elif f.type == "float":
            bad = present & col.cast(pl.Float64, strict=False).is_null()
            out.append(_Check(f"{f.name}: not a number", bad, _message(f.name, "is not a number")))
        elif f.type in ("date", "datetime"):
            bad = present & parse_date(f).is_null()
            kind = "a date" if f.type == "date" else "a date and time"
            text = f"is not {kind} in {' or '.join(f.formats)}"
            out.append(_Check(f"{f.name}: not {kind}", bad, _message(f.name, text)))
        if f.codes is not None:
            codes = list(f.codes)
            bad = present & ~col.is_in(codes)
            shown = ", ".join(codes[:_MAX_CODES_SHOWN]) + (
                ", ..." if len(codes) > _MAX_CODES_SHOWN else ""
            )
            what = "a yes/no value" if f.type == "bool" else "an allowed code"
            out.append(
                _Check(
                    f"{f.name}: unknown code",
                    bad,
                    _message(f.name, f"is not {what} ({shown})"),
                )
            )
        if f.pattern is not None:
            bad = present & ~col.str.contains(f"^(?:{f.pattern})$")
            out.append(
                _Check(
                    f"{f.name}: pattern",
                    bad,
                    _message(f.name, f"does not match {f.pattern}"),
                )
            )
    return out


def check(frame: pl.DataFrame, table: TableSpec, header_width: int | None = None) -> Checked:
    """Split `frame` (all text, with _row) into good and bad rows. `header_width` is the
    number of columns the file has (for rows that have another number of fields)."""
    checks = _checks(table, set(frame.columns))
    if FIELDS in frame.columns:
        width = header_width or frame.width - 2  # without _row and _fields
        out = pl.col(FIELDS) != width
        reason = pl.concat_str(
            [
                pl.lit("row has "),
                pl.col(FIELDS).cast(pl.String),
                pl.lit(f" fields, the header {width}"),
            ]
        )
        checks.insert(0, _Check("row: wrong number of fields", out, reason))
    key = table.key
    if key in frame.columns:
        # A key seen before in this batch: the later rows are duplicates.
        dup = pl.col(key).is_not_null() & ~pl.col(key).is_first_distinct()
        checks.append(_Check(f"{key}: duplicate key", dup, pl.lit(None, pl.String)))
    if not checks or frame.height == 0:
        return Checked(frame, frame.clear().with_columns(pl.lit(None, pl.String).alias(REASON)), {})
    names = [f"__check{i}" for i in range(len(checks))]
    masks = frame.select(
        c.bad.fill_null(False).alias(n) for c, n in zip(checks, names, strict=True)
    )
    counts = masks.sum().row(0)
    problems = {c.label: int(k) for c, k in zip(checks, counts, strict=True) if k}
    if not problems:
        return Checked(frame, frame.clear().with_columns(pl.lit(None, pl.String).alias(REASON)), {})
    any_bad = masks.select(pl.any_horizontal(pl.all())).to_series()
    failing = [i for i, k in enumerate(counts) if k]
    bad_rows = pl.concat([frame, masks.select(names[i] for i in failing)], how="horizontal")
    bad_rows = bad_rows.filter(any_bad)
    # Duplicate keys name the first row: compute over the whole frame, not the bad subset.
    reasons = []
    for i in failing:
        c = checks[i]
        if c.label == f"{key}: duplicate key":
            firsts = frame.select(pl.col(ROW).min().over(key).alias("__first")).filter(any_bad)
            bad_rows = bad_rows.with_columns(firsts)
            r = pl.concat_str(
                [
                    _message(key, "is a duplicate key (first at row "),
                    pl.col("__first").cast(pl.String),
                    pl.lit(")"),
                ]
            )
        else:
            r = c.reason
        reasons.append(pl.when(pl.col(names[i])).then(r))
    bad = bad_rows.select(
        *frame.columns, pl.concat_str(reasons, separator="; ", ignore_nulls=True).alias(REASON)
    )
    return Checked(frame.filter(~any_bad), bad, problems)
