"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

18 characters over a 31-symbol alphabet (digits and capitals without I, O, S, V, Z):
1 registration authority, 2 entity type, 3-8 area code of the registering office,
9-17 the organisation code (GB 11714: 8 body characters + its own check character) and
18 the GB 32100 check character (MOD 31).
"""

from __future__ import annotations

import numpy as np

from zhili.identifiers._common import (
    as_area_codes,
    as_text,
    remove_chars,
    rows_to_str,
    to_halfwidth,
    unique_draw,
)

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
# Weight of position i is 3**i mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714 organisation-code weights; body characters count 0-9, A=10 .. Z=35.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Registration authorities: 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教,
# 8 工会, 9 工商/市场监管, A 军队改革编制, N 农业, Y 其他.
AUTHORITIES = frozenset("123456789ANY")
# Generator kinds -> first two characters.
KINDS = {
    "enterprise": "91",  # 企业
    "individual": "92",  # 个体工商户
    "cooperative": "93",  # 农民专业合作社
    "organ": "11",  # 机关
    "institution": "12",  # 事业单位
    "social_org": "51",  # 社会团体
    "private_non_enterprise": "52",  # 民办非企业单位
    "foundation": "53",  # 基金会
}

_KIND_OF_PREFIX = {prefix: name for name, prefix in KINDS.items()}
_W = np.array(WEIGHTS, dtype=np.int64)
_ORG_W = np.array(ORG_WEIGHTS, dtype=np.int64)
_ALPHA_CODES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8).astype(np.uint32)
# Organisation-code bodies: new ones (assigned since the 2015 reform) are "MA" + a block
# character (Zhejiang's new codes mostly read "MA2") + 5 symbols; older ones are 8 digits.
_NEW_PREFIX = "MA2"
_NEW_SPACE = 31**5
_OLD_SPACE = 10**8
_NEW_SHARE = {"individual": 1.0, "cooperative": 0.9}  # both only got codes after 2015
_DEFAULT_NEW_SHARE = 0.55


def _org_value(c: str) -> int:
    return ord(c) - 48 if c.isdigit() else ord(c) - 55


def org_check_char(body8: str) -> str:
    """GB 11714 check character for an 8-character organisation-code body."""
    if len(body8) != 8 or not all(c.isascii() and c.isalnum() for c in body8):
        raise ValueError(f"need 8 ASCII letters/digits, got {body8!r}")
    total = sum(_org_value(c) * w for c, w in zip(body8.upper(), ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def check_char(first17: str) -> str:
    """GB 32100 check character for the first 17 characters."""
    if len(first17) != 17 or any(c not in VALUE for c in first17):
        raise ValueError(f"need 17 characters from {ALPHABET!r}, got {first17!r}")
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(s: object) -> str | None:
    """Half-width, upper-case, no whitespace or hyphens (organisation codes were long written
    "12345678-9"). Returns cleaned text even if invalid; None if `s` is not text. Idempotent."""
    text = as_text(s)
    if text is None:
        return None
    return remove_chars(to_halfwidth(text), "-").upper()


def validate(s: object, check_org_code: bool = True) -> tuple[str | None, str | None]:
    """(normalised code, None) if valid, else (None, reason). Never raises.

    Reasons: "empty", "not text", "length N", "bad character 'C' at position P",
    "unknown registration authority 'C'", "bad area code", "bad organisation code check",
    "bad check character". `check_org_code=False` skips the GB 11714 check, for sources
    known to carry codes whose embedded organisation code was not assigned by that rule.
    """
    code = normalize(s)
    if code is None:
        return None, "not text"
    if not code:
        return None, "empty"
    if len(code) != 18:
        return None, f"length {len(code)}"
    for pos, c in enumerate(code, start=1):
        if c not in VALUE:
            return None, f"bad character {c!r} at position {pos}"
    if code[0] not in AUTHORITIES:
        return None, f"unknown registration authority {code[0]!r}"
    if not code[2:8].isdigit():
        return None, "bad area code"
    if check_org_code and org_check_char(code[8:16]) != code[16]:
        return None, "bad organisation code check"
    if check_char(code[:17]) != code[17]:
        return None, "bad check character"
    return code, None


def is_valid(s: object) -> bool:
    """True if `validate` accepts `s`."""
    return validate(s)[0] is not None


def _prefix_codes(kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kinds (names from KINDS or literal 2-character prefixes) -> (n, 2) ALPHABET positions
    and the per-row share of new-style organisation codes."""
    n = kind.size
    prefix = np.empty((n, 2), dtype=np.int64)
    share = np.empty(n)
    done = np.zeros(n, dtype=bool)
    # One vectorised comparison per known name is much faster than np.unique on strings.
    for name, pfx in KINDS.items():
        rows = kind == name
        prefix[rows] = [VALUE[pfx[0]], VALUE[pfx[1]]]
        share[rows] = _NEW_SHARE.get(name, _DEFAULT_NEW_SHARE)
        done |= rows
    if not done.all():
        rest = np.flatnonzero(~done)
        uniq, inverse = np.unique(kind[rest], return_inverse=True)
        for i, k in enumerate(uniq.tolist()):
            if len(k) != 2 or k[0] not in AUTHORITIES or k[1] not in VALUE:
                raise ValueError(f"unknown kind {k!r}; use one of {sorted(KINDS)} or a prefix")
            rows = rest[inverse.ravel() == i]
            prefix[rows] = [VALUE[k[0]], VALUE[k[1]]]
            share[rows] = _NEW_SHARE.get(_KIND_OF_PREFIX.get(k, ""), _DEFAULT_NEW_SHARE)
    return prefix, share


