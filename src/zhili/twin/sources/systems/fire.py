"""余杭区消防救援大队: the fire-supervision system (消防监督管理), with the brigade's inspections of
premises and its record of fires (火灾) with their GCJ-02 map positions."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.geo.coords import wgs84_to_gcj02
from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import concat
from zhili.twin.sources.systems.urban import blank, event_places, null_safe, sequence_within
from zhili.twin.text import text
from zhili.twin.world import World

DEPARTMENT = "余杭区消防救援大队"

# Sections the brigade inspects: manufacturing, retail, catering, transport and warehousing.
_INSPECTED = ["C", "F", "H", "G"]
_KINDS = ["日常监督检查", "双随机抽查", "专项检查", "举报投诉核查"]
# Median burnt area (m²) by cause.
_AREA = {"电气火灾": 25.0, "电动自行车火灾": 6.0, "厨房火灾": 8.0, "垃圾起火": 3.0}


def _inspections(world: World, rng: np.random.Generator) -> pl.DataFrame:
    """About 30 % of the inspected sections, more of the distressed (who also have more
    hazards), some visited again; 2017 to mid-2019."""
    ents = world["enterprises"].filter(
        pl.col("industry").is_in(_INSPECTED) & (pl.col("status") == "存续")
    )
    d = ents["distress"].to_numpy()
    p = np.clip(0.27 + 0.08 * d, 0.05, 0.85)
    ents = ents.filter(pl.Series(rng.random(ents.height) < p))
    visits = 1 + rng.poisson(0.35, ents.height)
    ents = ents.select(pl.all().repeat_by(pl.Series(visits)).explode())
    n = ents.height
    day = np.datetime64("2017-01-01") + rng.integers(0, 911, n).astype("timedelta64[D]")
    ents = ents.with_columns(checked=pl.Series(day)).sort("checked", maintain_order=True)
    d = ents["distress"].to_numpy()
    hazards = rng.poisson(np.exp(-0.6 + 0.55 * d))
    sealed = (hazards >= 5) & (rng.random(n) < 0.3)
    result = np.where(hazards == 0, "合格", np.where(sealed, "临时查封", "发现隐患，责令限期整改"))
    days = np.where(sealed, 30, rng.choice([7, 15, 30], n, p=[0.2, 0.5, 0.3]))
    deadline = pl.select(
        pl.when(pl.Series(hazards > 0)).then(ents["checked"] + pl.duration(days=pl.Series(days)))
    ).to_series()
    address = pl.select(
        pl.when(pl.Series(rng.random(n) < 0.4))
        .then(ents["address"].str.replace("^杭州市余杭区", ""))
        .otherwise(ents["address"])
    ).to_series()
    ystr = ents["checked"].dt.year().cast(pl.Utf8)
    number = pl.select(
        pl.format("余消检字〔{}〕第{}号", ystr, sequence_within(ystr).cast(pl.Utf8).str.zfill(4))
    ).to_series()
    return pl.DataFrame(
        {
            "record_id": concat("XJ", ystr, sequence_within(ystr).cast(pl.Utf8).str.zfill(6)),
            "检查文书号": number,
            "单位名称": null_safe(noise.names, ents["name"], rng, homophone=0.006),
            "统一社会信用代码": blank(ents["credit_code"], rng, 0.15),
            "地址": address,
            "检查类型": text(np.array(_KINDS)[rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])]),
            "检查日期": noise.dates(ents["checked"], "iso"),
            "检查结果": result,
            "隐患数": hazards,
            "整改期限": noise.dates(deadline, "iso"),
            "__enterprise": ents["enterprise_id"],
        }
    )


def _fires(world: World, rng: np.random.Generator) -> pl.DataFrame:
    """火灾: the history family "fire", placed by town and village and on the GCJ-02 map."""
    e = world["events_history"].filter(pl.col("family") == "fire")
    n = e.height
    places = event_places(world, e)
    lon, lat = wgs84_to_gcj02(e["lon"].to_numpy(), e["lat"].to_numpy())
    sev = e["severity"].to_numpy()
    median = e["category"].replace_strict(_AREA, default=10.0).to_numpy()
    area = np.round(median * rng.lognormal(0, 0.9, n) * np.where(sev >= 4, 6, 1), 1)
    hurt = np.where(sev >= 3, rng.poisson(np.where(sev >= 4, 1.5, 0.3)), 0)
    dead = np.where(sev >= 4, rng.binomial(1, 0.15, n), 0)
    casualties = np.where(
        (hurt == 0) & (dead == 0),
        "无",
        np.char.add(
            np.where(dead > 0, np.char.add(np.char.add("亡", dead.astype(str)), "人"), ""),
            np.where(hurt > 0, np.char.add(np.char.add("伤", hurt.astype(str)), "人"), ""),
        ),
    )
    day = e["occurred_at"].dt.strftime("%Y%m%d")
    return pl.DataFrame(
        {
            "record_id": e["event_id"].str.replace("^EV", "HZ"),
            "火警编号": concat("330110", day, sequence_within(day).cast(pl.Utf8).str.zfill(3)),
            "起火时间": noise.datetimes(e["occurred_at"], "space"),
            "起火地址": concat(places["town_name"], places["village_name"]),
            "起火原因": e["category"],
            "过火面积": area,
            "伤亡": casualties,
            "出动车辆": 1 + rng.poisson(np.where(sev >= 3, 3.0, 1.0)),
            "经度": np.round(lon, 6),
            "纬度": np.round(lat, 6),
            "__event": e["event_id"],
        }
    )


def _render(world: World, rng: np.random.Generator) -> list[Table]:
    inspections = noise.duplicates(_inspections(world, rng), rng, 0.004)
    return [Table("inspections", inspections), Table("fires", _fires(world, rng))]


SYSTEMS = [
    SourceSystem(
        "fire",
        DEPARTMENT,
        "消防监督管理系统",
        "csv-utf8",
        _render,
        "Fire-safety inspections of premises (2017-2019H1) and fires 2016-2018; fire "
        "positions (经度/纬度) are GCJ-02, not WGS-84.",
    ),
]
