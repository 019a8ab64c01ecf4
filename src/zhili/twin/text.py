"""Strings from numpy: object arrays (with None for missing) become polars Utf8 series."""

from __future__ import annotations

import numpy as np
import polars as pl


def text(values: np.ndarray | list, name: str = "") -> pl.Series:
    seq = values.tolist() if isinstance(values, np.ndarray) else values
    return pl.Series(name, seq, dtype=pl.Utf8)
