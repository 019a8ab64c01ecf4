"""About 790,000 historical events over 2016-2018, with the category mix of a district's event
centre and the trends the seed reports: criminal cases, fires, traffic accidents and petitions
fell by 25 % or more in 2018 in every town, while urban-management cases and hotline calls grew.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.geo import DistrictLayout
from zhili.twin import spec as S
from zhili.twin.rng import stream
from zhili.twin.spec import TwinSpec
from zhili.twin.text import text

# family: (share of 2016, system that records it, 2017 factor, 2018-vs-2017 factor range)
FAMILIES: dict[str, tuple[float, str, float, tuple[float, float]]] = {
    "criminal": (0.060, "police_incidents", 1.04, (0.58, 0.74)),
    "public_order": (0.100, "police_incidents", 1.02, (0.80, 0.95)),
    "fire": (0.012, "fire", 1.03, (0.56, 0.73)),
    "traffic_accident": (0.120, "traffic", 1.05, (0.60, 0.74)),
    "petition": (0.040, "petitions", 1.01, (0.58, 0.74)),
    "dispute": (0.100, "mediation", 1.06, (0.95, 1.10)),
    "urban": (0.300, "urban_management", 1.10, (1.05, 1.15)),
    "hotline": (0.180, "hotline_12345", 1.18, (1.12, 1.25)),
    "labour": (0.030, "labour_inspection", 1.05, (0.90, 1.05)),
    "work_safety": (0.040, "work_safety", 1.08, (1.00, 1.10)),
    "construction": (0.018, "housing_construction", 1.05, (0.95, 1.05)),
}
SUBCATEGORIES: dict[str, list[str]] = {
    "criminal": ["盗窃", "诈骗", "故意伤害", "抢夺", "入室盗窃", "电信诈骗"],
    "public_order": ["打架斗殴", "噪音扰民", "赌博", "寻衅滋事"],
    "fire": ["电气火灾", "电动自行车火灾", "厨房火灾", "垃圾起火"],
    "traffic_accident": ["机动车追尾", "机非事故", "行人事故", "单车事故", "工程车事故"],
    "petition": ["征地拆迁", "房产纠纷", "劳资纠纷", "环境污染", "涉法涉诉"],
    "dispute": ["邻里纠纷", "婚姻家庭纠纷", "物业纠纷", "劳动争议", "损害赔偿纠纷", "土地纠纷"],
    "urban": ["占道经营", "乱堆物料", "违章搭建", "暴露垃圾", "井盖破损", "道路破损", "乱张贴"],
    "hotline": ["供水", "供电", "燃气", "噪声", "物业服务", "交通出行", "教育咨询", "社保咨询"],
    "labour": ["拖欠工资", "未签劳动合同", "未缴社保"],
    "work_safety": ["消防通道堵塞", "违规动火", "危化品存放", "特种设备隐患"],
    "construction": ["工地扬尘", "夜间施工", "质量投诉", "拖欠工程款"],
}


def build_history(spec: TwinSpec, layout: DistrictLayout) -> pl.DataFrame:
    rng = stream(spec.seed, "history")
    towns = layout.towns
    grids = layout.grids
    total = spec.count(S.HISTORY_EVENTS, minimum=300)
    # Per town, per family, per year: expected counts with the town's own 2018 change.
    rows = []
    base_sum = sum(f[0] * (1 + f[2] + f[2] * np.mean(f[3])) for f in FAMILIES.values())
    per_base = total / base_sum
    for t in towns.iter_rows(named=True):
        for fam, (share, _system, f17, (lo, hi)) in FAMILIES.items():
            b = per_base * share * t["pop_weight"]
            f18 = rng.uniform(lo, hi)
            for year, mult in ((2016, 1.0), (2017, f17), (2018, f17 * f18)):
                rows.append((t["code"], fam, year, rng.poisson(b * mult)))
    plan = pl.DataFrame(rows, schema=["town_code", "family", "year", "n"], orient="row")
    n = int(plan["n"].sum())
    town = np.repeat(plan["town_code"].to_numpy(), plan["n"].to_numpy())
    family = np.repeat(plan["family"].to_numpy(), plan["n"].to_numpy())
    year = np.repeat(plan["year"].to_numpy(), plan["n"].to_numpy())
    # A grid of the town, by population.
    gtown = grids["town_code"].to_numpy()
    gw = grids["pop_weight"].to_numpy()
    grid = np.empty(n, dtype=np.int64)
    for tc in np.unique(town):
        idx = np.flatnonzero(town == tc)
        cand = np.flatnonzero(gtown == tc)
        grid[idx] = rng.choice(cand, idx.size, p=gw[cand] / gw[cand].sum())
    lon, lat = layout.sample_points(grid, rng)
    day = rng.integers(0, 365, n)
    # Events happen in the day more than at night.
    hour = rng.choice(24, n, p=_HOURLY)
    ts = (
        (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day.astype("timedelta64[D]")
    ).astype("datetime64[s]") + (hour * 3600 + rng.integers(0, 3600, n)).astype("timedelta64[s]")
    sub = _vector_sub(rng, family)
    system = text(family).replace_strict({f: v[1] for f, v in FAMILIES.items()})
    severity = np.where(
        np.isin(family, ["criminal", "fire"]),
        rng.choice([2, 3, 4], n, p=[0.6, 0.3, 0.1]),
        rng.choice([1, 2, 3], n, p=[0.7, 0.25, 0.05]),
    )
    order = np.argsort(ts, kind="stable")
    events = pl.DataFrame(
        {
            "occurred_at": ts.astype("datetime64[ms]"),
            "family": family,
            "category": text(sub),
            "system": system,
            "town_code": town,
            "grid_code": grids["code"].to_numpy()[grid],
            "lon": lon,
            "lat": lat,
            "severity": severity.astype(np.int8),
        }
    )[order]
    return events.with_columns(
        event_id=pl.format("EV{}", pl.int_range(1, n + 1).cast(pl.Utf8).str.zfill(8))
    )


def _vector_sub(rng: np.random.Generator, family: np.ndarray) -> np.ndarray:
    out = np.empty(family.size, dtype=object)
    for f, subs in SUBCATEGORIES.items():
        idx = np.flatnonzero(family == f)
        out[idx] = np.array(subs, dtype=object)[rng.integers(0, len(subs), idx.size)]
    return out


_H = np.array(
    [
        1,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1.2,
        2.5,
        4,
        5,
        5.5,
        5.5,
        5,
        5,
        5.5,
        5.5,
        5.5,
        5,
        4.5,
        4,
        3.5,
        3,
        2.2,
        1.5,
    ]
)
_HOURLY = _H / _H.sum()
