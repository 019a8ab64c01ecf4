"""Name normalisation and pinyin."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.hub.standardize import name_pinyin, normalize_name, normalize_names, standardize_names
from zhili.hub.standardize.names import split_surname
from zhili.twin.names import HOMOPHONES, TRADITIONAL


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("張偉", "张伟"),
        ("张 伟", "张伟"),
        ("张\u3000伟", "张伟"),
        (" 王\t芳 ", "王芳"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("ＡＢ", "AB"),
        ("區建華", "区建华"),
        ("张沈默", "张沈默"),  # a name is not a phrase: OpenCC's 沈默 -> 沉默 must not apply
        ("张乾", "张乾"),  # 乾 is a simplified character too
        ("  ", None),
        (None, None),
    ],
)
def test_normalize_examples(raw: str | None, expected: str | None) -> None:
    assert normalize_name(raw) == expected


def test_homophones_stay() -> None:
    # Same-sound mistakes are evidence for fusion, not noise to clean.
    assert normalize_name("章伟") == "章伟"


NAME_ALPHABET = (
    "张王李刘陈杨黄曾单解区仇欧阳司马诸葛伟芳丽军华敏"
    + "".join(TRADITIONAL.values())
    + " \u3000\t·•.・ＡＢａ１"
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=NAME_ALPHABET, max_size=8), min_size=1, max_size=20))
def test_normalisation_is_idempotent(names: list[str]) -> None:
    once = normalize_names(pl.Series(names))
    assert normalize_names(once).to_list() == once.to_list()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="".join(TRADITIONAL), min_size=1, max_size=4), min_size=1))
def test_traditional_and_spaced_equal_simplified(names: list[str]) -> None:
    noisy = ["".join(TRADITIONAL.get(c, c) for c in n) for n in names]
    spaced = [n[0] + "\u3000" + n[1:] for n in noisy]
    assert normalize_names(pl.Series(noisy)).to_list() == names
    assert normalize_names(pl.Series(spaced)).to_list() == names


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("曾小明", "zeng xiao ming"),
        ("单田芳", "shan tian fang"),
        ("解缙", "xie jin"),
        ("区建华", "ou jian hua"),
        ("仇英", "qiu ying"),
        ("朴树", "piao shu"),
        ("查良镛", "zha liang yong"),
        ("覃斌", "qin bin"),
        ("缪青", "miao qing"),
        ("翟志刚", "zhai zhi gang"),
        ("乐嘉", "yue jia"),
        ("盖聂", "ge nie"),
        ("员伟", "yun wei"),
        ("任平", "ren ping"),
        ("华佗", "hua tuo"),
        ("纪昀", "ji yun"),
        ("秘书", "bi shu"),
        ("繁漪", "po yi"),
        ("种师道", "chong shi dao"),
        ("尉迟恭", "yu chi gong"),
        ("长孙无忌", "zhang sun wu ji"),
        ("万俟卨", "mo qi xie"),
        ("欧阳修", "ou yang xiu"),
        ("司马光", "si ma guang"),
        ("诸葛亮", "zhu ge liang"),
        ("上官婉儿", "shang guan wan er"),
        ("令狐冲", "ling hu chong"),
        ("张伟", "zhang wei"),
        ("吕雪", "lv xue"),
        ("張 偉", "zhang wei"),  # normalised first
        ("阿依古丽·买买提", "a yi gu li mai mai ti"),
    ],
)
def test_pinyin(name: str, pinyin: str) -> None:
    assert name_pinyin(pl.Series([name])).item() == pinyin


def test_compound_surname_split() -> None:
    assert split_surname("欧阳修") == ("欧阳", "修")
    assert split_surname("欧阳") == ("欧", "阳")  # two characters: surname 欧, given name 阳
    assert split_surname("张伟") == ("张", "伟")


def test_pinyin_once_per_distinct_name_keeps_order_and_nulls() -> None:
    names = pl.Series("n", ["曾伟", None, "张伟", "曾伟"])
    assert name_pinyin(names).to_list() == ["zeng wei", None, "zhang wei", "zeng wei"]


def test_standardize_names_frame() -> None:
    out = standardize_names(pl.Series(["張 偉", "曾小明"]))
    assert out.columns == ["original", "name", "pinyin"]
    assert out.row(0) == ("張 偉", "张伟", "zhang wei")


def test_homophone_table_is_not_undone() -> None:
    # The twin's homophone swaps must survive: none of them is a traditional form.
    for wrong in HOMOPHONES.values():
        assert normalize_name(wrong) == wrong


def test_null_and_empty_columns() -> None:
    for values in (pl.Series([None, None], dtype=pl.String), pl.Series([], dtype=pl.String)):
        out = standardize_names(values)
        assert out.height == values.len()
        assert out["pinyin"].null_count() == values.len()
