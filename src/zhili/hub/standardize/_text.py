"""Text clean-up shared by the standardizers, as polars expressions.

Each mirrors a scalar helper of `zhili.identifiers._common`, so that the vectorised and the
scalar paths agree character for character on everything the fast path accepts.
"""

from __future__ import annotations

import numpy as np
import polars as pl

# Full-width ASCII (U+FF01..U+FF5E) -> ASCII, as `_common.to_halfwidth` does. The ideographic
# space and invisible characters become plain spaces there; here they go straight to a space
# too, and `strip_spaces` then drops them with the other whitespace.
_FULLWIDTH = [chr(cp) for cp in range(0xFF01, 0xFF5F)]
_HALFWIDTH = [chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)]
_INVISIBLE = ["\u3000", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0"]
_FROM = _FULLWIDTH + _INVISIBLE
_TO = _HALFWIDTH + [" "] * len(_INVISIBLE)
# Python's str.isspace() is Unicode White_Space (Rust's \s) plus the four ASCII information
# separators \x1c-\x1f; both must go for the fast path to match `_common.remove_chars`.
SPACE_CLASS = r"[\s\x1c-\x1f]"
_NON_ASCII_WIDE = r"[\uff01-\uff5e\u3000\u200b-\u200d\u2060\ufeff\u00a0]"


def halfwidth(expr: pl.Expr) -> pl.Expr:
    """Full-width letters, digits and punctuation to ASCII; odd spaces to a plain space.

    Only rows holding such a character pay for the multi-pattern replace (most hold none).
    """
    return (
        pl.when(expr.str.contains(_NON_ASCII_WIDE))
        .then(expr.str.replace_many(_FROM, _TO))
        .otherwise(expr)
    )


# Anything `tidy` would change: whitespace, full-width ASCII, invisible characters.
_UNTIDY = r"[\s\x1c-\x1f\uff01-\uff5e\u200b-\u200d\u2060\ufeff]"


def tidy(values: pl.Series) -> pl.Series:
    """`strip_spaces(halfwidth(...))` on a Series, run only on the rows that need it.

    Most cells hold neither spaces nor full-width characters, and a `when/then` would still
    evaluate the replacements on every row; filtering and scattering back does not.
    """
    values = values.cast(pl.String)
    mask = values.str.contains(_UNTIDY).fill_null(False)
    if not mask.any():
        return values
    subset = pl.DataFrame({"v": values.filter(mask)})
    fixed = subset.select(strip_spaces(pl.col("v").str.replace_many(_FROM, _TO))).to_series()
    return values.scatter(mask.arg_true(), fixed)


def strip_spaces(expr: pl.Expr) -> pl.Expr:
    """Drop every whitespace character (after `halfwidth`, that includes U+3000)."""
    return expr.str.replace_all(SPACE_CLASS, "")


def as_text(values: pl.Series) -> pl.Series:
    """A column as text: integers become their digits (spreadsheets turn digit-only identifiers
    into numbers); floats and other types become null, as `_common.as_text` refuses them."""
    if values.dtype == pl.String:
        return values
    if values.dtype == pl.Null:
        return values.cast(pl.String)
    if values.dtype.is_integer():
        return values.cast(pl.String)
    if values.dtype == pl.Categorical or values.dtype == pl.Enum:
        return values.cast(pl.String)
    return pl.Series(values.name, [None] * values.len(), dtype=pl.String)


def ascii_matrix(values: pl.Series, width: int) -> np.ndarray:
    """(n, width) uint8 matrix of n ASCII strings that all have exactly `width` characters.

    One Rust-side join and one buffer view instead of n Python objects: the check-digit
    arithmetic then runs as NumPy matrix products.
    """
    if values.len() == 0:
        return np.zeros((0, width), dtype=np.uint8)
    joined = values.str.join("").item()
    return np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, width)


def align(values: pl.Series, table: pl.DataFrame, key: str) -> pl.DataFrame:
    """The rows of `table` (one per distinct non-null `key`) in the order of `values`, with
    all-null rows where a value is null or missing from the table.

    Standardizers work once per distinct value and then spread the results back over the
    column. Joining on the strings themselves costs more than the parsing; joining on their
    64-bit hashes is several times cheaper. A hash collision would show as a row whose key
    differs from the value (or as extra rows), so that is checked, and the exact string join
    runs instead in that (astronomically rare) case.
    """
    right = table.select(pl.col(key).hash().alias("_h")).with_row_index("_j")
    left = pl.DataFrame({"_h": values.hash()})
    idx = left.join(right, on="_h", how="left", maintain_order="left")["_j"]
    if idx.len() == values.len():
        # One chunk first: gathering from a chunked frame (after a concat) is ~4x slower.
        out = table.rechunk()[idx]
        if out[key].eq_missing(values.cast(out.schema[key])).all():
            return out
    frame = pl.DataFrame({key: values})
    return frame.join(table, on=key, how="left", maintain_order="left").select(table.columns)
