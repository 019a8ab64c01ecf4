"""余杭区住房和城乡建设局: construction projects and the migrant workers' wage accounts and
guarantee deposits (农民工工资专户, 工资保证金), exported as the SQLite file the system keeps."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.world import World


def _projects(world: World, rng: np.random.Generator) -> list[Table]:
    pr = world["projects"]
    e = world["enterprises"].select("enterprise_id", "name", "credit_code")
    pr = pr.join(
        e.rename({"enterprise_id": "contractor_id", "name": "sgdw", "credit_code": "sgdw_code"}),
        on="contractor_id",
        how="left",
        maintain_order="left",
    )
    pr = pr.join(
        e.rename({"enterprise_id": "developer_id", "name": "jsdw", "credit_code": "jsdw_code"}),
        on="developer_id",
        how="left",
        maintain_order="left",
    )
    towns = dict(zip(world.layout.towns["code"], world.layout.towns["name"], strict=True))
    # Public projects are built by the town government or the district's construction company.
    public = pr["jsdw"].is_null().to_numpy()
    builder = np.where(
        public,
        [
            towns[t] + "人民政府" if towns[t].endswith("镇") else towns[t] + "办事处"
            for t in pr["town_code"]
        ],
        pr["jsdw"].to_numpy(),
    )
    status_code = pr["status"].replace_strict({"在建": "1", "竣工": "2", "停工": "3"})
    projects = pl.DataFrame(
        {
            "record_id": pr["project_id"].str.replace("^J", "XM"),
            "xmbh": pr["project_id"].str.replace("^J", "3301102019"),
            "xmmc": pr["name"],
            "jsdw": pl.Series(builder.tolist(), dtype=pl.Utf8),
            "jsdw_tyshxydm": noise.blank(pr["jsdw_code"], rng, 0.1),
            "sgdw": pr["sgdw"],
            "sgdw_tyshxydm": pr["sgdw_code"],
            "kgrq": noise.dates(pr["started_on"], "slash"),
            "htje_wy": pr["contract_wan"],
            "xmzt": status_code,
            "jd": pr["lon"].round(6),
            "wd": pr["lat"].round(6),
            "__project": pr["project_id"],
            "__enterprise:developer": pr["developer_id"],
            "__enterprise:contractor": pr["contractor_id"],
        }
    )
    acc = world["bank_accounts"].filter(pl.col("project_id").is_not_null())
    wage = acc.filter(pl.col("purpose") == "农民工工资专用账户").select(
        "project_id",
        pl.col("account_no").alias("zh"),
        pl.col("bank").alias("khyh"),
        pl.col("branch").alias("wd"),
    )
    dep = acc.filter(pl.col("purpose") == "工程建设保证金").select(
        "project_id",
        pl.col("account_no").alias("bzj_zh"),
        pl.col("bank").alias("bzj_yh"),
        pl.col("balance_wan").alias("bzj_je_wy"),
    )
    w = wage.join(dep, on="project_id", how="left")
    accounts = pl.DataFrame(
        {
            "record_id": w["project_id"].str.replace("^J", "ZH"),
            "xmbh": w["project_id"].str.replace("^J", "3301102019"),
            "zgzh": w["zh"],
            "khyh": w["khyh"] + w["wd"],
            "bzj_zh": w["bzj_zh"],
            "bzj_yh": w["bzj_yh"],
            "bzj_je_wy": w["bzj_je_wy"],
            "__project": w["project_id"],
            "__account:wage": w["zh"],
            "__account:deposit": w["bzj_zh"],
        }
    )
    return [Table("projects", projects), Table("wage_accounts", accounts)]


SYSTEMS = [
    SourceSystem(
        "housing_construction",
        "余杭区住房和城乡建设局",
        "建设工程项目与农民工工资监管系统",
        "sqlite",
        _projects,
        "Construction projects (builder, contractor), their wage accounts and guarantee deposits.",
    ),
]
