"""余杭区民政局: the care list of elderly people living alone and empty-nest couples, kept by
the villages and sent up as a spreadsheet (M1's care lists)."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import houses_for, record_ids
from zhili.twin.world import World


def _care_list(world: World, rng: np.random.Generator) -> list[Table]:
    p = world["persons"]
    hh = world["households"].select("household_id", "type")
    p = p.join(hh, on="household_id", how="left", maintain_order="left")
    alone = p.filter(pl.col("elderly_alone") & (rng.random(p.height) < 0.9))
    couple = p.filter((pl.col("type") == "elder_couple") & (pl.col("age") >= 70))
    couple = couple.filter(pl.Series(rng.random(couple.height) < 0.6))
    c = pl.concat(
        [
            alone.with_columns(category=pl.lit("独居老人")),
            couple.with_columns(category=pl.lit("空巢老人")),
        ]
    )
    villages = world.layout.villages.select(
        pl.col("code").alias("village_code"), pl.col("short_name").alias("village")
    )
    grid_village = world.layout.grids.select(pl.col("code").alias("grid_code"), "village_code")
    c = c.join(grid_village, on="grid_code", how="left", maintain_order="left").join(
        villages, on="village_code", how="left", maintain_order="left"
    )
    addr = noise.addresses(
        houses_for(world, c["house_id"]), rng, {"town": 0.3, "short": 0.6, "full": 0.1}
    )
    rows = pl.DataFrame(
        {
            "record_id": record_ids("MZ", c.height, 7),
            "姓名": noise.names(c["name"], rng, homophone=0.02, spaced=0.02),
            "身份证号": noise.id_numbers(
                c["id_number"], rng, swap=0.005, digit=0.005, old15=0.05, lower_x=0.6
            ),
            "年龄": c["age"],
            "类别": c["category"],
            "居住地址": addr,
            "联系电话": noise.phones(
                c["phone"], rng, {"plain": 0.6, "spaced": 0.2, "dashed": 0.2}, missing=0.3
            ),
            "所属村社": c["village"],
            "__person": c["person_id"],
            "__house": c["house_id"],
        }
    )
    return [Table("care_list", rows)]


SYSTEMS = [
    SourceSystem(
        "civil_affairs",
        "余杭区民政局",
        "养老服务与社会救助信息系统（关爱对象名册）",
        "xlsx",
        _care_list,
        "Care list of elderly people living alone and empty-nest couples, compiled by villages.",
    ),
]
