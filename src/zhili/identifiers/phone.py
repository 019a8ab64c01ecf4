"""Mainland mobile numbers (2019 prefixes) and Hangzhou (0571) landlines."""

from __future__ import annotations

import numpy as np

from zhili.identifiers._common import (
    as_text,
    is_ascii_digits,
    remove_chars,
    rows_to_str,
    to_halfwidth,
    unique_draw,
)

CHINA_MOBILE = "China Mobile"
CHINA_UNICOM = "China Unicom"
CHINA_TELECOM = "China Telecom"
MVNO = "MVNO"  # virtual operators (虚拟运营商) renting one of the three networks

# Prefix -> relative weight within its carrier. Weights follow how long a block has been
# issued: the 13x/15x/18x blocks hold most subscribers, 14x are data cards, 17x are newer and
# 166 and the 19x blocks only opened in 2017-2019, so they get small weights.
PREFIXES: dict[str, dict[str, float]] = {
    CHINA_MOBILE: {
        "134": 0.8, "135": 1.0, "136": 1.0, "137": 1.0, "138": 1.0, "139": 1.0,
        "147": 0.2, "150": 0.9, "151": 0.9, "152": 0.9, "157": 0.4, "158": 0.9,
        "159": 0.9, "172": 0.05, "178": 0.4, "182": 0.8, "183": 0.7, "184": 0.2,
        "187": 0.8, "188": 0.8, "198": 0.05,
    },
    CHINA_UNICOM: {
        "130": 1.0, "131": 1.0, "132": 1.0, "145": 0.2, "155": 0.9, "156": 0.9,
        "166": 0.1, "175": 0.3, "176": 0.5, "185": 0.8, "186": 1.0,
    },
    CHINA_TELECOM: {
        "133": 1.0, "149": 0.05, "153": 0.9, "173": 0.4, "177": 0.6, "180": 0.9,
        "181": 0.9, "189": 1.0, "191": 0.05, "199": 0.1,
    },
}  # fmt: skip
# Share of subscribers by carrier (Zhejiang, roughly 2019).
CARRIER_SHARE = {CHINA_MOBILE: 0.6, CHINA_UNICOM: 0.2, CHINA_TELECOM: 0.2}
# Virtual-operator prefixes: real numbers turn up in department data, so validation accepts
# them, but the generator does not produce them.
MVNO_PREFIXES = frozenset({"162", "165", "167", "170", "171"})

CARRIER_OF_PREFIX = {p: c for c, ps in PREFIXES.items() for p in ps} | dict.fromkeys(
    MVNO_PREFIXES, MVNO
)
HANGZHOU_AREA_CODE = "0571"

_SEPARATORS = "-.()/"


def normalize(s: object) -> str | None:
    """Canonical form: mobiles as 11 digits ("13800138000"), Hangzhou landlines as
    "0571-88888888". Strips +86/0086/86, separators, full-width digits and the trunk "0"
    sometimes written before mobiles. Returns cleaned text even when invalid; None if `s` is
    not text. Idempotent.
    """
    text = as_text(s)
    if text is None:
        return None
    # One pass can expose another prefix ("+86+86..."), so repeat until nothing changes; every
    # changing pass shortens the text except the one-off "0" before a 571 landline.
    current = text
    while (cleaned := _normalize_once(current)) != current:
        current = cleaned
    return current


def _normalize_once(text: str) -> str:
    t = remove_chars(to_halfwidth(text), _SEPARATORS)
    if t.startswith("+86"):
        t = t[3:]
    elif t.startswith("0086"):
        t = t[4:]
    elif t.startswith("86") and len(t) == 13 and (t[2] == "1" or t.startswith("86571")):
        t = t[2:]  # "86" before a mobile or a 571 landline (which lost its leading 0)
    if not is_ascii_digits(t):
        return t
    if len(t) == 12 and t.startswith("01"):  # trunk prefix before a mobile
        t = t[1:]
    if len(t) == 11 and t.startswith("571"):  # landline after +86 loses its leading 0
        t = "0" + t
    if len(t) == 12 and t.startswith(HANGZHOU_AREA_CODE):
        return f"{HANGZHOU_AREA_CODE}-{t[4:]}"
    return t


