"""余杭区信访局: the petition (信访) information system, where visits, letters and online
petitions are registered by clerks who copy the petitioner's papers by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import concat, houses_for
from zhili.twin.sources.systems.urban import null_safe, sequence_within
from zhili.twin.world import World

DEPARTMENT = "余杭区信访局"

# How likely a petition of each kind comes as a group visit (集体访, five people or more).
_GROUP_P = {
    "征地拆迁": 0.22,
    "劳资纠纷": 0.18,
    "环境污染": 0.12,
    "房产纠纷": 0.06,
    "涉法涉诉": 0.02,
}


def _petitions(world: World, rng: np.random.Generator) -> list[Table]:
    """信访件: who petitioned, how, about what and which town the matter belongs to."""
    e = world["events_history"].filter(pl.col("family") == "petition")
    n = e.height
    persons = world["persons"].select(
        "person_id", "name", "id_number", "birth_date", "phone", "house_id", "prev_house_id"
    )
    p = e.select("person_id").join(persons, on="person_id", how="left", maintain_order="left")
    # Petitioners give the address on their papers: for movers often the old one.
    stale = p["prev_house_id"].is_not_null() & pl.Series(rng.random(n) < 0.5)
    house = pl.select(pl.when(stale).then(p["prev_house_id"]).otherwise(p["house_id"])).to_series()
    address = noise.addresses(
        houses_for(world, house), rng, {"full": 0.25, "town": 0.35, "short": 0.25, "district": 0.15}
    )
    year = e["occurred_at"].dt.year().to_numpy()
    online = np.where(year >= 2018, 0.38, np.where(year == 2017, 0.28, 0.18))
    r = rng.random(n)
    form = np.where(r < online, "网上", np.where(r < online + 0.2, "来信", "来访"))
    cat = e["category"]
    group = (rng.random(n) < cat.replace_strict(_GROUP_P, default=0.05).to_numpy()) & (
        form == "来访"
    )
    people = np.where(group, 5 + rng.geometric(0.12, n), 1)
    towns = world.layout.towns.select(pl.col("code").alias("town_code"), pl.col("name"))
    town = e.select("town_code").join(towns, on="town_code", how="left", maintain_order="left")
    late = (e["occurred_at"] > dt.datetime(2018, 12, 1)).to_numpy()
    status = np.where(
        late & (rng.random(n) < 0.6),
        "办理中",
        rng.choice(["已办结", "已终结", "不予受理"], n, p=[0.88, 0.07, 0.05]),
    )
    ystr = e["occurred_at"].dt.year().cast(pl.Utf8)
    number = concat("余信", ystr, sequence_within(ystr).cast(pl.Utf8).str.zfill(5))
    birth_year = p["birth_date"].dt.year().to_numpy()
    rows = pl.DataFrame(
        {
            "record_id": e["event_id"].str.replace("^EV", "XF"),
            "信访件编号": number,
            "登记日期": noise.dates(e["occurred_at"], "chinese"),
            "信访形式": form,
            "信访人": null_safe(noise.names, p["name"], rng, homophone=0.025, traditional=0.005),
            "身份证号": null_safe(
                noise.id_numbers,
                p["id_number"],
                rng,
                birth_year,
                swap=0.008,
                digit=0.008,
                old15=0.10,
                lower_x=0.6,
                missing=0.05,
            ),
            "联系电话": null_safe(
                noise.phones,
                p["phone"],
                rng,
                {"plain": 0.85, "dashed": 0.1, "spaced": 0.05},
                missing=0.04,
            ),
            "住址": address,
            "信访事项": cat,
            "问题属地": town["name"],
            "是否集体访": np.where(group, "是", "否"),
            "人数": people,
            "办理状态": status,
            "__person": e["person_id"],
            "__event": e["event_id"],
            "__house": house,
        }
    )
    return [Table("petitions", noise.duplicates(rows, rng, 0.015))]


SYSTEMS = [
    SourceSystem(
        "petitions",
        DEPARTMENT,
        "信访信息系统",
        "xlsx",
        _petitions,
        "Petitions 2016-2018 (visits, letters, online); 15-digit ids of older petitioners.",
    ),
]
