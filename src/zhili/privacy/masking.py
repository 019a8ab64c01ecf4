"""Masking of identifiers in every output, by default. Unmasking is a permission of its own
and an audited act (see policy.py: person.unmask)."""

from __future__ import annotations

import re


def mask_id(value: str | None) -> str | None:
    """330125198502013166 → 330125********3166 (birthplace kept, birth date hidden)."""
    if not value:
        return value
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """13800138000 → 138****8000."""
    if not value:
        return value
    digits = re.sub(r"\D", "", value)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # +86 country code
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str | None) -> str | None:
    """张伟 → 张*, 欧阳明华 → 欧阳**: the surname stays (two characters for compound ones)."""
    if not value:
        return value
    keep = 2 if len(value) >= 4 else 1
    return value[:keep] + "*" * (len(value) - keep)


_ADDRESS_TAIL = re.compile(r"(\d+幢.*|\d+组\d+号.*|\d+-\d+-\d+.*|\d+号.*)$")


def mask_address(value: str | None) -> str | None:
    """Keep the community or village, hide the building, unit, room or house number."""
    if not value:
        return value
    masked = _ADDRESS_TAIL.sub("****", value)
    return masked if masked != value else value[: max(6, len(value) // 2)] + "****"


MASKERS = {"id_number": mask_id, "phone": mask_phone, "name": mask_name, "address": mask_address}


def mask_record(record: dict, fields: dict[str, str] | None = None) -> dict:
    """Mask the personal fields of one output record. `fields` maps column → kind."""
    kinds = fields or {k: k for k in MASKERS}
    out = dict(record)
    for column, kind in kinds.items():
        if column in out:
            out[column] = MASKERS[kind](out[column])
    return out


# Identifiers inside free text (descriptions, notes): people write them in.
_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_LANDLINE_IN_TEXT = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_text(text: str | None, names: tuple[str | None, ...] = ()) -> str | None:
    """Free text with ID numbers, phones and e-mail addresses masked, and the given names."""
    if not text:
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id(m.group()) or "", text)
    text = _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group()) or "", text)
    text = _LANDLINE_IN_TEXT.sub("****", text)
    text = _EMAIL_IN_TEXT.sub("****", text)
    for name in names:
        if name and len(name) >= 2:
            text = text.replace(name, mask_name(name) or "")
    return text
