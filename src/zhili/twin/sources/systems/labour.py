"""余杭区人力资源和社会保障局: the labour-inspection system (劳动保障监察), where workers'
complaints against employers are registered, often with the employer's name as the worker
says it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.systems.urban import blank, null_safe, sequence_within
from zhili.twin.world import World

DEPARTMENT = "余杭区人力资源和社会保障局"

_RESULTS = {
    "拖欠工资": (
        ["已责令支付", "已协调支付", "已立案查处", "移送劳动仲裁", "不予受理"],
        [0.40, 0.32, 0.12, 0.10, 0.06],
    ),
    "未签劳动合同": (
        ["已责令改正", "移送劳动仲裁", "已调解结案", "不予受理"],
        [0.45, 0.25, 0.22, 0.08],
    ),
    "未缴社保": (
        ["已责令补缴", "已立案查处", "移交社保征缴", "不予受理"],
        [0.50, 0.15, 0.28, 0.07],
    ),
}


def spoken_names(names: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Enterprise names as workers say them: without 杭州 (or 杭州余杭), without 有限公司, or
    both."""
    n = names.len()
    r = rng.random(n)
    drop_both = pl.Series(r < 0.12)
    drop_city = pl.Series(r < 0.35)
    drop_form = pl.Series((r > 0.2) & (r < 0.5))
    return (
        pl.select(
            pl.when(drop_both)
            .then(names.str.replace("^杭州余杭", ""))
            .when(drop_city)
            .then(names.str.replace("^杭州", ""))
            .otherwise(names)
            .alias("name")
        )
        .select(
            pl.when(drop_form)
            .then(pl.col("name").str.replace("有限公司$", ""))
            .otherwise(pl.col("name"))
        )
        .to_series()
    )


def _complaints(world: World, rng: np.random.Generator) -> list[Table]:
    """投诉: the complainant, the employer named, what was owed and what came of it."""
    e = world["events_history"].filter(pl.col("family") == "labour")
    n = e.height
    persons = world["persons"].select("person_id", "name", "id_number", "birth_date", "phone")
    p = e.select("person_id").join(persons, on="person_id", how="left", maintain_order="left")
    ents = world["enterprises"].select(
        "enterprise_id", "name", "credit_code", "distress", "employees"
    )
    f = e.select("enterprise_id").join(ents, on="enterprise_id", how="left", maintain_order="left")
    cat = e["category"]
    wages = (cat == "拖欠工资").to_numpy()
    # Distressed employers owe more people; some workers complain together.
    distress = f["distress"].fill_null(0).to_numpy()
    together = rng.random(n) < 1 / (1 + np.exp(-(distress - 1.5)))
    staff = np.maximum(f["employees"].fill_null(1).to_numpy(), 1)
    people = np.where(together, np.minimum(2 + rng.geometric(0.15, n), np.maximum(staff, 2)), 1)
    months = rng.integers(1, 5, n)
    monthly = rng.normal(5200, 1200, n).clip(2200, 12000)
    owed = np.round(people * months * monthly / 10) * 10
    social = np.round(people * months * monthly * 0.3 / 10) * 10
    amount = np.where(wages, owed, np.where(cat == "未缴社保", social, np.nan))
    late = (e["occurred_at"] > dt.datetime(2018, 12, 1)).to_numpy()
    result = np.empty(n, dtype=object)
    for c, (labels, probs) in _RESULTS.items():
        idx = np.flatnonzero((cat == c).to_numpy())
        result[idx] = rng.choice(labels, idx.size, p=probs)
    result = np.where(late & (rng.random(n) < 0.55), "办理中", result)
    ystr = e["occurred_at"].dt.year().cast(pl.Utf8)
    number = pl.format("TS{}{}", ystr, sequence_within(ystr).cast(pl.Utf8).str.zfill(5))
    employer = spoken_names(f["name"], rng)
    rows = pl.DataFrame(
        {
            "record_id": e["event_id"].str.replace("^EV", "LD"),
            "投诉编号": pl.select(number).to_series(),
            "投诉日期": noise.dates(e["occurred_at"], "slash"),
            "投诉人": null_safe(noise.names, p["name"], rng, homophone=0.02, spaced=0.01),
            "投诉人身份证": null_safe(
                noise.id_numbers,
                p["id_number"],
                rng,
                p["birth_date"].dt.year().to_numpy(),
                swap=0.008,
                digit=0.008,
                lower_x=0.4,
                missing=0.04,
            ),
            "联系电话": null_safe(
                noise.phones,
                p["phone"],
                rng,
                {"plain": 0.9, "spaced": 0.05, "dashed": 0.05},
                missing=0.03,
            ),
            "被投诉单位": null_safe(noise.names, employer, rng, homophone=0.02),
            "统一社会信用代码": blank(f["credit_code"], rng, 0.30),
            "投诉事项": cat,
            "涉及人数": people,
            "涉及金额(元)": pl.Series(amount).fill_nan(None),
            "处理结果": result.astype(str),
            "__person": e["person_id"],
            "__enterprise": e["enterprise_id"],
            "__event": e["event_id"],
        }
    )
    return [Table("complaints", noise.duplicates(rows, rng, 0.01))]


SYSTEMS = [
    SourceSystem(
        "labour_inspection",
        DEPARTMENT,
        "劳动保障监察系统",
        "xlsx",
        _complaints,
        "Labour-inspection complaints 2016-2018 (wage arrears, contracts, social insurance); "
        "employers named as complainants say them.",
    ),
]
