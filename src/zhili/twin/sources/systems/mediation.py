"""余杭区司法局: the people's mediation system (人民调解信息系统), filled in by the mediation
committees of villages and communities."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from zhili.twin.sampling import pick_in_groups
from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.systems.urban import (
    blank,
    event_places,
    null_safe,
    sequence_within,
)
from zhili.twin.text import text
from zhili.twin.world import World

DEPARTMENT = "余杭区司法局"

# Median agreed sum (元) per dispute type, and the share of successful cases that settle on money.
_AMOUNT = {
    "邻里纠纷": (2_000, 0.35),
    "婚姻家庭纠纷": (20_000, 0.25),
    "物业纠纷": (3_000, 0.50),
    "劳动争议": (12_000, 0.85),
    "损害赔偿纠纷": (15_000, 0.90),
    "土地纠纷": (8_000, 0.40),
}


def residents_of_towns(
    world: World, town_codes: np.ndarray, rng: np.random.Generator, min_age: int = 18
) -> np.ndarray:
    """A random adult resident of each given town (of anywhere if the town has none)."""
    p = world["persons"].filter(pl.col("age") >= min_age).select("person_id", "town_code")
    pick = pick_in_groups(
        p["town_code"],
        p["person_id"],
        town_codes,
        rng,
    )
    anywhere = p["person_id"].to_numpy()[rng.integers(0, p.height, len(town_codes))]
    return np.where(pick == None, anywhere, pick)  # noqa: E711


def _spouses(world: World, person_ids: pl.Series) -> pl.Series:
    """The other spouse of each person's household (户主 ↔ 配偶), or null."""
    p = world["persons"].select("household_id", "person_id", "relation")
    heads = p.filter(pl.col("relation") == "户主").unique(
        "household_id", keep="first", maintain_order=True
    )
    pairs = p.filter(pl.col("relation") == "配偶").join(
        heads, on="household_id", suffix="_h", maintain_order="left"
    )
    other = pl.concat(
        [
            pairs.select("person_id", person_id_o="person_id_h"),
            pairs.select(person_id="person_id_h", person_id_o="person_id"),
        ]
    ).unique("person_id", keep="first", maintain_order=True)
    return pl.DataFrame({"person_id": person_ids}).join(
        other, on="person_id", how="left", maintain_order="left"
    )["person_id_o"]


def _cases(world: World, rng: np.random.Generator) -> list[Table]:
    """调解案件: party A is the event's resident; party B a neighbour of the same town, the
    spouse in family disputes, the employer in labour disputes."""
    e = world["events_history"].filter(pl.col("family") == "dispute")
    n = e.height
    places = event_places(world, e)
    cat = e["category"]
    # Two candidates per case in one pass, the second for when the first is party A.
    town = e["town_code"].to_numpy()
    candidates = residents_of_towns(world, np.concatenate([town, town]), rng)
    party_b = candidates[:n]
    same = party_b == e["person_id"].to_numpy()
    party_b[same] = candidates[n:][same]
    spouse = _spouses(world, e["person_id"]).to_numpy()
    family = (cat == "婚姻家庭纠纷").to_numpy() & (spouse != None)  # noqa: E711
    party_b = np.where(family, spouse, party_b)
    # Labour disputes are with party A's employer; property disputes with a property company.
    persons = world["persons"].select("person_id", "name", "id_number", "birth_date", "employer_id")
    a = pl.DataFrame({"person_id": e["person_id"]}).join(
        persons, on="person_id", how="left", maintain_order="left"
    )
    ents = world["enterprises"].select("enterprise_id", "name", "credit_code", "industry")
    labour = (cat == "劳动争议").to_numpy() & a["employer_id"].is_not_null().to_numpy()
    managers = ents.filter(pl.col("name").str.contains("物业"))
    property_co = np.full(n, None, dtype=object)
    if managers.height:
        property_co = managers["enterprise_id"].to_numpy()[rng.integers(0, managers.height, n)]
    prop = (cat == "物业纠纷").to_numpy() & (rng.random(n) < 0.6) & (property_co != None)  # noqa: E711
    ent_b = np.where(labour, a["employer_id"].to_numpy(), np.where(prop, property_co, None))
    party_b = np.where(ent_b != None, None, party_b)  # noqa: E711
    b = pl.DataFrame({"person_id": text(party_b)}).join(
        persons, on="person_id", how="left", maintain_order="left"
    )
    eb = pl.DataFrame({"enterprise_id": text(ent_b)}).join(
        ents, on="enterprise_id", how="left", maintain_order="left"
    )
    b_name = b["name"].fill_null(eb["name"])

    success = rng.random(n) < 0.9
    recent = (e["occurred_at"] > dt.datetime(2018, 12, 10)).to_numpy()
    result = np.where(
        recent & (rng.random(n) < 0.5), "调解中", np.where(success, "调解成功", "调解不成功")
    )
    median = cat.replace_strict({k: v[0] for k, v in _AMOUNT.items()}, default=5_000).to_numpy()
    money_p = cat.replace_strict({k: v[1] for k, v in _AMOUNT.items()}, default=0.4).to_numpy()
    amount = np.round(median * rng.lognormal(0, 0.8, n) / 100) * 100
    has_amount = (result == "调解成功") & (rng.random(n) < money_p)
    birth_a = a["birth_date"].dt.year().to_numpy()
    birth_b = b["birth_date"].dt.year().to_numpy()
    year = e["occurred_at"].dt.year().cast(pl.Utf8)
    seq = sequence_within(places["village_code"] + year).cast(pl.Utf8).str.zfill(3)
    short = places["village_name"].str.replace("(村|社区)$", "")
    case_no = pl.select(pl.format("（{}）{}调字第{}号", year, short, seq)).to_series()
    rows = pl.DataFrame(
        {
            "record_id": e["event_id"].str.replace("^EV", "M"),
            "案件编号": case_no,
            "受理日期": noise.dates(e["occurred_at"], "dotted"),
            "纠纷类型": cat,
            "当事人甲": noise.names(a["name"], rng, homophone=0.015, spaced=0.01),
            "甲证件号码": null_safe(
                noise.id_numbers,
                a["id_number"],
                rng,
                birth_a,
                swap=0.004,
                digit=0.004,
                old15=0.03,
                missing=0.06,
            ),
            "当事人乙": null_safe(noise.names, b_name, rng, homophone=0.02),
            "乙证件号码": text(
                np.where(
                    ent_b != None,  # noqa: E711
                    blank(eb["credit_code"], rng, 0.5).to_numpy(),
                    null_safe(
                        noise.id_numbers,
                        b["id_number"],
                        rng,
                        birth_b,
                        digit=0.006,
                        old15=0.03,
                        missing=0.25,
                    ).to_numpy(),
                ),
            ),
            "调解组织": places["village_name"] + "人民调解委员会",
            "调解结果": result,
            "协议金额": pl.Series(np.where(has_amount, amount, np.nan)).fill_nan(None),
            "__event": e["event_id"],
            "__person:party_a": e["person_id"],
            "__person:party_b": text(party_b),
            "__enterprise:party_b": text(ent_b),
        }
    )
    return [Table("cases", noise.duplicates(rows, rng, 0.008))]


SYSTEMS = [
    SourceSystem(
        "mediation",
        DEPARTMENT,
        "人民调解信息系统",
        "xlsx",
        _cases,
        "People's mediation cases 2016-2018 from village and community mediation committees.",
    ),
]
