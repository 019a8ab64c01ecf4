"""Telecom operators: real-name registration of mobile numbers (实名制登记)."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.identifiers import phone
from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import record_ids
from zhili.twin.world import World


def _real_name(world: World, rng: np.random.Generator) -> list[Table]:
    p = world["persons"]
    one = p.filter(pl.col("phone").is_not_null()).select(
        "person_id", "name", "id_number", pl.col("phone").alias("msisdn")
    )
    two = p.filter(pl.col("phone2").is_not_null()).select(
        "person_id", "name", "id_number", pl.col("phone2").alias("msisdn")
    )
    t = pl.concat([one, two]).sort("msisdn")
    carriers = _carriers(t["msisdn"])
    activated = pl.Series(
        np.datetime64("2019-06-30") - rng.integers(30, 365 * 12, t.height).astype("timedelta64[D]")
    ).cast(pl.Date)
    rows = pl.DataFrame(
        {
            "record_id": record_ids("TEL", t.height, 9),
            "msisdn": t["msisdn"],
            "operator": carriers,
            "cert_type": "居民身份证",
            "cert_no": noise.id_numbers(t["id_number"], rng, digit=0.0005, lower_x=0.8),
            "cust_name": noise.names(t["name"], rng, homophone=0.001, traditional=0.002),
            "activated_on": noise.dates(activated, "iso"),
            "status": np.where(rng.random(t.height) < 0.97, "normal", "suspended"),
            "__person": t["person_id"],
        }
    )
    return [Table("real_name", rows)]


def _carriers(msisdn: pl.Series) -> pl.Series:
    prefixes = msisdn.str.slice(0, 3)
    cn = {"China Mobile": "中国移动", "China Unicom": "中国联通", "China Telecom": "中国电信"}
    table = {
        p: cn.get(str(phone.carrier(p + "00000000")), "虚拟运营商")
        for p in prefixes.unique().to_list()
    }
    return prefixes.replace_strict(table)


SYSTEMS = [
    SourceSystem(
        "telecom",
        "中国移动/联通/电信杭州余杭分公司",
        "移动用户实名制登记系统",
        "jsonl",
        _real_name,
        "Real-name registration of mobile numbers across the three operators.",
    ),
]