def make_codes(
    area6: np.ndarray | str | int, rng: np.random.Generator, kind: np.ndarray | str
) -> np.ndarray:
    """Vectorised valid codes ('<U18' array), unique within the call.

    area6 and kind broadcast against each other; kind is a name from KINDS ("enterprise",
    "individual", ...) or a literal prefix such as "91". Uniqueness comes from distinct
    organisation codes, which are nationally unique in reality too.
    """
    area = as_area_codes(area6)
    area, kind_arr = np.broadcast_arrays(area, np.asarray(kind, dtype=str))
    area, kind_arr = area.ravel(), kind_arr.ravel()
    n = area.size
    prefix, new_share = _prefix_codes(kind_arr)

    # New-style bodies start with letters and old ones are all digits, so the two styles never
    # coincide and each only needs distinct keys within itself.
    is_new = rng.random(n) < new_share
    new_rows, old_rows = np.flatnonzero(is_new), np.flatnonzero(~is_new)
    key = np.empty(n, dtype=np.int64)
    key[new_rows] = unique_draw(
        lambda k: rng.integers(0, _NEW_SPACE, size=k), new_rows.size, _NEW_SPACE, rng
    )
    key[old_rows] = unique_draw(
        lambda k: rng.integers(0, _OLD_SPACE, size=k), old_rows.size, _OLD_SPACE, rng
    )
    # Each body is split into a 5-character head and a 3-character tail, looked up in
    # precomputed tables (characters + weighted partial sums) rather than computed digit by
    # digit: row gathers are far cheaper than int64 division over an (n, 8) matrix.
    head = np.where(is_new, key // 31**3, _OLD_HEAD0 + key // 1000)
    tail = np.where(is_new, key % 31**3, _OLD_TAIL0 + key % 1000)
    c9 = 11 - (_HEAD_ORG[head] + _TAIL_ORG[tail]) % 11
    org_check = np.where(c9 == 10, VALUE["X"], np.where(c9 == 11, 0, c9))
    a_hi, a_lo = area // 1000, area % 1000
    total = (
        prefix @ _W[:2]
        + _AREA_HI_SUM[a_hi]
        + _AREA_LO_SUM[a_lo]
        + _HEAD_SUM[head]
        + _TAIL_SUM[tail]
        + org_check * WEIGHTS[16]
    )

    codes = np.empty((n, 18), dtype=np.uint32)
    codes[:, :2] = _ALPHA_CODES[prefix]
    codes[:, 2:5] = _ALPHA_CODES[_D3[a_hi]]
    codes[:, 5:8] = _ALPHA_CODES[_D3[a_lo]]
    codes[:, 8:13] = _HEAD_CHARS[head]
    codes[:, 13:16] = _TAIL_CHARS[tail]
    codes[:, 16] = _ALPHA_CODES[org_check]
    codes[:, 17] = _ALPHA_CODES[(31 - total % 31) % 31]
    return rows_to_str(codes)


def _base_table(base: int, width: int) -> np.ndarray:
    """(base**width, width) table of the base-`base` digits of 0 .. base**width - 1."""
    values = np.arange(base**width, dtype=np.int64)
    powers = base ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % base


_D3 = _base_table(10, 3)
# GB 11714 value of each ALPHABET position: digits as such, letters A=10 .. Z=35.
_ORG_VALUE = np.array([_org_value(c) for c in ALPHABET], dtype=np.int64)
_AREA_HI_SUM = _D3 @ _W[2:5]
_AREA_LO_SUM = _D3 @ _W[5:8]

# Body tables, symbols as ALPHABET positions. Heads: rows 0..960 are "MA2" + 2 base-31
# symbols (new style), then 100000 rows of 5 digits (old style). Tails: 29791 rows of 3 base-31
# symbols, then 1000 rows of 3 digits.
_head_sym = np.vstack(
    [
        np.hstack([np.tile([VALUE[c] for c in _NEW_PREFIX], (31**2, 1)), _base_table(31, 2)]),
        _base_table(10, 5),
    ]
)
_tail_sym = np.vstack([_base_table(31, 3), _D3])
_OLD_HEAD0, _OLD_TAIL0 = 31**2, 31**3
_HEAD_CHARS, _TAIL_CHARS = _ALPHA_CODES[_head_sym], _ALPHA_CODES[_tail_sym]
_HEAD_ORG = _ORG_VALUE[_head_sym] @ _ORG_W[:5]
_TAIL_ORG = _ORG_VALUE[_tail_sym] @ _ORG_W[5:]
_HEAD_SUM = _head_sym @ _W[8:13]
_TAIL_SUM = _tail_sym @ _W[13:16]
