"""Power and water: 国网杭州市余杭区供电公司's marketing system (电力营销业务应用系统) and
余杭区水务有限公司's billing system (供水营业收费系统).

Both hold an account for every lived-in house and most enterprises, in the name of whoever
opened it: the owner, so a rented flat's account names the landlord, not the tenants; some
accounts were never transferred from a previous owner or are in a relative's name. Power use
of distressed enterprises falls in the first half of 2019, a weak signal among ordinary swings.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import HOUSE_ADDRESS_COLUMNS, record_ids
from zhili.twin.spec import REFERENCE_DATE
from zhili.twin.world import World

POWER = "国网杭州市余杭区供电公司"
WATER = "余杭区水务有限公司"
_REF = np.datetime64(REFERENCE_DATE, "D")

# Yearly power use per employee (kWh) by GB/T 4754 section.
_KWH_PER_HEAD = {
    "C": 14_000,
    "F": 3_500,
    "H": 7_000,
    "E": 1_500,
    "I": 3_000,
    "L": 2_000,
    "G": 4_500,
    "K": 2_500,
    "M": 5_000,
    "O": 3_000,
    "A": 6_000,
    "R": 3_000,
}
# Monthly water use per employee (tonnes) by section; restaurants and dyeing works use most.
_WATER_PER_HEAD = {"C": 4.0, "H": 6.0, "O": 3.0, "A": 5.0}


def _distinct_numbers(rng: np.random.Generator, n: int, digits: int) -> pl.Series:
    """n distinct random numbers of exactly `digits` digits, as strings."""
    lo = 10 ** (digits - 1)
    return pl.Series(rng.choice(9 * lo, n, replace=False) + lo).cast(pl.Utf8)


def _nulls(n: int) -> pl.Series:
    return pl.repeat(None, n, dtype=pl.Utf8, eager=True)


def _lived_in(world: World) -> pl.DataFrame:
    """Non-vacant houses with their address parts, residents, owner, and another adult of the
    owner's household (in whose name some accounts were opened), with names and phones."""
    p = world["persons"]
    residents = (
        world["households"]
        .group_by("house_id")
        .agg(
            (pl.col("elders") + pl.col("adults") + pl.col("children"))
            .cast(pl.Int64)
            .sum()
            .alias("residents")
        )
    )
    h = (
        world["houses"]
        .filter(~pl.col("vacant"))
        .select(*HOUSE_ADDRESS_COLUMNS, "owner_id", "town_code", "compound_id")
        .join(residents, on="house_id", how="left", maintain_order="left")
    )
    people = p.select("person_id", "name", "phone", "household_id")
    # A relative: another adult (spouse or parent) living in the owner's household.
    rel = (
        p.filter(pl.col("relation").is_in(["配偶", "父母"]) & (pl.col("age") >= 18))
        .select("household_id", "person_id", "name", "phone")
        .unique("household_id", keep="first")
    )
    h = h.join(
        people.rename({"person_id": "owner_id", "name": "owner_name", "phone": "owner_phone"}),
        on="owner_id",
        how="left",
        maintain_order="left",
    )
    h = h.join(
        rel.rename(
            {"person_id": "relative_id", "name": "relative_name", "phone": "relative_phone"}
        ),
        on="household_id",
        how="left",
        maintain_order="left",
    )
    return h.with_columns(
        pl.col("residents").fill_null(0),
        pl.when(pl.col("relative_id") != pl.col("owner_id")).then(pl.col("relative_id")),
    ).drop("household_id")


def _holders(h: pl.DataFrame, use: dict[str, np.ndarray]) -> pl.DataFrame:
    """Account holder id, name and phone: the owner unless a `use` mask picks another role."""
    cols = {}
    for field in ("id", "name", "phone"):
        expr = pl.col(f"owner_{field}")
        for role, mask in use.items():
            expr = pl.when(pl.Series(mask)).then(pl.col(f"{role}_{field}")).otherwise(expr)
        cols[field] = expr
    return h.select(**cols)


