"""国家税务总局杭州市余杭区税务局: the taxpayer ledger of the Golden Tax III system (金税三期).

One row per taxpayer: the credit code (or, for a tenth of the enterprises registered before
the 2015 three-certificates reform, the old 15-character tax number; for some older
individual businesses the operator's ID number), the name in the form it was registered
under, and two years of tax paid. Distressed enterprises pay less in 2018 than in 2017, fall
into the lower credit grades and more often turn "non-normal" (非正常户): weak signals, since
an ordinary year's swing is of the same size.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import concat, record_ids, sample_rows, town_short
from zhili.twin.world import World

DEPARTMENT = "国家税务总局杭州市余杭区税务局"

# Tax paid per employee and year (元) by GB/T 4754 section: a rough level, not a statistic.
_TAX_PER_HEAD = {
    "C": 26_000,
    "F": 15_000,
    "H": 9_000,
    "E": 18_000,
    "I": 42_000,
    "L": 20_000,
    "G": 14_000,
    "K": 160_000,
    "M": 30_000,
    "O": 8_000,
    "A": 4_000,
    "R": 16_000,
}
# Monthly quotas (元) of individual businesses under 定期定额 (0: below the VAT threshold).
_QUOTAS = np.array([0, 0, 150, 300, 450, 600, 900, 1500], dtype=float)
_REFORM = dt.date(2015, 10, 1)  # 三证合一: new registrations carry the credit code


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _share_of_year(registered: np.ndarray, year: int) -> np.ndarray:
    """The part of `year` an enterprise registered on `registered` existed for (0..1)."""
    start = np.datetime64(f"{year}-01-01")
    days = (np.datetime64(f"{year + 1}-01-01") - np.maximum(registered, start)).astype(int)
    return np.clip(days / 365.0, 0.0, 1.0)


def _taxpayer_numbers(e: pl.DataFrame, reps: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """Credit codes; before the reform, the old tax registration numbers some rows still carry:
    "330110" + the 9-character organisation code (characters 9-17 of the credit code) for
    enterprises, the operator's ID number for individual businesses."""
    code = e["credit_code"]
    old = (e["registered_on"] < _REFORM).to_numpy()
    individual = (e["kind"] == "individual").to_numpy()
    # Old tax numbers held old all-digit organisation codes (MA... came with the reform).
    digit_org = code.str.slice(8, 1).str.contains("^[0-9]$").to_numpy()
    stale = old & (individual | digit_org) & (rng.random(e.height) < 0.10)
    org15 = concat("330110", code.str.slice(8, 9))
    out = pl.select(
        pl.when(pl.Series(stale & ~individual))
        .then(org15)
        .when(pl.Series(stale & individual) & reps["id_number"].is_not_null())
        .then(reps["id_number"])
        .otherwise(code)
    ).to_series()
    return out.alias("taxpayer_no")


