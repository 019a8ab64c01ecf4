"""Hangzhou vehicle plates (浙A).

Ordinary plates (blue for cars, yellow for trucks and construction vehicles - same format):
浙A + 5 characters from digits and letters without I and O, at most 2 letters.
New-energy plates (green): 浙A + D (battery electric) or F (other new energy) + 5 characters,
usually digits ("浙AD12345"); large new-energy vehicles put the D/F last ("浙A12345D").
Trailers: 浙A + 4 characters + 挂.
"""

from __future__ import annotations

import numpy as np

from zhili.identifiers._common import as_text, remove_chars, rows_to_str, to_halfwidth

PREFIX = "浙A"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are never used: they read as 1 and 0
DIGITS = "0123456789"
TRAILER = "挂"
NEW_ENERGY_MARKS = "DF"
# Ordinary generator patterns (D = digit, L = letter) and their weights. Capacities:
# DDDDD 100k, LDDDD 240k, DLDDD 240k, LLDDD 576k; when a pattern would overflow, the excess
# moves to patterns with room, so up to ~1.16M distinct ordinary plates can be drawn.
ORDINARY_PATTERNS = {"LDDDD": 0.5, "DDDDD": 0.2, "DLDDD": 0.15, "LLDDD": 0.15}
NEW_ENERGY_WEIGHTS = {"D": 0.65, "F": 0.35}

# Separators seen in typed plates: middle dots of several scripts, hyphen, full stop.
_SEPARATORS = "·•・‧∙.-"
_ALNUM = frozenset(DIGITS + LETTERS)


def normalize(s: object) -> str | None:
    """Half-width, upper-case, no spaces or "·" separators ("浙a·b1234" -> "浙AB1234").

    Returns cleaned text even when invalid; None if `s` is not text. Idempotent.
    """
    text = as_text(s)
    if text is None:
        return None
    return remove_chars(to_halfwidth(text), _SEPARATORS).upper()


def _ordinary_reason(chars: str) -> str | None:
    if sum(c in LETTERS for c in chars) > 2:
        return "too many letters"
    return None


def validate(s: object) -> tuple[str | None, str | None]:
    """(normalised plate, None) if valid, else (None, reason). Never raises.

    Reasons: "empty", "not text", "not a Hangzhou plate (浙A)", "bad character 'C'",
    "contains I or O", "too many letters", "bad new-energy format", "length N".
    """
    plate = normalize(s)
    if plate is None:
        return None, "not text"
    if not plate:
        return None, "empty"
    if not plate.startswith(PREFIX):
        return None, f"not a Hangzhou plate ({PREFIX})"
    tail = plate[len(PREFIX) :]
    body = tail[:-1] if tail.endswith(TRAILER) else tail
    for c in body:
        if c in "IO":
            return None, "contains I or O"
        if c not in _ALNUM:
            return None, f"bad character {c!r}"
    if tail.endswith(TRAILER):
        if len(body) != 4:
            return None, f"length {len(plate)}"
        reason = _ordinary_reason(body)
    elif len(tail) == 5:
        reason = _ordinary_reason(tail)
    elif len(tail) == 6:
        small = tail[0] in NEW_ENERGY_MARKS and tail[2:].isdigit()
        large = tail[:5].isdigit() and tail[5] in NEW_ENERGY_MARKS
        reason = None if small or large else "bad new-energy format"
    else:
        reason = f"length {len(plate)}"
    return (None, reason) if reason else (plate, None)


def is_valid(s: object) -> bool:
    """True if `validate` accepts `s`."""
    return validate(s)[0] is not None


def is_new_energy(s: object) -> bool:
    """True for a valid new-energy (green) plate."""
    plate, _ = validate(s)
    return plate is not None and len(plate) == 8


def _capacity(pattern: str) -> int:
    return int(np.prod([len(LETTERS) if p == "L" else 10 for p in pattern]))


def _spread(rng: np.random.Generator, n: int, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Multinomial counts with per-category caps; overflow goes to categories with room."""
    if n > caps.sum():
        raise ValueError(f"cannot make {n} distinct plates; capacity is {caps.sum()}")
    counts = np.minimum(rng.multinomial(n, weights / weights.sum()), caps)
    while (missing := n - counts.sum()) > 0:
        room = caps - counts
        counts += np.minimum(rng.multinomial(missing, room / room.sum()), room)
    return counts


def _decode(idx: np.ndarray, pattern: str) -> np.ndarray:
    """Pattern indices (mixed radix, last position fastest) -> (k, len) code points."""
    out = np.empty((idx.size, len(pattern)), dtype=np.uint32)
    rest = idx.astype(np.int64)
    for j in range(len(pattern) - 1, -1, -1):
        alphabet = _LETTER_CODES if pattern[j] == "L" else _DIGIT_CODES
        out[:, j] = alphabet[rest % alphabet.size]
        rest //= alphabet.size
    return out


def make_plates(rng: np.random.Generator, n: int, new_energy_share: float = 0.05) -> np.ndarray:
    """`n` distinct valid plates ('<U8'; ordinary ones have 7 characters) in random order.

    New-energy plates are 浙AD/浙AF + 5 digits; ordinary ones follow ORDINARY_PATTERNS.
    """
    if not 0.0 <= new_energy_share <= 1.0:
        raise ValueError("new_energy_share must be within [0, 1]")
    patterns = list(ORDINARY_PATTERNS)
    ord_caps = np.array([_capacity(p) for p in patterns])
    nev_caps = np.array([10**5] * len(NEW_ENERGY_WEIGHTS))
    n_nev = int(rng.binomial(n, new_energy_share))
    nev_counts = _spread(rng, n_nev, np.array(list(NEW_ENERGY_WEIGHTS.values())), nev_caps)
    ord_counts = _spread(rng, n - n_nev, np.array(list(ORDINARY_PATTERNS.values())), ord_caps)

    # Trailing zero code points pad 7-character plates inside the 8-column matrix.
    codes = np.zeros((n, 8), dtype=np.uint32)
    codes[:, 0], codes[:, 1] = ord(PREFIX[0]), ord(PREFIX[1])
    row = 0
    for pattern, cap, k in zip(patterns, ord_caps, ord_counts, strict=True):
        codes[row : row + k, 2:7] = _decode(rng.choice(cap, size=k, replace=False), pattern)
        row += k
    for mark, k in zip(NEW_ENERGY_WEIGHTS, nev_counts, strict=True):
        codes[row : row + k, 2] = ord(mark)
        codes[row : row + k, 3:8] = _decode(rng.choice(10**5, size=k, replace=False), "DDDDD")
        row += k
    return rows_to_str(codes[rng.permutation(n)])


_LETTER_CODES = np.array([ord(c) for c in LETTERS], dtype=np.uint32)
_DIGIT_CODES = np.array([ord(c) for c in DIGITS], dtype=np.uint32)
