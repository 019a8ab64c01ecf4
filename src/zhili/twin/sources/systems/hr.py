"""余杭区人力资源和社会保障局: social-insurance contributions (社保缴费). Enterprises in
distress fall behind on contributions months before wages stop: a warning signal (M10)."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import record_ids
from zhili.twin.world import World

DEPARTMENT = "余杭区人力资源和社会保障局"


def _contributions(world: World, rng: np.random.Generator) -> list[Table]:
    p = world["persons"].filter(pl.col("employer_id").is_not_null())
    # Natives are nearly all insured; many migrants are not (a real gap the hub exposes).
    p = p.filter(pl.Series(rng.random(p.height) < np.where(p["migrant"].to_numpy(), 0.5, 0.85)))
    e = world["enterprises"].select(
        pl.col("enterprise_id").alias("employer_id"),
        "name",
        "credit_code",
        "distress",
        "registered_on",
    )
    p = p.join(e, on="employer_id", how="left", maintain_order="left", suffix="_unit")
    distress = p["distress"].to_numpy()
    # Months behind: usually 0; grows with the employer's distress.
    behind = np.where(
        rng.random(p.height) < 1 / (1 + np.exp(-(1.6 * distress - 3.0))),
        rng.integers(1, 7, p.height),
        0,
    )
    last_paid = pl.Series(
        (np.datetime64("2019-06", "M") - behind.astype("timedelta64[M]")).astype("datetime64[D]")
    ).dt.strftime("%Y%m")
    since = pl.Series(
        np.datetime64("2019-06-30") - rng.integers(60, 365 * 10, p.height).astype("timedelta64[D]")
    ).cast(pl.Date)
    base = np.round(
        np.clip(rng.lognormal(8.6, 0.35, p.height), 3321, 15_000), 0
    )  # 2019 Zhejiang base range
    unit_code = p["employer_id"].str.replace("^E", "33011").str.zfill(11)
    rows = pl.DataFrame(
        {
            "record_id": record_ids("SB", p.height, 9),
            "AAC001": pl.Series([f"33{v:010d}" for v in rng.permutation(p.height) + 1_000_000]),
            "AAC002": noise.id_numbers(p["id_number"], rng, swap=0.001, digit=0.001, lower_x=0.0),
            "AAC003": noise.names(p["name"], rng, homophone=0.003),
            "AAB001": unit_code,
            "AAB004": p["name_unit"],
            "AAB998": noise.blank(p["credit_code"], rng, 0.05),
            "AAC030": since.dt.strftime("%Y%m%d"),
            "JFJS": base,
            "ZHJFNY": last_paid,
            "QJYS": behind.astype(np.int16),
            "__person": p["person_id"],
            "__enterprise:employer": p["employer_id"],
        }
    )
    return [Table("contributions", rows)]


SYSTEMS = [
    SourceSystem(
        "hr_social_insurance",
        DEPARTMENT,
        "社会保险业务经办系统",
        "csv-utf8",
        _contributions,
        "Social-insurance contributions per insured employee (金保 column codes: "
        "AAC002 = ID number, "
        "AAB001 = unit number, ZHJFNY = last month paid, QJYS = months in arrears).",
    ),
]
