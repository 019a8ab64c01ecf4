"""余杭区交警大队 (公安交通管理综合应用平台): registered vehicles and traffic accidents."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import record_ids
from zhili.twin.world import World


def _vehicles_and_accidents(world: World, rng: np.random.Generator) -> list[Table]:
    v = world["vehicles"]
    people = world["persons"].select(
        pl.col("person_id").alias("owner_id"),
        pl.col("name").alias("pname"),
        pl.col("id_number").alias("pid"),
        "house_id",
    )
    ents = world["enterprises"].select(
        pl.col("enterprise_id").alias("owner_id"),
        pl.col("name").alias("ename"),
        pl.col("credit_code").alias("ecode"),
        pl.col("address").alias("eaddr"),
    )
    v = v.join(people, on="owner_id", how="left", maintain_order="left").join(
        ents, on="owner_id", how="left", maintain_order="left"
    )
    house_addr = world["houses"].select("house_id", "address")
    v = v.join(house_addr, on="house_id", how="left", maintain_order="left")
    person = v["owner_kind"] == "person"
    plate_kind = np.where(
        v["kind"].to_numpy() == "小型普通客车",
        np.where(v["plate"].str.len_chars().to_numpy() == 8, "52", "02"),
        "01",
    )
    vehicles = pl.DataFrame(
        {
            "record_id": record_ids("VEH", v.height),
            "HPHM": v["plate"],
            "HPZL": plate_kind,  # GA 24.7: 01 large, 02 small, 52 small new-energy
            "CLLX": v["kind"],
            "SYR": pl.Series(np.where(person, v["pname"], v["ename"]).tolist(), dtype=pl.Utf8),
            "SFZMHM": pl.Series(np.where(person, v["pid"], v["ecode"]).tolist(), dtype=pl.Utf8),
            "ZSXXDZ": pl.Series(np.where(person, v["address"], v["eaddr"]).tolist(), dtype=pl.Utf8),
            "CLPP": v["brand"],
            "CSYS": v["color"],
            "CCDJRQ": noise.dates(v["registered_on"], "iso"),
            "ZDCL": np.where(v["key_vehicle"].to_numpy(), "1", "0"),
            "__vehicle": v["vehicle_id"],
            "__person:owner": pl.Series(
                np.where(person, v["owner_id"], None).tolist(), dtype=pl.Utf8
            ),
            "__enterprise:owner": pl.Series(
                np.where(~person.to_numpy(), v["owner_id"], None).tolist(), dtype=pl.Utf8
            ),
        }
    )
    vehicles = vehicles.with_columns(
        SFZMHM=noise.id_numbers(vehicles["SFZMHM"], rng, digit=0.001, lower_x=0.0)
    )
    e = world["events_history"].filter(pl.col("family") == "traffic_accident")
    ids = v.select(pl.col("plate"), pl.col("vehicle_id"))
    e = e.join(ids, on="plate", how="left", maintain_order="left")
    towns = world.layout.towns.select(
        pl.col("code").alias("town_code"), pl.col("name").alias("town_name")
    )
    e = e.join(towns, on="town_code", how="left", maintain_order="left")
    hurt = rng.choice(
        ["无伤亡", "轻伤1人", "轻伤2人", "重伤1人", "死亡1人"],
        e.height,
        p=[0.7, 0.18, 0.06, 0.05, 0.01],
    )
    accidents = pl.DataFrame(
        {
            "record_id": e["event_id"].str.replace("^EV", "SG"),
            "SGBH": e["event_id"].str.replace("^EV", "3301102"),
            "SGFSSJ": noise.datetimes(e["occurred_at"], "space"),
            "SGDD": e["town_name"] + "辖区",
            "SGLX": e["category"],
            "DSCL_HPHM": e["plate"],
            "SWQK": hurt,
            "JD": e["lon"].round(6),
            "WD": e["lat"].round(6),
            "__event": e["event_id"],
            "__vehicle": e["vehicle_id"],
        }
    )
    return [Table("vehicles", vehicles), Table("accidents", accidents)]


SYSTEMS = [
    SourceSystem(
        "traffic",
        "余杭区公安局交通警察大队",
        "公安交通管理综合应用平台",
        "csv-utf8",
        _vehicles_and_accidents,
        "Motor-vehicle register (GA column codes: HPHM plate, SYR owner, ZDCL key vehicle) "
        "and accidents.",
    ),
]
