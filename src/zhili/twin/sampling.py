"""Sampling helpers shared by the world and the sources."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.text import text


def pick_in_groups(
    group_of_value: pl.Series | np.ndarray,
    values: pl.Series | np.ndarray,
    groups: pl.Series | np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """For each entry of `groups`, a random value whose group matches (None if none does).
    Groups are compared as strings, through integer codes so millions of rows sort fast."""

    def as_text(x: pl.Series | np.ndarray) -> pl.Series:
        return x.cast(pl.Utf8) if isinstance(x, pl.Series) else text(np.asarray(x, dtype=object))

    # Nulls match nothing: they get placeholders that differ between the two sides.
    own_s = as_text(group_of_value).fill_null("\x00own")
    want_s = as_text(groups).fill_null("\x00want")
    code = pl.concat([own_s, want_s]).cast(pl.Categorical).to_physical()
    code = code.to_numpy().astype(np.int64)
    own, want = code[: own_s.len()], code[own_s.len() :]
    order = np.argsort(own, kind="stable")
    keys = own[order]
    lo = np.searchsorted(keys, want, "left")
    hi = np.searchsorted(keys, want, "right")
    pick = lo + (rng.random(want.size) * np.maximum(hi - lo, 1)).astype(np.int64)
    vals = values.to_numpy() if isinstance(values, pl.Series) else np.asarray(values, dtype=object)
    out = vals[order][np.minimum(pick, max(keys.size - 1, 0))].astype(object)
    return np.where(hi > lo, out, None)
