"""杭州市12345市长公开电话 (余杭分中心): the government service hotline's work orders, from
residents' own calls and from the city-management and construction complaints they phone in."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import concat, town_short
from zhili.twin.sources.systems.mediation import residents_of_towns
from zhili.twin.sources.systems.urban import (
    event_places,
    null_safe,
    phoned_in,
    sequence_within,
    street_spots,
)
from zhili.twin.text import text
from zhili.twin.world import World

DEPARTMENT = "杭州市12345市长公开电话（余杭分中心）"

# Category -> (the unit that handles it, {} = the town; a complaint sentence, {} = the place).
_HANDLING: dict[str, tuple[str, str]] = {
    "供水": ("杭州余杭水务有限公司", "{}停水，家里一直没有水，请尽快恢复供水"),
    "供电": ("国网杭州市余杭区供电公司", "{}经常停电，影响正常生活，请供电部门处理"),
    "燃气": ("杭州余杭燃气有限公司", "{}燃气管道有异味，担心漏气，请派人检查"),
    "噪声": ("{}", "{}夜间噪声扰民，严重影响休息，要求处理"),
    "物业服务": ("{}", "反映{}物业服务差，小区卫生和门禁无人管理"),
    "交通出行": ("余杭区交通运输局", "{}公交班次太少，出行不便，建议增加班次"),
    "教育咨询": ("余杭区教育局", "咨询{}附近子女入学政策和学区划分"),
    "社保咨询": ("余杭区人力资源和社会保障局", "咨询社保缴费和转移接续，本人住{}"),
    "占道经营": ("余杭区城市管理局", "{}有流动摊贩占道经营，影响通行"),
    "乱堆物料": ("余杭区城市管理局", "{}长期乱堆物料，无人清理"),
    "违章搭建": ("余杭区城市管理局", "举报{}有人违章搭建，请城管部门查处"),
    "暴露垃圾": ("余杭区城市管理局", "{}垃圾堆积发臭，很久没人清运"),
    "井盖破损": ("杭州余杭水务有限公司", "{}井盖破损，存在安全隐患"),
    "道路破损": ("余杭区城市管理局", "{}路面破损坑洼，雨天积水"),
    "乱张贴": ("余杭区城市管理局", "{}墙上乱张贴小广告，影响市容"),
    "工地扬尘": ("余杭区住房和城乡建设局", "{}工地扬尘严重，附近居民无法开窗"),
    "夜间施工": ("余杭区住房和城乡建设局", "{}工地夜间施工，噪声扰民，要求查处"),
    "质量投诉": ("余杭区住房和城乡建设局", "{}新房质量有问题，墙面开裂渗水"),
    "拖欠工程款": ("余杭区住房和城乡建设局", "{}工地拖欠工程款和工人工资，要求协调"),
}
# The hotline's own first-level classes (诉求类别 is written "class>>category").
_CLASS = {
    "供水": "公用事业",
    "供电": "公用事业",
    "燃气": "公用事业",
    "噪声": "环境保护",
    "物业服务": "住房管理",
    "交通出行": "交通运输",
    "教育咨询": "教育",
    "社保咨询": "劳动和社会保障",
}


def _orders(world: World, rng: np.random.Generator) -> list[Table]:
    """工单: one per call, with who called from which number, about what and where, who
    handled it and how satisfied the caller was on the return visit."""
    h = world["events_history"]
    citizen = h["family"].is_in(["urban", "construction"]).to_numpy() & phoned_in(h["event_id"])
    e = h.filter(pl.Series((h["family"] == "hotline").to_numpy() | citizen))
    n = e.height
    places = event_places(world, e)
    # Callers about street problems are residents of the town (the event names nobody).
    caller = e["person_id"].to_numpy().copy()
    none = caller == None  # noqa: E711
    caller[none] = residents_of_towns(world, e["town_code"].to_numpy()[none], rng)
    persons = world["persons"].select("person_id", "name", "surname", "sex", "phone", "phone2")
    p = pl.DataFrame({"person_id": text(caller)}).join(
        persons, on="person_id", how="left", maintain_order="left"
    )
    # Some call from their second number, a few from a landline.
    number = p["phone"].fill_null(p["phone2"])
    second = p["phone2"].is_not_null() & pl.Series(rng.random(n) < 0.3)
    number = pl.select(pl.when(second).then(p["phone2"]).otherwise(number)).to_series()
    number = null_safe(
        noise.phones,
        number,
        rng,
        {"plain": 0.55, "intl": 0.15, "spaced": 0.1, "prefixed": 0.15, "dashed": 0.05},
    )
    landline = concat("0571-8", text(rng.integers(1000000, 9999999, n).astype(str).tolist()))
    number = pl.select(
        pl.when(pl.Series(rng.random(n) < 0.04) | number.is_null()).then(landline).otherwise(number)
    ).to_series()
    # Callers give a full name, or only the surname, or nothing.
    title = p["sex"].replace_strict({"M": "先生", "F": "女士"}, default="先生")
    r = rng.random(n)
    who = pl.select(
        pl.when(pl.Series(r < 0.55))
        .then(concat(p["surname"], title))
        .when(pl.Series(r < 0.95))
        .then(p["name"])
        .otherwise(pl.lit("匿名"))
    ).to_series()
    who = null_safe(noise.names, who, rng, homophone=0.02)

    spot = street_spots(world, places, rng)
    tshort = town_short(places["town_name"])
    where = concat(tshort, places["village_name"], spot, ignore_nulls=True)
    cat = e["category"]
    unit_tpl = cat.replace_strict({k: v[0] for k, v in _HANDLING.items()})
    unit = pl.select(
        pl.when(unit_tpl == "{}").then(places["town_name"]).otherwise(unit_tpl)
    ).to_series()
    sentence = cat.replace_strict({k: v[1] for k, v in _HANDLING.items()})
    # Where a resident names their place: the village for utilities, the spot for the street.
    village_place = concat(tshort, places["village_name"])
    place = pl.select(
        pl.when(cat.is_in(["供水", "供电", "燃气", "物业服务", "教育咨询", "社保咨询"]))
        .then(village_place)
        .otherwise(where)
    ).to_series()
    content = pl.DataFrame({"s": sentence, "p": place}).select(
        pl.col("s").str.replace("{}", pl.col("p"), literal=True)
    )
    top = pl.select(
        pl.when(e["family"] == "urban")
        .then(pl.lit("城市管理"))
        .when(e["family"] == "construction")
        .then(pl.lit("城乡建设"))
        .otherwise(cat.replace_strict(_CLASS, default="其他"))
    ).to_series()
    kind = concat(top, ">>", cat)
    # Calls are logged a few minutes after what they report.
    called = e["occurred_at"] + pl.Series(
        (rng.integers(2, 90, n) * 60_000).astype("timedelta64[ms]")
    )
    days = np.minimum(rng.gamma(1.3, 2.5, n), 30)
    done = called + pl.Series((days * 86_400_000).astype(np.int64).astype("timedelta64[ms]"))
    satisfaction = np.where(
        rng.random(n) < 0.08,
        None,
        rng.choice(["满意", "基本满意", "不满意"], n, p=[0.72, 0.19, 0.09]),
    )
    day = called.dt.strftime("%Y%m%d")
    order_no = concat("YH", day, sequence_within(day).cast(pl.Utf8).str.zfill(5))
    rows = pl.DataFrame(
        {
            "record_id": e["event_id"].str.replace("^EV", "R"),
            "工单号": order_no,
            "来电时间": noise.datetimes(called, "space"),
            "来电号码": number,
            "来电人": who,
            "诉求类别": kind,
            "诉求内容": content.to_series(),
            "地址": where,
            "承办单位": unit,
            "办结时间": noise.datetimes(done, "space"),
            "满意度": text(satisfaction),
            "__person": text(caller),
            "__event": e["event_id"],
        }
    )
    return [Table("work_orders", noise.duplicates(rows, rng, 0.006))]


SYSTEMS = [
    SourceSystem(
        "hotline_12345",
        DEPARTMENT,
        "12345政务服务热线系统",
        "jsonl",
        _orders,
        "12345 hotline work orders 2016-2018: residents' requests and phoned-in street "
        "and construction complaints.",
    ),
]
