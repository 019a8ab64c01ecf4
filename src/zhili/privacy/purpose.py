"""Purpose binding: why personal data is read, recorded with the read and shown to the citizen.

PIPL Art. 13 and 34: state organs process personal information to perform statutory duties,
within the scope and to the extent necessary. A purpose names its legal basis and the case,
event or task it serves.
"""

from __future__ import annotations

from dataclasses import dataclass

LEGAL_BASES: dict[str, str] = {
    "statutory_duty": "履行法定职责",
    "emergency": "应对突发公共卫生事件或紧急情况下保护生命健康和财产安全",
    "public_interest": "为公共利益实施新闻报道、舆论监督",
    "consent": "取得个人同意",
    "contract": "订立或履行合同所必需",
    "investigation": "侦查、调查（可延迟告知）",
}


class PurposeError(ValueError):
    pass


@dataclass(frozen=True)
class Purpose:
    legal_basis: str
    case_id: str | None = None
    text: str = ""

    def __post_init__(self) -> None:
        if self.legal_basis not in LEGAL_BASES:
            known = ", ".join(LEGAL_BASES)
            raise PurposeError(f"unknown legal basis {self.legal_basis!r}; use one of: {known}")
        if not (self.case_id or "").strip() and len(self.text.strip()) < 4:
            raise PurposeError("a purpose needs a case or event id, or a description of the task")

    @property
    def label(self) -> str:
        return LEGAL_BASES[self.legal_basis]

    @property
    def confidential(self) -> bool:
        """Investigations may be disclosed to the citizen only later (PIPL Art. 18, 35)."""
        return self.legal_basis == "investigation"
