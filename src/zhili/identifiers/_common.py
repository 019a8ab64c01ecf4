"""Helpers shared by the identifier modules: text clean-up and vectorised string building."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Full-width ASCII (U+FF01..U+FF5E) maps to ASCII by a fixed offset; the ideographic space
# (U+3000) becomes a plain space. Department spreadsheets typed with a Chinese IME are full of
# these, so every normaliser starts here.
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20
# Invisible characters that survive copy-paste from web pages and Excel.
for _cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00A0):
    _HALFWIDTH[_cp] = 0x20


def to_halfwidth(s: str) -> str:
    """Full-width letters/digits/punctuation to ASCII; zero-width and NBSP to plain spaces."""
    return s.translate(_HALFWIDTH)


def as_text(s: object) -> str | None:
    """Coerce a dirty cell to text; None for values that cannot hold an identifier.

    Integers are accepted because spreadsheets turn digit-only identifiers into numbers;
    floats are refused because by then the trailing digits are usually already lost.
    """
    if isinstance(s, str):
        return s
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        return str(int(s))
    return None


def remove_chars(s: str, chars: str) -> str:
    """Drop every character in `chars` (and all whitespace) from `s`."""
    return "".join(c for c in s if not c.isspace() and c not in chars)


def rows_to_str(codes: np.ndarray) -> np.ndarray:
    """Turn an (n, k) array of Unicode code points into an (n,) '<Uk' string array.

    NumPy stores '<Uk' as k little-endian UCS-4 code points per row, so a contiguous uint32
    matrix can be reinterpreted without any per-row Python work. Zero code points at the end of
    a row act as padding, which lets rows of different lengths share one matrix.
    """
    mat = np.ascontiguousarray(codes, dtype="<u4")
    n, k = mat.shape
    return mat.view(f"<U{k}").reshape(n)


def is_ascii_digits(s: str) -> bool:
    """True for a non-empty string of 0-9 (str.isdigit alone also accepts "²", "٣", "３")."""
    return s.isascii() and s.isdigit()


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    # np.unique in NumPy 2.3+ hashes by default, which is ~10x slower than sorting for
    # millions of int64 keys.
    keys = np.sort(keys)
    if keys.size < 2:
        return keys
    return keys[np.r_[True, keys[1:] != keys[:-1]]]


def unique_draw(
    draw: Callable[[int], np.ndarray], n: int, space: int, rng: np.random.Generator
) -> np.ndarray:
    """`n` distinct int64 keys from `draw(k)` (k random keys in [0, space)), in random order.

    Collisions are rare when n is well below `space`, so a few vectorised top-up rounds
    suffice. Sort-based dedup is used (faster than keeping first occurrences) and a final
    shuffle restores a random order.
    """
    if n > space:
        raise ValueError(f"cannot draw {n} distinct values from a space of {space}")
    keys = _sorted_unique(np.asarray(draw(n), dtype=np.int64))
    for _ in range(1000):
        if keys.size == n:
            return rng.permutation(keys)
        more = np.asarray(draw(n - keys.size), dtype=np.int64)
        keys = _sorted_unique(np.concatenate([keys, more]))
    raise RuntimeError("could not draw distinct values; the key space is too crowded")


def digit_table(width: int) -> np.ndarray:
    """(10**width, width) uint32 table of the ASCII digit codes of 0 .. 10**width - 1.

    Gathering rows from it is several times faster than int64 // and % per digit.
    """
    values = np.arange(10**width, dtype=np.int64)
    pow10 = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // pow10) % 10 + ord("0")).astype(np.uint32)


def as_area_codes(area6: np.ndarray | str | int) -> np.ndarray:
    """Six-digit area codes given as ints or strings, as an int64 array (validated)."""
    arr = np.asarray(area6)
    if arr.dtype == np.dtype("<U6"):
        # Fast path: read the UCS-4 code points directly instead of parsing each string.
        digits = np.ascontiguousarray(arr).reshape(-1).view("<u4").reshape(-1, 6).astype(np.int64)
        digits -= ord("0")
        if digits.size and (digits.min() < 0 or digits.max() > 9):
            raise ValueError("area codes must have exactly 6 digits")
        arr = (digits @ (10 ** np.arange(5, -1, -1, dtype=np.int64))).reshape(arr.shape)
    elif arr.dtype.kind in "US":
        if arr.size and not np.all(np.char.str_len(arr.astype(str)) == 6):
            raise ValueError("area codes must have exactly 6 digits")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    else:
        raise TypeError(f"area codes must be integers or strings, not {arr.dtype}")
    if arr.size and (arr.min() < 100000 or arr.max() > 999999):
        raise ValueError("area codes must be 6-digit numbers 100000..999999")
    return arr
