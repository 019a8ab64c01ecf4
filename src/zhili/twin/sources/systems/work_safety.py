"""余杭区应急管理局: the work-safety supervision system (安全生产监管), one record per enterprise
inspection: the hazards found, their grade and the rectification deadline."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.systems.urban import blank, null_safe, sequence_within
from zhili.twin.text import text
from zhili.twin.world import World

DEPARTMENT = "余杭区应急管理局"
CLEAN = "未发现隐患"


def _clean_inspections(world: World, rng: np.random.Generator, checked: pl.Series) -> pl.DataFrame:
    """Routine inspections of manufacturers that found nothing (15 % of those without a hazard
    event), dated across 2016-2018."""
    ents = world["enterprises"].filter(
        (pl.col("industry") == "C")
        & (pl.col("status") == "存续")
        & ~pl.col("enterprise_id").is_in(checked.implode())
    )
    ents = ents.filter(pl.Series(rng.random(ents.height) < 0.15))
    n = ents.height
    day = np.datetime64("2016-01-01") + rng.integers(0, 1096, n).astype("timedelta64[D]")
    seconds = rng.integers(8 * 3600, 17 * 3600, n)
    when = day.astype("datetime64[ms]") + (seconds * 1000).astype("timedelta64[ms]")
    return pl.DataFrame(
        {
            "occurred_at": when,
            "category": pl.Series([CLEAN] * n, dtype=pl.Utf8),
            "severity": np.ones(n, dtype=np.int8),
            "event_id": pl.Series([None] * n, dtype=pl.Utf8),
            "enterprise_id": ents["enterprise_id"],
        }
    )


def _inspections(world: World, rng: np.random.Generator) -> list[Table]:
    """检查记录: hazard events on enterprises, and clean routine inspections."""
    e = world["events_history"].filter(pl.col("family") == "work_safety")
    cols = ["occurred_at", "category", "severity", "event_id", "enterprise_id"]
    hazards = e.select(cols)
    clean = _clean_inspections(world, rng, hazards["enterprise_id"].drop_nulls().unique())
    r = pl.concat([hazards, clean.select(cols)]).sort("occurred_at", maintain_order=True)
    n = r.height
    ents = world["enterprises"].select(
        "enterprise_id", "name", "credit_code", "industry_name", "distress"
    )
    f = r.select("enterprise_id").join(ents, on="enterprise_id", how="left", maintain_order="left")
    found = (r["category"] != CLEAN).to_numpy()
    major = found & ((r["severity"].to_numpy() >= 3) | (rng.random(n) < 0.05))
    grade = np.where(found, np.where(major, "重大", "一般"), None)
    days = np.where(major, rng.integers(60, 91, n), rng.integers(7, 31, n))
    deadline = pl.select(r["occurred_at"].dt.date() + pl.duration(days=pl.Series(days))).to_series()
    # Distressed enterprises let deadlines pass.
    overdue = found & (
        rng.random(n) < 1 / (1 + np.exp(-(f["distress"].fill_null(0).to_numpy() - 3.0)))
    )
    pending = found & ~overdue & (deadline > dt.date(2018, 12, 31)).to_numpy()
    status = np.where(
        ~found, "无需整改", np.where(overdue, "逾期未整改", np.where(pending, "整改中", "已整改"))
    )
    ystr = r["occurred_at"].dt.year().cast(pl.Utf8)
    number = pl.format("AJ{}{}", ystr, sequence_within(ystr).cast(pl.Utf8).str.zfill(6))
    record = pl.select(number).to_series()
    rows = pl.DataFrame(
        {
            "record_id": record,
            "检查编号": record,
            "检查日期": noise.dates(r["occurred_at"], "slash"),
            "企业名称": null_safe(noise.names, f["name"], rng, homophone=0.008),
            "统一社会信用代码": blank(f["credit_code"], rng, 0.04),
            "行业": f["industry_name"],
            "隐患描述": r["category"],
            "隐患等级": text(grade),
            "整改期限": noise.dates(
                pl.select(pl.when(pl.Series(found)).then(deadline)).to_series(), "slash"
            ),
            "整改状态": status,
            "__enterprise": r["enterprise_id"],
            "__event": r["event_id"],
        }
    )
    return [Table("inspections", noise.duplicates(rows, rng, 0.005))]


SYSTEMS = [
    SourceSystem(
        "work_safety",
        DEPARTMENT,
        "安全生产监管信息系统",
        "csv-utf8",
        _inspections,
        "Enterprise work-safety inspections 2016-2018 with hazards, grades and rectification.",
    ),
]
