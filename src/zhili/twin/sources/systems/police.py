"""余杭区公安分局: the household register, the floating-population and rental-housing system, and
police incidents (警情)."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import (
    SEX_CN,
    SEX_GB,
    concat,
    houses_for,
    record_ids,
    sample_rows,
    town_short,
)
from zhili.twin.world import World

DEPARTMENT = "余杭区公安分局"


def _household_register(world: World, rng: np.random.Generator) -> list[Table]:
    """常住人口 (hukou) of natives: GBK, compact dates, GB sex codes, 15-digit ids of old
    records, and hukou addresses that are stale for people who moved within the district."""
    p = world["persons"].filter(~pl.col("migrant"))
    hukou_house = p["prev_house_id"].fill_null(p["house_id"])
    addr = noise.addresses(
        houses_for(world, hukou_house), rng, {"full": 0.5, "town": 0.4, "district": 0.1}
    )
    birth_year = p["birth_date"].dt.year().to_numpy()
    rows = pl.DataFrame(
        {
            "record_id": record_ids("HJ", p.height, 9),
            "GMSFHM": noise.id_numbers(
                p["id_number"], rng, birth_year, swap=0.002, digit=0.002, old15=0.03, lower_x=0.3
            ),
            "XM": noise.names(p["name"], rng, homophone=0.005, traditional=0.003),
            "XB": p["sex"].replace_strict(SEX_GB),
            "CSRQ": noise.dates(p["birth_date"], "compact"),
            "MZ": pl.Series(
                np.where(
                    rng.random(p.height) < 0.985,
                    "汉族",
                    rng.choice(["回族", "畲族", "满族", "土家族"], p.height),
                )
            ),
            "HH": p["household_id"].str.replace("^HH", "3301100"),
            "YHZGX": p["relation"],
            "HJDZ": addr,
            "__person": p["person_id"],
            "__house": hukou_house,
        }
    )
    return [Table("household_register", noise.duplicates(rows, rng, 0.004))]


def _floating_and_rental(world: World, rng: np.random.Generator) -> list[Table]:
    """流动人口 and 出租房屋: not every migrant is registered (the registration rate is a
    measured quantity), and 18 % moved since registering, so their address is the old one."""
    p = sample_rows(world["persons"].filter(pl.col("migrant")), rng, 0.93)
    reg_house = p["prev_house_id"].fill_null(p["house_id"])
    addr = noise.addresses(
        houses_for(world, reg_house), rng, {"full": 0.2, "town": 0.4, "short": 0.3, "district": 0.1}
    )
    employers = world["enterprises"].select(
        pl.col("enterprise_id").alias("employer_id"), pl.col("name").alias("employer")
    )
    emp = p.select("employer_id").join(
        employers, on="employer_id", how="left", maintain_order="left"
    )["employer"]
    registered = p["moved_on"].cast(pl.Date)
    reg_date = pl.Series(
        np.datetime64("2019-06-30") - rng.integers(20, 1500, p.height).astype("timedelta64[D]")
    ).cast(pl.Date)
    people = pl.DataFrame(
        {
            "record_id": record_ids("LK", p.height, 9),
            "姓名": noise.names(p["name"], rng, homophone=0.02, spaced=0.01),
            "证件号码": noise.id_numbers(
                p["id_number"], rng, swap=0.006, digit=0.006, missing=0.01, lower_x=0.5
            ),
            "性别": p["sex"].replace_strict(SEX_CN),
            "出生日期": noise.dates(p["birth_date"], "iso"),
            "户籍地": concat(p["province"], p["prefecture"], p["county"], ignore_nulls=True),
            "现住址": addr,
            "联系电话": noise.phones(
                p["phone"], rng, {"plain": 0.8, "dashed": 0.1, "spaced": 0.1}, missing=0.05
            ),
            "服务处所": emp,
            "登记日期": noise.dates(registered.fill_null(reg_date), "iso"),
            "__person": p["person_id"],
            "__house": reg_house,
        }
    )
    rented = sample_rows(world["houses"].filter(pl.col("rented")), rng, 0.9)
    owners = world["persons"].select(
        pl.col("person_id").alias("owner_id"), "name", "id_number", "phone"
    )
    r = rented.join(owners, on="owner_id", how="left", maintain_order="left")
    raddr = noise.addresses(
        houses_for(world, r["house_id"]), rng, {"full": 0.3, "town": 0.4, "short": 0.3}
    )
    rental = pl.DataFrame(
        {
            "record_id": record_ids("CZ", r.height, 8),
            "出租房屋地址": raddr,
            "房屋类别": r["kind"].replace_strict(
                {"flat": "商品房/安置房", "village_house": "农村自建房"}
            ),
            "房东姓名": noise.names(r["name"], rng, homophone=0.01),
            "房东身份证号": noise.id_numbers(r["id_number"], rng, digit=0.005, missing=0.02),
            "房东电话": noise.phones(r["phone"], rng, {"plain": 0.9, "spaced": 0.1}, missing=0.05),
            "承租户数": r["households"],
            "所属派出所": concat(town_short(r["town_name"]), "派出所"),
            "__house": r["house_id"],
            "__person:landlord": r["owner_id"],
        }
    )
    return [Table("floating_population", people), Table("rental_housing", rental)]


def _incidents(world: World, rng: np.random.Generator) -> list[Table]:
    """警情: criminal and public-order incidents with time, place and, for some, the person."""
    e = world["events_history"].filter(pl.col("family").is_in(["criminal", "public_order"]))
    persons = world["persons"].select("person_id", "name", "id_number")
    e = e.join(persons, on="person_id", how="left", maintain_order="left")
    towns = world.layout.towns.select(
        pl.col("code").alias("town_code"), pl.col("name").alias("town_name")
    )
    e = e.join(towns, on="town_code", how="left", maintain_order="left")
    rows = pl.DataFrame(
        {
            "record_id": concat("J", e["event_id"].str.slice(2)),
            "jqbh": concat("330110", e["event_id"].str.slice(2)),
            "bjsj": noise.datetimes(e["occurred_at"], "iso"),
            "ajlb": e["family"].replace_strict(
                {"criminal": "刑事案件", "public_order": "治安案件"}
            ),
            "ay": e["category"],
            "fsdd": concat(e["town_name"], "辖区"),
            "jd": e["lon"].round(6),
            "wd": e["lat"].round(6),
            "sspcs": concat(town_short(e["town_name"]), "派出所"),
            "dsr_xm": e["name"],
            "dsr_sfzh": noise.id_numbers(e["id_number"], rng, digit=0.01, missing=0.2),
            "__event": e["event_id"],
            "__person": e["person_id"],
        }
    )
    return [Table("incidents", rows)]


SYSTEMS = [
    SourceSystem(
        "police_household",
        DEPARTMENT,
        "常住人口信息管理系统",
        "csv-gbk",
        _household_register,
        "Hukou register of native residents; pinyin-initial column names (GMSFHM = 公民身份号码).",
    ),
    SourceSystem(
        "police_floating",
        DEPARTMENT,
        "流动人口和出租房屋管理系统",
        "csv-utf8",
        _floating_and_rental,
        "Floating-population and rental-housing registers.",
    ),
    SourceSystem(
        "police_incidents",
        DEPARTMENT,
        "警情综合管理系统",
        "jsonl",
        _incidents,
        "Criminal and public-order incidents 2016-2018.",
    ),
]
