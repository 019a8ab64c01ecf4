"""Address parsing against the gazetteer: every written form of a house compares equal."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.hub.standardize import CompoundIndex, canonical_address, parse_addresses
from zhili.hub.standardize.address import chinese_numeral, load_gazetteer

FLAT = "杭州市余杭区良渚街道谢村村昌运里5幢2单元301室"
FLAT_FORMS = [
    FLAT,
    "良渚街道谢村村昌运里5幢2单元301室",
    "良渚昌运里5-2-301",
    "余杭区良渚街道昌运里5幢2单元301",
    "良渚镇谢村村委会昌运里5栋2单元301室",
    " 良渚街道谢村村昌运里５幢２单元３０１室 ",
]
VILLAGE_HOUSE = "杭州市余杭区良渚街道谢村村3组56号"
VILLAGE_FORMS = [
    VILLAGE_HOUSE,
    "良渚谢村三组56号",
    "余杭区良渚镇谢村村3组56号",
    "良渚街道谢村村3组56号",
]


def test_flat_forms_compare_equal() -> None:
    out = parse_addresses(pl.Series(FLAT_FORMS))
    assert out["canonical"].to_list() == [FLAT] * len(FLAT_FORMS)
    row = out.row(2, named=True)  # the short form: village from the compound index
    assert row["kind"] == "flat"
    assert (row["town"], row["village"], row["compound"]) == ("良渚街道", "谢村村", "昌运里")
    assert (row["building"], row["unit"], row["room"]) == (5, 2, 301)
    assert row["town_code"] == "330110010"
    assert row["village_code"] is not None and row["village_code"].startswith("330110010")
    assert row["village_from"] == "compound"
    assert out["village_from"][0] == "address"


def test_village_house_forms_compare_equal() -> None:
    out = parse_addresses(pl.Series(VILLAGE_FORMS))
    assert out["canonical"].to_list() == [VILLAGE_HOUSE] * len(VILLAGE_FORMS)
    assert out["kind"].unique().to_list() == ["village_house"]
    assert out["group"].to_list() == [3, 3, 3, 3]
    assert out["number"].to_list() == [56, 56, 56, 56]


def test_other_town_village_house() -> None:
    row = parse_addresses(pl.Series(["杭州市余杭区崇贤街道鸭兰村4组2号"])).row(0, named=True)
    assert (row["town"], row["village"], row["group"], row["number"]) == (
        "崇贤街道",
        "鸭兰村",
        4,
        2,
    )
    assert row["canonical"] == "杭州市余杭区崇贤街道鸭兰村4组2号"


def test_enterprise_road_address() -> None:
    out = parse_addresses(
        pl.Series(["杭州市余杭区良渚街道良渚大道123号", "良渚大道123号", "良渚良渚大道123号"])
    )
    row = out.row(0, named=True)
    assert (row["kind"], row["town"], row["road"], row["number"]) == (
        "road",
        "良渚街道",
        "良渚大道",
        123,
    )
    assert row["village"] is None
    assert out["canonical"][2] == out["canonical"][0]


def test_resettlement_compound_keeps_its_village_name() -> None:
    # 谢村苑 starts with the bare village name 谢村: no group follows, so it is a compound.
    out = parse_addresses(pl.Series(["良渚街道谢村村谢村苑5幢2单元301室", "良渚谢村苑5-2-301"]))
    assert out["compound"].to_list() == ["谢村苑", "谢村苑"]
    assert out["canonical"][0] == out["canonical"][1]


def test_compound_index_second_pass() -> None:
    learnt = parse_addresses(pl.Series([FLAT]), learn=False)
    index = CompoundIndex.build(learnt)
    assert len(index) == 1
    alone = parse_addresses(pl.Series(["良渚昌运里7-1-502"]), learn=False)
    assert alone["village"][0] is None  # nothing to learn from
    placed = parse_addresses(pl.Series(["良渚昌运里7-1-502"]), index=index, learn=False)
    assert placed["canonical"][0] == "杭州市余杭区良渚街道谢村村昌运里7幢1单元502室"
    # No town either: a compound known in one town only places the address.
    no_town = parse_addresses(pl.Series(["昌运里7-1-502"]), index=index, learn=False)
    assert no_town["canonical"][0] == "杭州市余杭区良渚街道谢村村昌运里7幢1单元502室"
    merged = index.merge(CompoundIndex.build(parse_addresses(pl.Series(VILLAGE_FORMS))))
    assert len(merged) == 1


def test_places_and_areas() -> None:
    out = parse_addresses(
        pl.Series(["良渚街道逸居城社区", "运河东新村东新苑二期附近", "", None, "abc"])
    )
    assert out["kind"].to_list() == ["area", "place", "unparsed", None, "unparsed"]
    assert out["canonical"].to_list()[:2] == [
        "杭州市余杭区良渚街道逸居城社区",
        "杭州市余杭区运河街道东新村东新苑二期附近",
    ]
    assert out["canonical"][2] is None
    assert out["canonical"][4] == "abc"


def test_canonical_address_scalar() -> None:
    assert canonical_address("良渚谢村三组56号") == VILLAGE_HOUSE
    assert canonical_address(None) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("二十一", 21), ("两", 2), ("12", 12),
     ("一十五", 15), ("九十九", 99), ("", None), ("十十", None), ("abc", None)],
)  # fmt: skip
def test_chinese_numerals(text: str, value: int | None) -> None:
    assert chinese_numeral(text) == value


def test_gazetteer_aliases() -> None:
    gaz = load_gazetteer()
    assert gaz.town_alias["良渚"] == gaz.town_alias["良渚镇"] == gaz.town_alias["良渚街道"]
    assert len(gaz.town_name) == 20
    aliases = set(gaz.village_alias["alias"].to_list())
    assert {"谢村村委会", "谢村村", "谢村"} <= aliases


@st.composite
def house(draw: st.DrawFn) -> tuple[str, str, str]:
    """(town, village, canonical) for a random village or flat of the gazetteer."""
    gaz = load_gazetteer()
    code = draw(st.sampled_from(sorted(gaz.village_name)))
    town = gaz.town_name[gaz.village_town[code]]
    village = gaz.village_name[code]
    return town, village, code


@settings(max_examples=60, deadline=None)
@given(house(), st.integers(1, 18), st.integers(1, 99), st.sampled_from(["full", "short", "old"]))
def test_every_village_group_form_parses(
    place: tuple[str, str, str], group: int, number: int, form: str
) -> None:
    town, village, code = place
    canonical = f"杭州市余杭区{town}{village}{group}组{number}号"
    short_town = town.removesuffix("街道").removesuffix("镇")
    numeral = (
        "一二三四五六七八九十"[group - 1] if group <= 10 else f"十{'一二三四五六七八'[group - 11]}"
    )
    written = {
        "full": canonical,
        "short": f"{short_town}{village.removesuffix('村')}{numeral}组{number}号",
        "old": f"余杭区{short_town}镇{village}{group}组{number}号",
    }[form]
    if form == "short" and not village.endswith("村"):
        written = f"{short_town}{village}{numeral}组{number}号"
    row = parse_addresses(pl.Series([written])).row(0, named=True)
    assert row["village_code"] == code, written
    assert row["canonical"] == canonical, written


def test_numeral_table_covers_standard_spellings() -> None:
    from zhili.hub.standardize.address import _numerals

    digits = "〇一二三四五六七八九"
    for n in range(1, 100):
        tens, ones = divmod(n, 10)
        if tens == 0:
            spelled = digits[ones]
        else:
            spelled = ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
        assert _numerals()[spelled] == n
    assert "十十" not in _numerals()


def test_town_alias_does_not_swallow_the_village() -> None:
    # 百丈镇东社区 is 百丈 + 镇东社区 (a community of 百丈镇), not 百丈镇 + 东社区.
    row = parse_addresses(pl.Series(["百丈镇东社区一组1号"])).row(0, named=True)
    assert (row["town"], row["village"]) == ("百丈镇", "镇东社区")
    assert row["canonical"] == "杭州市余杭区百丈镇镇东社区1组1号"


def test_null_and_empty_columns() -> None:
    for values in (pl.Series([None, None], dtype=pl.String), pl.Series([], dtype=pl.String)):
        out = parse_addresses(values)
        assert out.height == values.len()
        assert out["canonical"].null_count() == values.len()
