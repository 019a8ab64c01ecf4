"""余杭区城市管理局 (综合行政执法局): the digital city-management system (数字城管), whose case
files come from inspectors on patrol, citizens' complaints and video patrols.

Also home to the place helpers that other event systems of this package share (hotline, fire,
mediation): where an event happened in words (town, village, a road or a compound) and which
events citizens phoned in to 12345.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from zhili.geo.coords import wgs84_to_gcj02
from zhili.twin.sampling import pick_in_groups
from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import concat, town_short
from zhili.twin.world import World

DEPARTMENT = "余杭区城市管理局"

# Share of urban-management and construction events that citizens phoned in to 12345.
PHONED_IN_SHARE = 0.20
# 部件 (street furniture and facilities) against 事件 (behaviour and conditions).
_COMPONENTS = {"井盖破损", "道路破损"}


def phoned_in(event_ids: pl.Series, share: float = PHONED_IN_SHARE) -> np.ndarray:
    """Which events a citizen phoned in: a fixed hash of the event id, so the city-management
    system (问题来源 市民投诉) and the 12345 hotline agree on the same events."""
    num = event_ids.str.slice(2).cast(pl.UInt64).to_numpy()
    h = (num * np.uint64(2654435761)) % np.uint64(2**32)
    return h < np.uint64(int(share * 2**32))


def blank(values: pl.Series, rng: np.random.Generator, rate: float) -> pl.Series:
    """Blank a share of the values. (noise.blank round-trips through a numpy object array,
    which polars refuses to cast to Utf8 when the first value is null.)"""
    mask = pl.Series(rng.random(values.len()) < rate)
    return pl.select(pl.when(mask).then(None).otherwise(values).alias(values.name)).to_series()


def null_safe(
    fn: Callable[..., pl.Series],
    values: pl.Series,
    rng: np.random.Generator,
    *args: Any,
    missing: float = 0.0,
    **kw: Any,
) -> pl.Series:
    """Apply a noise function to a column that may hold nulls (for the reason above), then
    blank `missing` of it."""
    nulls = values.is_null()
    out = fn(values.fill_null(""), rng, *args, **kw)
    out = pl.select(pl.when(nulls).then(None).otherwise(out).alias(values.name)).to_series()
    return blank(out, rng, missing)


def sequence_within(groups: pl.Series) -> pl.Series:
    """1, 2, 3, ... within each group, in row order (a register's running number per day or
    per year)."""
    frame = pl.DataFrame({"g": groups})
    return frame.select(pl.int_range(1, pl.len() + 1).over("g").alias("seq")).to_series()


def event_places(world: World, events: pl.DataFrame) -> pl.DataFrame:
    """town_code, town_name, village_code, village_name (short form, 谢村村 / 西大街社区) of
    each event's grid, in the events' order."""
    g = world.layout.grids.select(pl.col("code").alias("grid_code"), "village_code")
    v = world.layout.villages.select(
        pl.col("code").alias("village_code"), pl.col("short_name").alias("village_name")
    )
    t = world.layout.towns.select(
        pl.col("code").alias("town_code"), pl.col("name").alias("town_name")
    )
    return (
        events.select("grid_code", "town_code")
        .join(g, on="grid_code", how="left", maintain_order="left")
        .join(v, on="village_code", how="left", maintain_order="left")
        .join(t, on="town_code", how="left", maintain_order="left")
        .select("town_code", "town_name", "village_code", "village_name")
    )


def roads_by_town(world: World) -> tuple[np.ndarray, np.ndarray]:
    """(town_code, road) pairs: the roads that enterprise addresses name in each town."""
    e = world["enterprises"].select("town_code", "address")
    t = world.layout.towns.select(
        pl.col("code").alias("town_code"), pl.col("name").alias("town_name")
    )
    roads = (
        e.join(t, on="town_code", how="left")
        .select(
            "town_code",
            road=pl.col("address")
            .str.strip_prefix("杭州市余杭区")
            .str.strip_prefix(pl.col("town_name"))
            .str.replace(r"\d+号$", ""),
        )
        .unique()
        .sort("town_code", "road")
    )
    return roads["town_code"].to_numpy(), roads["road"].to_numpy()


def street_spots(world: World, places: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """A spot as a caller or inspector names it: a compound of the village, a road's number, a
    crossing or "near" a road of the town."""
    n = places.height
    town = places["town_code"]
    c = world["compounds"]
    compound = pick_in_groups(c["village_code"], c["name"], places["village_code"], rng)
    rt, rn = roads_by_town(world)
    road = pick_in_groups(rt, rn, town, rng)
    road2 = pick_in_groups(rt, rn, town, rng)
    number = rng.integers(1, 600, n)
    suffix = np.array(["门口", "旁", "对面", "附近", "东侧", "西侧", "路段"], dtype=object)
    kind = rng.random(n)
    spot = np.where(
        kind < 0.25,
        road.astype(str) + number.astype(str) + "号",
        np.where(
            kind < 0.40,
            road.astype(str) + "与" + road2.astype(str) + "交叉口",
            road.astype(str) + suffix[rng.integers(0, suffix.size, n)],
        ),
    )
    use_compound = (compound != None) & (rng.random(n) < 0.45)  # noqa: E711
    spot = np.where(use_compound, compound.astype(str) + suffix[rng.integers(0, 4, n)], spot)
    spot = np.where((road == None) & ~use_compound, None, spot)  # noqa: E711
    return pl.Series("spot", spot, dtype=pl.Utf8)


def _units(category: pl.Series, town: pl.Series) -> pl.Series:
    ts = town_short(town)
    squad = concat(ts, "综合行政执法中队")
    return (
        pl.DataFrame({"c": category, "squad": squad, "t": town})
        .select(
            pl.when(pl.col("c") == "暴露垃圾")
            .then(pl.format("{}环境卫生管理所", pl.col("t")))
            .when(pl.col("c") == "井盖破损")
            .then(pl.lit("杭州余杭水务有限公司"))
            .when(pl.col("c") == "道路破损")
            .then(pl.lit("余杭区市政设施管理中心"))
            .otherwise(pl.col("squad"))
        )
        .to_series()
        .alias("unit")
    )


def _cases(world: World, rng: np.random.Generator) -> list[Table]:
    """案卷: one per urban-management event, with where, what, who handles it and when it closed."""
    e = world["events_history"].filter(pl.col("family") == "urban")
    n = e.height
    places = event_places(world, e)
    spot = street_spots(world, places, rng)
    where = concat(town_short(places["town_name"]), places["village_name"], spot, ignore_nulls=True)
    x, y = wgs84_to_gcj02(e["lon"].to_numpy(), e["lat"].to_numpy())
    citizen = phoned_in(e["event_id"])
    year = e["occurred_at"].dt.year().to_numpy()
    video_share = np.where(year >= 2018, 0.30, np.where(year == 2017, 0.18, 0.08))
    source = np.where(
        citizen, "市民投诉", np.where(rng.random(n) < video_share, "视频发现", "监督员上报")
    )
    cat = e["category"]
    day = e["occurred_at"].dt.strftime("%Y%m%d")
    case_no = concat(day, sequence_within(day).cast(pl.Utf8).str.zfill(4))
    # Hours to close: minutes for a stall, weeks for an illegal extension.
    slow = cat.is_in(["违章搭建", "道路破损"]).to_numpy()
    hours = rng.lognormal(np.where(slow, 4.5, 2.2), 0.9, n)
    closed = e["occurred_at"] + pl.Series(
        (hours * 3_600_000).astype(np.int64).astype("timedelta64[ms]")
    )
    status = np.where(
        rng.random(n) < 0.035,
        "已作废",
        np.where(slow & (rng.random(n) < 0.08), "处置中", "已结案"),
    )
    closed = closed.to_frame("c").select(
        pl.when(pl.Series(status == "已结案")).then(pl.col("c")).otherwise(None)
    )
    rows = pl.DataFrame(
        {
            "record_id": concat("U", e["event_id"].str.slice(2)),
            "案卷编号": case_no,
            "上报时间": noise.datetimes(e["occurred_at"], "slash"),
            "问题来源": source,
            "大类": np.where(cat.is_in(list(_COMPONENTS)).to_numpy(), "部件", "事件"),
            "小类": cat,
            "地址描述": where,
            "X": np.round(x, 6),
            "Y": np.round(y, 6),
            "处置单位": _units(cat, places["town_name"]),
            "结案时间": noise.datetimes(closed.to_series(), "slash"),
            "状态": status,
            "__event": e["event_id"],
        }
    )
    return [Table("cases", noise.duplicates(rows, rng, 0.012))]


SYSTEMS = [
    SourceSystem(
        "urban_management",
        DEPARTMENT,
        "数字城管信息系统",
        "csv-utf8-bom",
        _cases,
        "Digital city-management case files 2016-2018; X/Y are GCJ-02 (Gaode) coordinates.",
    ),
]
