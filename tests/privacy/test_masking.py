"""Masking keeps what a task needs and hides the rest."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zhili.privacy.masking import mask_address, mask_id, mask_name, mask_phone, mask_record


def test_examples() -> None:
    assert mask_id("330125198502013166") == "330125********3166"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("+86 138-0013-8000") == "138****8000"
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳明华") == "欧阳**"
    assert (
        mask_address("杭州市余杭区良渚街道谢村村昌运里5幢2单元301室")
        == "杭州市余杭区良渚街道谢村村昌运里****"
    )
    assert mask_address("杭州市余杭区良渚街道谢村村3组56号") == "杭州市余杭区良渚街道谢村村****"


@given(st.from_regex(r"\d{17}[\dX]", fullmatch=True))
def test_masked_ids_hide_the_birth_date(value: str) -> None:
    masked = mask_id(value)
    assert masked is not None and value[6:14] not in masked and len(masked) == 18


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_masked_phones_hide_the_middle(value: str) -> None:
    masked = mask_phone(value)
    assert masked is not None and masked[3:7] == "****"


def test_mask_record_masks_only_personal_fields() -> None:
    r = mask_record(
        {"person_id": "P1", "name": "王芳", "id_number": "330125198502013166", "phone": None}
    )
    assert r == {"person_id": "P1", "name": "王*", "id_number": "330125********3166", "phone": None}
