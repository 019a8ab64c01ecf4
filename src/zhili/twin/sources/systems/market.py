"""余杭区市场监督管理局: the enterprise register (企业登记), the reference for credit codes."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import record_ids
from zhili.twin.world import World


def _register(world: World, rng: np.random.Generator) -> list[Table]:
    e = world["enterprises"]
    reps = world["persons"].select(
        pl.col("person_id").alias("legal_rep_id"),
        pl.col("name").alias("rep_name"),
        pl.col("id_number").alias("rep_id"),
    )
    e = e.join(reps, on="legal_rep_id", how="left", maintain_order="left")
    kind = np.where(
        e["kind"].to_numpy() == "individual",
        "个体工商户",
        np.where(rng.random(e.height) < 0.9, "有限责任公司(自然人投资或控股)", "股份有限公司"),
    )
    rows = pl.DataFrame(
        {
            "record_id": record_ids("SC", e.height),
            "统一社会信用代码": e["credit_code"],
            "企业名称": e["name"],
            "市场主体类型": kind,
            "法定代表人": noise.names(e["rep_name"], rng, homophone=0.002),
            "法定代表人证件号码": noise.id_numbers(e["rep_id"], rng, digit=0.001, lower_x=0.0),
            "成立日期": noise.dates(e["registered_on"], "iso"),
            "注册资本(万元)": e["capital_wan"],
            "登记状态": e["status"],
            "住所": e["address"],
            "行业门类": e["industry_name"],
            "__enterprise": e["enterprise_id"],
            "__person:legal_rep": e["legal_rep_id"],
        }
    )
    return [Table("enterprise_register", rows)]


SYSTEMS = [
    SourceSystem(
        "market_regulation",
        "余杭区市场监督管理局",
        "企业登记注册系统",
        "csv-utf8",
        _register,
        "Enterprise and individual-business register: credit codes, legal representatives, status.",
    ),
]