def validate(s: object) -> tuple[str | None, str | None]:
    """(11-digit mobile, None) if `s` is a mobile number, else (None, reason). Never raises.

    Reasons: "empty", "not text", "non-digit", "length N", "not a mobile number",
    "unknown prefix NNN".
    """
    number = normalize(s)
    if number is None:
        return None, "not text"
    if not number:
        return None, "empty"
    if number.startswith(HANGZHOU_AREA_CODE + "-"):
        return None, "not a mobile number"
    if not is_ascii_digits(number):
        return None, "non-digit"
    if len(number) != 11:
        return None, f"length {len(number)}"
    if number[0] != "1":
        return None, "not a mobile number"
    if number[:3] not in CARRIER_OF_PREFIX:
        return None, f"unknown prefix {number[:3]}"
    return number, None


def _validate_landline(number: str) -> tuple[str | None, str | None]:
    digits = number.replace("-", "")
    if not is_ascii_digits(digits):
        return None, "non-digit"
    if len(digits) == 8:  # local number written without the area code
        digits = HANGZHOU_AREA_CODE + digits
    if not digits.startswith("0"):
        return None, "not a landline (no area code)"
    if not digits.startswith(HANGZHOU_AREA_CODE):
        return None, "not a Hangzhou (0571) landline"
    local = digits[4:]
    if len(local) != 8:
        return None, f"local number length {len(local)}"
    # Local numbers never start with 0 or 1 (trunk and special-service prefixes) and 9 is
    # kept for service numbers; Hangzhou lines are mostly 8xxxxxxx, others exist.
    if local[0] in "019":
        return None, "bad local number"
    return f"{HANGZHOU_AREA_CODE}-{local}", None


def validate_any(s: object) -> tuple[str | None, str | None]:
    """Accept a mobile number or a Hangzhou landline ("0571-8xxxxxxx", or 8 local digits).

    Returns (normalised number, None) or (None, reason); never raises.
    """
    number, reason = validate(s)
    if number is not None:
        return number, None
    cleaned = normalize(s)
    if cleaned is None or not cleaned:
        return None, reason
    if cleaned.startswith("1") and is_ascii_digits(cleaned):
        return None, reason  # looks like a mobile: keep the mobile-specific reason
    return _validate_landline(cleaned)


def is_valid(s: object) -> bool:
    """True if `s` is a valid mobile number."""
    return validate(s)[0] is not None


def carrier(number: object) -> str | None:
    """Carrier name for a valid mobile number, else None."""
    valid, _ = validate(number)
    return None if valid is None else CARRIER_OF_PREFIX[valid[:3]]


def _prefix_weights() -> tuple[np.ndarray, np.ndarray]:
    prefixes, weights = [], []
    for name, table in PREFIXES.items():
        total = sum(table.values())
        for prefix, w in table.items():
            prefixes.append(int(prefix))
            weights.append(CARRIER_SHARE[name] * w / total)
    return np.array(prefixes, dtype=np.int64), np.array(weights)


_GEN_PREFIXES, _GEN_WEIGHTS = _prefix_weights()


def make_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct mobile numbers ('<U11'), prefixes drawn by carrier share and block weight.

    The 8 digits after the prefix are uniform; real numbers cluster by region in digits 4-7,
    which nothing downstream relies on.
    """

    def draw(k: int) -> np.ndarray:
        prefix = rng.choice(_GEN_PREFIXES, size=k, p=_GEN_WEIGHTS)
        return prefix * 10**8 + rng.integers(0, 10**8, size=k)

    keys = unique_draw(draw, n, _GEN_PREFIXES.size * 10**8, rng)
    codes = np.empty((n, 11), dtype=np.uint32)
    codes[:, 0:3] = _DIGITS[keys // 10**8][:, 1:]  # 3-digit prefix from a 4-digit row
    codes[:, 3:7] = _DIGITS[(keys // 10**4) % 10**4]
    codes[:, 7:11] = _DIGITS[keys % 10**4]
    return rows_to_str(codes)


_DIGITS = ((np.arange(10**4)[:, None] // 10 ** np.arange(3, -1, -1)) % 10 + ord("0")).astype(
    np.uint32
)
