from __future__ import annotations

from collections import Counter

from zhili.geo import DISTRICT_CODE, load_divisions
from zhili.geo.divisions import LINPING, YUHANG, load_counties, short_name


def test_twenty_towns_with_real_codes() -> None:
    towns, _ = load_divisions()
    assert len(towns) == 20
    assert len({t.code for t in towns}) == 20
    assert all(t.code.startswith(DISTRICT_CODE) and len(t.code) == 9 for t in towns)
    names = {t.code: t.name for t in towns}
    assert names["330110010"] == "良渚街道"
    assert names["330110001"] == "临平街道"
    assert names["330110111"] == "鸬鸟镇"
    kinds = Counter(t.kind for t in towns)
    assert kinds == {"street": 14, "town": 6}
    assert all((t.kind == "street") == t.name.endswith("街道") for t in towns)


def test_367_villages_with_real_codes() -> None:
    towns, villages = load_divisions()
    assert len(villages) == 367
    assert len({v.code for v in villages}) == 367
    town_codes = {t.code for t in towns}
    for v in villages:
        assert len(v.code) == 12 and v.code[:9] == v.town_code
        assert v.town_code in town_codes
        assert v.kind in ("community", "village")
    xie = next(v for v in villages if v.code == "330110010248")
    assert (xie.name, xie.short_name, xie.kind) == ("谢村村委会", "谢村村", "village")
    assert Counter(v.kind for v in villages) == {"community": 189, "village": 178}
    # every town has at least one community (its seat)
    assert {v.town_code for v in villages if v.kind == "community"} == town_codes


def test_short_name() -> None:
    assert short_name("谢村村委会") == "谢村村"
    assert short_name("星火社区居委会") == "星火社区"
    assert short_name("西大街社区") == "西大街社区"
    assert short_name("某某居委会") == "某某"


def test_counties() -> None:
    counties = load_counties()
    assert set(counties) == {LINPING, YUHANG}
    assert all(c.is_valid and c.geom_type == "Polygon" for c in counties.values())
    assert counties[LINPING].intersection(counties[YUHANG]).area < 1e-6
