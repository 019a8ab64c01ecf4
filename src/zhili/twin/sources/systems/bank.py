"""Banks (对公账户): enterprise basic accounts, project wage accounts and guarantee deposits.
S7's one search runs from the bankrupt developer to its deposit here."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import record_ids
from zhili.twin.world import World


def _accounts(world: World, rng: np.random.Generator) -> list[Table]:
    a = world["bank_accounts"]
    e = world["enterprises"].select(
        pl.col("enterprise_id").alias("holder_id"), "name", "credit_code"
    )
    a = a.join(e, on="holder_id", how="left", maintain_order="left")
    opened = pl.Series(
        np.datetime64("2019-06-30") - rng.integers(30, 365 * 15, a.height).astype("timedelta64[D]")
    ).cast(pl.Date)
    rows = pl.DataFrame(
        {
            "record_id": record_ids("ACC", a.height, 8),
            "账号": a["account_no"],
            "开户行": a["bank"] + "杭州余杭" + a["branch"],
            "户名": a["name"],
            "证件号码": a["credit_code"],
            "账户性质": a["purpose"],
            "开户日期": opened.dt.strftime("%Y-%m-%d"),
            "余额(万元)": a["balance_wan"],
            "__account": a["account_no"],
            "__enterprise": a["holder_id"],
            "__project": a["project_id"],
        }
    )
    return [Table("accounts", rows)]


SYSTEMS = [
    SourceSystem(
        "bank",
        "辖区银行业金融机构（人行余杭支行汇总）",
        "对公账户与资金监管账户报送系统",
        "csv-utf8",
        _accounts,
        "Corporate, wage and guarantee-deposit accounts reported by the banks in the district.",
    ),
]