def _names(e: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """The name as first registered: enterprises without 杭州, individual businesses with (个体)."""
    n = e.height
    individual = (e["kind"] == "individual").to_numpy()
    old = (e["registered_on"] < _REFORM).to_numpy()
    r = rng.random(n)
    no_city = (
        ~individual & e["name"].str.starts_with("杭州").to_numpy() & (r < np.where(old, 0.12, 0.03))
    )
    marked = individual & (r < 0.25)
    paren = np.where(rng.random(n) < 0.6, "(个体)", "（个体）")
    return pl.select(
        pl.when(pl.Series(no_city))
        .then(e["name"].str.replace("^杭州", ""))
        .when(pl.Series(marked))
        .then(pl.concat_str([e["name"], pl.Series(paren)]))
        .otherwise(e["name"])
    ).to_series()


def _amounts(e: pl.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """2017 and 2018 tax paid (元, NaN before registration), collection method, credit grade
    and taxpayer status, all leaning on the latent `distress`."""
    n = e.height
    d = e["distress"].to_numpy()
    individual = (e["kind"] == "individual").to_numpy()
    reg = e["registered_on"].to_numpy().astype("datetime64[D]")
    share17 = _share_of_year(reg, 2017)
    share18 = _share_of_year(reg, 2018)

    # Enterprises: a level from headcount and trade; a quarter of micro firms file zero returns.
    per_head = e["industry"].replace_strict(_TAX_PER_HEAD, default=12_000).to_numpy().astype(float)
    heads = np.maximum(e["employees"].to_numpy(), 1) ** 0.9
    level = per_head * heads * np.exp(rng.normal(0.0, 0.8, n))
    zero = (e["size"] == "micro").to_numpy() & (rng.random(n) < _sigmoid(0.6 * d - 1.3))
    tax17 = np.where(zero, 0.0, level * np.exp(rng.normal(0, 0.1, n)))
    # 2018 against 2017: grows a little in general, falls with distress, and swings widely.
    ratio = np.exp(0.08 - 0.16 * d + rng.normal(0.0, 0.3, n))
    zero18 = zero | (rng.random(n) < _sigmoid(0.9 * d - 4.5))
    tax18 = np.where(zero18, 0.0, np.where(zero, level, tax17) * ratio)

    # Individual businesses: a fixed monthly quota, re-assessed now and then.
    q17 = _QUOTAS[rng.integers(0, _QUOTAS.size, n)]
    change = rng.random(n) < 0.15
    q18 = np.where(change, _QUOTAS[rng.integers(0, _QUOTAS.size, n)], q17)
    q18 = np.where(rng.random(n) < _sigmoid(d - 4.0), 0.0, q18)  # stopped trading
    tax17 = np.where(individual, q17 * 12, tax17) * share17
    tax18 = np.where(individual, q18 * 12, tax18) * share18
    tax17 = np.where(share17 > 0, np.round(tax17, 2), np.nan)
    tax18 = np.where(share18 > 0, np.round(tax18, 2), np.nan)

    method = np.where(
        individual, "定期定额", np.where(rng.random(n) < 0.85, "查账征收", "核定征收")
    )
    # Credit grades (2018 evaluation): new taxpayers and those without income are M.
    score = -0.9 * d + rng.normal(0.0, 1.0, n)
    cut = np.quantile(score, [0.03, 0.11, 0.86]) if n else np.zeros(3)
    grade = np.select([score < cut[0], score < cut[1], score < cut[2]], ["D", "C", "B"], "A")
    new = reg >= np.datetime64("2018-01-01")
    grade = np.where(new | (zero & zero18 & (rng.random(n) < 0.7)), "M", grade)
    grade = np.where(individual, None, grade)
    abnormal = rng.random(n) < _sigmoid(1.2 * d - 5.0)
    status = np.where(abnormal, np.where(individual, "停业", "非正常"), "正常")
    return tax17, tax18, method, grade, status


def _ledger(world: World, rng: np.random.Generator) -> list[Table]:
    e = sample_rows(world["enterprises"].filter(pl.col("status") == "存续"), rng, 0.97)
    persons = world["persons"].select(
        pl.col("person_id").alias("legal_rep_id"), "name", "id_number"
    )
    reps = e.select("legal_rep_id").join(
        persons, on="legal_rep_id", how="left", maintain_order="left"
    )
    towns = world.layout.towns.select(
        pl.col("code").alias("town_code"), pl.col("name").alias("town")
    )
    town = e.select("town_code").join(towns, on="town_code", how="left", maintain_order="left")[
        "town"
    ]
    # Tax registration follows the business licence by days to weeks.
    lag = rng.integers(0, 30, e.height).astype("timedelta64[D]")
    reg = np.minimum(
        e["registered_on"].to_numpy().astype("datetime64[D]") + lag, np.datetime64("2019-06-30")
    )
    tax17, tax18, method, grade, status = _amounts(e, rng)
    rows = pl.DataFrame(
        {
            "record_id": record_ids("SW", e.height, 8),
            "纳税人识别号": _taxpayer_numbers(e, reps, rng),
            "纳税人名称": _names(e, rng),
            "法定代表人": noise.names(reps["name"], rng, homophone=0.008),
            "登记日期": noise.dates(pl.Series(reg), "compact"),
            "主管税务所": concat(town_short(town), "税务所"),
            "征收方式": method,
            "纳税人状态": status,
            "2017年纳税额(元)": pl.Series(tax17).fill_nan(None),
            "2018年纳税额(元)": pl.Series(tax18).fill_nan(None),
            "纳税信用等级": pl.Series(grade, dtype=pl.Utf8),
            "__enterprise": e["enterprise_id"],
            "__person:legal_rep": e["legal_rep_id"],
        }
    )
    return [Table("taxpayers", noise.duplicates(rows, rng, 0.002))]


SYSTEMS = [
    SourceSystem(
        "tax_ledger",
        DEPARTMENT,
        "金税三期税收管理系统",
        "csv-gbk",
        _ledger,
        "Taxpayer ledger: tax numbers (some pre-2015), 2017/2018 tax paid and credit grades.",
    ),
]