def _enterprises(world: World) -> pl.DataFrame:
    return world["enterprises"].filter(pl.col("status") == "存续")


def _reps(world: World, e: pl.DataFrame) -> pl.DataFrame:
    people = world["persons"].select(pl.col("person_id").alias("legal_rep_id"), "name", "phone")
    return e.select("legal_rep_id").join(
        people, on="legal_rep_id", how="left", maintain_order="left"
    )


def _enterprise_kwh(e: pl.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """2018 and 2019 H1 power use (kWh); 2019 H1 falls with the enterprise's distress."""
    n = e.height
    per_head = e["industry"].replace_strict(_KWH_PER_HEAD, default=3_000).to_numpy().astype(float)
    heads = np.maximum(e["employees"].to_numpy(), 0).astype(float)
    base = (1_500 + per_head * heads) * np.exp(rng.normal(0.0, 0.5, n))
    reg = e["registered_on"].to_numpy().astype("datetime64[D]")
    days18 = (np.datetime64("2019-01-01") - np.maximum(reg, np.datetime64("2018-01-01"))).astype(
        int
    )
    days19 = (_REF + 1 - np.maximum(reg, np.datetime64("2019-01-01"))).astype(int)
    y2018 = base * np.clip(days18 / 365.0, 0, 1)
    d = e["distress"].to_numpy()
    h1 = (
        base
        * 0.5
        * np.exp(0.03 - 0.1 * d + rng.normal(0.0, 0.3, n))
        * np.clip(days19 / 181.0, 0, 1)
    )
    return np.round(y2018).astype(np.int64), np.round(h1).astype(np.int64)


def _power(world: World, rng: np.random.Generator) -> list[Table]:
    h = _lived_in(world)
    n_h = h.height
    # Most accounts name the owner; some a relative, whoever went to the counter.
    relative = h["relative_id"].is_not_null().to_numpy() & (rng.random(n_h) < 0.06)
    ph = _holders(h, {"relative": relative})
    r = h["residents"].to_numpy().astype(float)
    y2018 = np.round(1_300 * np.maximum(r, 0.5) ** 0.7 * np.exp(rng.normal(0.0, 0.35, n_h)))
    h1 = np.round(y2018 * 0.46 * np.exp(rng.normal(0.0, 0.12, n_h)))
    house_addr = noise.addresses(
        h.select(HOUSE_ADDRESS_COLUMNS),
        rng,
        {"full": 0.2, "town": 0.3, "district": 0.4, "short": 0.1},
    )
    homes = pl.DataFrame(
        {
            "户名": noise.names(ph["name"], rng, homophone=0.008, traditional=0.002),
            "用电地址": house_addr,
            "联系电话": noise.phones(
                ph["phone"], rng, {"plain": 0.95, "spaced": 0.05}, missing=0.04
            ),
            "用电类别": pl.Series(["居民生活"] * n_h, dtype=pl.Utf8),
            "2018年用电量(kWh)": pl.Series(y2018.astype(np.int64)),
            "2019年1-6月用电量(kWh)": pl.Series(h1.astype(np.int64)),
            "__house": h["house_id"],
            "__enterprise": _nulls(n_h),
            "__person:account_holder": ph["id"],
        }
    )

    e = _enterprises(world)
    n_e = e.height
    reps = _reps(world, e)
    individual = (e["kind"] == "individual").to_numpy()
    # A third of individual businesses run on a meter in the operator's own name.
    in_own_name = individual & (rng.random(n_e) < 0.35)
    name = pl.select(
        pl.when(pl.Series(in_own_name)).then(reps["name"]).otherwise(e["name"])
    ).to_series()
    large = e["size"].is_in(["medium", "large"]).to_numpy() | (
        (e["size"] == "small").to_numpy() & (rng.random(n_e) < 0.25)
    )
    category = np.where((e["industry"] == "C").to_numpy() & large, "大工业", "一般工商业")
    e18, e19 = _enterprise_kwh(e, rng)
    short_addr = rng.random(n_e) < 0.5
    firms = pl.DataFrame(
        {
            "户名": name,
            "用电地址": pl.select(
                pl.when(pl.Series(short_addr))
                .then(e["address"].str.replace("^杭州市", ""))
                .otherwise(e["address"])
            ).to_series(),
            "联系电话": noise.phones(
                reps["phone"], rng, {"plain": 0.9, "dashed": 0.1}, missing=0.08
            ),
            "用电类别": pl.Series(category, dtype=pl.Utf8),
            "2018年用电量(kWh)": pl.Series(e18),
            "2019年1-6月用电量(kWh)": pl.Series(e19),
            "__house": _nulls(n_e),
            "__enterprise": e["enterprise_id"],
            "__person:account_holder": e["legal_rep_id"].set(pl.Series(~in_own_name), None),
        }
    )
    rows = pl.concat([homes, firms])
    rows = rows.with_columns(
        pl.concat_str([pl.lit("33"), _distinct_numbers(rng, rows.height, 8)]).alias("户号")
    )
    rows = rows.select(
        record_ids("DL", rows.height, 9), "户号", *[c for c in rows.columns if c != "户号"]
    )
    return [Table("accounts", noise.duplicates(rows, rng, 0.001))]


def _opening_dates(world: World, h: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """Flats of one compound were connected together when it was built; village houses one by
    one over the years."""
    compounds = h["compound_id"].unique().drop_nulls().sort()
    built = np.datetime64("1995-01-01") + rng.integers(0, 8_700, compounds.len()).astype(
        "timedelta64[D]"
    )
    cdate = pl.DataFrame({"compound_id": compounds, "built": pl.Series(built).cast(pl.Date)})
    joined = h.select("compound_id").join(
        cdate, on="compound_id", how="left", maintain_order="left"
    )["built"]
    jitter = rng.integers(0, 120, h.height).astype("timedelta64[D]")
    own = np.datetime64("1990-01-01") + rng.integers(0, 10_700, h.height).astype("timedelta64[D]")
    base = joined.to_numpy().astype("datetime64[D]")
    opened = np.where(np.isnat(base), own, base + jitter)
    return pl.Series(np.minimum(opened, _REF)).cast(pl.Date)


def _water(world: World, rng: np.random.Generator) -> list[Table]:
    h = _lived_in(world)
    # Village houses in the hills still drink from village supplies.
    h = h.filter(
        pl.Series(rng.random(h.height) < np.where((h["kind"] == "flat").to_numpy(), 0.99, 0.88))
    )
    n_h = h.height
    # Accounts never transferred after a sale keep a previous owner: a native adult of the town.
    prev = (
        world["persons"]
        .filter(~pl.col("migrant") & (pl.col("age") >= 30))
        .select(pl.col("town_code").cast(pl.Int64), "person_id", "name", "phone")
        .sort("town_code")
    )
    pt = prev["town_code"].to_numpy()
    ht = h["town_code"].cast(pl.Int64).to_numpy()
    lo, hi = np.searchsorted(pt, ht, "left"), np.searchsorted(pt, ht, "right")
    pick = np.minimum(
        lo + (rng.random(n_h) * np.maximum(hi - lo, 1)).astype(np.int64), max(prev.height - 1, 0)
    )
    stale = (rng.random(n_h) < 0.07) & (hi > lo)
    relative = ~stale & h["relative_id"].is_not_null().to_numpy() & (rng.random(n_h) < 0.04)
    before = prev.select("person_id", "name", "phone").gather(pick)
    h = h.with_columns(
        prev_id=before["person_id"], prev_name=before["name"], prev_phone=before["phone"]
    )
    ph = _holders(h, {"prev": stale, "relative": relative})
    r = h["residents"].to_numpy().astype(float)
    monthly = np.round(np.maximum(r, 0.3) * 3.4 * np.exp(rng.normal(0.0, 0.3, n_h)), 1)
    homes = pl.DataFrame(
        {
            "用户名称": noise.names(ph["name"], rng, homophone=0.02, spaced=0.01),
            "用水地址": noise.addresses(
                h.select(HOUSE_ADDRESS_COLUMNS),
                rng,
                {"short": 0.35, "town": 0.35, "district": 0.2, "full": 0.1},
            ),
            "联系电话": noise.phones(
                ph["phone"],
                rng,
                {"plain": 0.7, "dashed": 0.2, "spaced": 0.1},
                missing=0.2,
            ),
            "月均用水量(吨)": monthly,
            "开户日期": _opening_dates(world, h, rng),
            "__house": h["house_id"],
            "__enterprise": _nulls(n_h),
            "__person:account_holder": ph["id"],
        }
    )

    e = _enterprises(world)
    # Shops in rented rooms share the landlord's meter; most companies have their own.
    individual = (e["kind"] == "individual").to_numpy()
    e = e.filter(pl.Series(rng.random(e.height) < np.where(individual, 0.5, 0.9)))
    n_e = e.height
    reps = _reps(world, e)
    per_head = e["industry"].replace_strict(_WATER_PER_HEAD, default=1.5).to_numpy().astype(float)
    heads = e["employees"].to_numpy().astype(float)
    e_monthly = np.round((2.0 + per_head * heads) * np.exp(rng.normal(0.0, 0.5, n_e)), 1)
    reg = e["registered_on"].to_numpy().astype("datetime64[D]")
    opened = np.minimum(reg + rng.integers(5, 120, n_e).astype("timedelta64[D]"), _REF)
    firms = pl.DataFrame(
        {
            "用户名称": e["name"],
            "用水地址": e["address"].str.replace("^杭州市余杭区", ""),
            "联系电话": noise.phones(
                reps["phone"], rng, {"plain": 0.8, "dashed": 0.2}, missing=0.2
            ),
            "月均用水量(吨)": e_monthly,
            "开户日期": pl.Series(opened).cast(pl.Date),
            "__house": _nulls(n_e),
            "__enterprise": e["enterprise_id"],
            "__person:account_holder": _nulls(n_e),
        }
    )
    rows = pl.concat([homes, firms])
    rows = rows[rng.permutation(rows.height)]
    meter_year = rows["开户日期"].dt.year().clip(2008, 2019).cast(pl.Int64) % 100
    rows = rows.with_columns(
        _distinct_numbers(rng, rows.height, 9).alias("用户编号"),
        pl.concat_str(
            [
                pl.lit("YH"),
                meter_year.cast(pl.Utf8).str.zfill(2),
                _distinct_numbers(rng, rows.height, 8),
            ]
        ).alias("水表编号"),
        noise.dates(rows["开户日期"], "dotted").alias("开户日期"),
    )
    rows = rows.select(
        record_ids("GS", rows.height, 9),
        "用户编号",
        "用户名称",
        "用水地址",
        "联系电话",
        "水表编号",
        "月均用水量(吨)",
        "开户日期",
        "__house",
        "__enterprise",
        "__person:account_holder",
    )
    return [Table("accounts", noise.duplicates(rows, rng, 0.003))]


SYSTEMS = [
    SourceSystem(
        "power_accounts",
        POWER,
        "电力营销业务应用系统",
        "csv-gbk",
        _power,
        "Electricity accounts of homes and enterprises with 2018 and 2019 H1 consumption.",
    ),
    SourceSystem(
        "water_accounts",
        WATER,
        "供水营业收费系统",
        "csv-utf8-bom",
        _water,
        "Water accounts of homes and enterprises: holder, address, meter, monthly use.",
    ),
]
