"""What a query may be: the same standardizers that built the index read the query, so
`13800138000`, `+86 138-0013-8000` and `１３８００１３８０００` all probe the phone key, a
15-digit id probes its 18-digit form, and a Chinese text probes names, their pinyin, the
core of an enterprise name and a parsed address."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from zhili.hub.pipeline.prepare import _NAME_NOISE
from zhili.hub.standardize import (
    name_pinyin,
    normalize_names,
    parse_addresses,
    standardize_credit_codes,
    standardize_phones,
    standardize_plates,
    standardize_resident_ids,
)

# How strongly a hit on each kind says "this is what was meant" (ranking only).
STRENGTH = {
    "id_number": 9,
    "credit_code": 9,
    "account_number": 9,
    "project_id": 9,
    "plate": 8,
    "phone": 8,
    "address": 6,
    "name": 5,
    "pinyin": 3,
    "fuzzy_name": 2,
    "text": 1,
}
KINDS = tuple(STRENGTH)
_CJK = re.compile(r"[\u3400-\u9fff]")
_PLATE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9]{5,6}$")
_ID_SHAPE = re.compile(r"^(\d{15}|\d{17}[\dXx])$")
_PHONE_SHAPE = re.compile(r"^[+＋\d０-９][\d０-９\s\-()（）]{6,19}$")
_ADDRESS_WORD = re.compile(r"[路街道村镇巷弄号幢栋楼室组区苑园府里庄]")
_LATIN = re.compile(r"^[a-zA-Z][a-zA-Z\s]*$")


@dataclass(frozen=True)
class Probe:
    kind: str  # a key kind of the index
    value: str


def _one(values: pl.Series) -> str | None:
    value = values.item() if values.len() == 1 else None
    return value if isinstance(value, str) and value else None


def probes(query: str, kinds: tuple[str, ...] | None = None) -> list[Probe]:
    """Every exact key the query could be, for the kinds asked (all by default)."""
    text = query.strip()
    if not text:
        return []
    one = pl.Series([text], dtype=pl.Utf8)
    wanted = set(kinds or KINDS)
    found: list[Probe] = []

    def add(kind: str, value: str | None) -> None:
        if kind in wanted and value and Probe(kind, value) not in found:
            found.append(Probe(kind, value))

    # Cheap shape checks first: each standardizer runs only on a query it could accept.
    alnum = re.sub(r"[\s\-]", "", text)
    if _ID_SHAPE.match(alnum):
        rid = _one(standardize_resident_ids(one)["value"])
        add("id_number", rid if rid and len(rid) == 18 else None)
    if len(alnum) == 18 and alnum.isalnum():
        code = _one(standardize_credit_codes(one, check_org_code=False)["value"])
        add("credit_code", code if code and len(code) == 18 else None)
    if _PHONE_SHAPE.match(text):
        add("phone", _one(standardize_phones(one)["value"]))
    if _CJK.match(text) and len(alnum) <= 9:
        plate = _one(standardize_plates(one)["value"])
        add("plate", plate if plate and _PLATE.match(plate) else None)  # other provinces too
    compact = re.sub(r"[\s\-]", "", text)
    if compact.isdigit() and len(compact) >= 10:
        add("account_number", compact)
    if re.fullmatch(r"[0-9A-Za-z\-]{6,32}", compact):
        add("project_id", compact.upper())
    if _CJK.search(text):
        name = _one(normalize_names(one))
        add("name", name)
        if name:
            add("name", re.sub(_NAME_NOISE, "", name) or None)
            add("pinyin", _one(name_pinyin(pl.Series([name], dtype=pl.Utf8))))
        if len(text) > 4 and _ADDRESS_WORD.search(text):  # not 路雷剑, a name
            add("address", _one(parse_addresses(one, learn=False)["canonical"]))
    elif _LATIN.match(text):
        add("pinyin", " ".join(text.lower().split()))
    return found


def is_name_like(query: str) -> bool:
    """Two to four Chinese characters: worth a one-edit fuzzy look at names (张伟 / 张玮)."""
    text = query.strip()
    return 2 <= len(text) <= 4 and all(_CJK.match(c) for c in text)
