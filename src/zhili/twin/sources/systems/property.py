"""Property managers of smart compounds (智慧小区): the resident registry behind the gates and
two weeks of access events from face/fingerprint terminals and plate barriers (S1, S2).

Only credential ids travel: the vendor's terminal keeps the face or fingerprint, the export
and the hub never do. The pilot's last days hold the seed's two patterns: elderly residents
living alone who stop going out (a welfare check is due), and one flat with dozens of
passages a day (an anomaly for the police). Their ids are in truth/facts.json.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import record_ids
from zhili.twin.world import World

DAYS = 14
LAST_DAY = np.datetime64("2019-06-30")
EVENT_COMPOUNDS = 6  # the pilot and up to five more smart compounds log events in the export


def s2_targets(world: World) -> dict[str, object]:
    """The pilot's residents whose passages carry S2's patterns, chosen without randomness."""
    pilot = world.facts["pilot"]["compound_id"]
    houses = world["houses"].filter(pl.col("compound_id") == pilot)
    people = world["persons"].filter(pl.col("house_id").is_in(houses["house_id"].implode()))
    alone = people.filter(pl.col("elderly_alone")).sort("person_id")
    k = max(1, alone.height // 10)
    rented = houses.filter(pl.col("rented")).sort("house_id")
    return {
        "welfare_check": alone["person_id"].head(k).to_list(),
        "anomaly_house": rented["house_id"][rented.height // 2] if rented.height else None,
    }


def _registry_and_access(world: World, rng: np.random.Generator) -> list[Table]:
    devices = world["devices"]
    smart = devices.filter(pl.col("kind") == "gate_face")["compound_id"].unique().sort()
    houses = world["houses"].filter(pl.col("compound_id").is_in(smart.implode()))
    people = world["persons"].join(
        houses.select("house_id", "compound_id", "building_no", "unit", "room", "rented"),
        on="house_id",
        how="inner",
    )
    people = people.filter(pl.Series(rng.random(people.height) < 0.95))
    cars = (
        world["vehicles"]
        .filter(pl.col("owner_kind") == "person")
        .group_by("owner_id")
        .agg(pl.col("plate").first())
    )
    people = people.join(
        cars.rename({"owner_id": "person_id"}), on="person_id", how="left", maintain_order="left"
    )
    role = np.where(
        people["rented"].to_numpy(),
        "租户",
        np.where(people["relation"].to_numpy() == "户主", "业主", "家属"),
    )
    cred = pl.Series([f"CR{v:08d}" for v in rng.permutation(people.height) + 10_000_000])
    registry = pl.DataFrame(
        {
            "record_id": record_ids("ZH", people.height),
            "xiaoqu": people["compound_id"],
            "resident_name": people["name"],
            "mobile": people["phone"],
            "room": people["building_no"].cast(pl.Utf8)
            + "-"
            + people["unit"].cast(pl.Utf8)
            + "-"
            + people["room"].cast(pl.Utf8),
            "identity": role,
            "credential_id": cred,
            "face_enrolled": np.where(people["age"].to_numpy() >= 6, "Y", "N"),
            "plate": people["plate"],
            "__person": people["person_id"],
            "__house": people["house_id"],
        }
    )
    events = _access_events(world, rng, registry, devices, people)
    return [Table("residents", registry), Table("access_events", events)]


def _access_events(
    world: World,
    rng: np.random.Generator,
    registry: pl.DataFrame,
    devices: pl.DataFrame,
    people: pl.DataFrame,
) -> pl.DataFrame:
    pilot = world.facts["pilot"]["compound_id"]
    others = [c for c in registry["xiaoqu"].unique().sort().to_list() if c != pilot]
    compounds = [pilot, *others[: EVENT_COMPOUNDS - 1]]
    reg = registry.with_columns(age=people["age"], compound=people["compound_id"]).filter(
        pl.col("compound").is_in(compounds)
    )
    targets = s2_targets(world)
    # Passages a day: the young and working go out and come back; children less; elders once.
    age = reg["age"].to_numpy()
    rate = np.select([age < 6, age < 18, age < 65], [0.5, 2.0, 2.6], default=1.0)
    quiet = reg["__person"].is_in(targets["welfare_check"]).to_numpy()
    busy = (
        (reg["__house"] == targets["anomaly_house"]).to_numpy()
        if targets["anomaly_house"]
        else np.zeros(reg.height, bool)
    )
    per_day = rng.poisson(np.repeat(rate[:, None], DAYS, axis=1))
    per_day[quiet, -5:] = 0  # five days without a passage
    per_day[busy, -3:] = rng.integers(30, 60, (int(busy.sum()), 3))
    who = np.repeat(np.repeat(np.arange(reg.height), DAYS), per_day.ravel())
    day = np.repeat(np.tile(np.arange(DAYS), reg.height), per_day.ravel())
    seconds = rng.normal(13 * 3600, 4 * 3600, who.size).clip(5 * 3600, 23.5 * 3600).astype(np.int64)
    ts = (LAST_DAY - (DAYS - 1 - day).astype("timedelta64[D]")).astype(
        "datetime64[s]"
    ) + seconds.astype("timedelta64[s]")
    gates = devices.filter(
        pl.col("kind").is_in(["gate_face", "gate_plate"]) & pl.col("compound_id").is_in(compounds)
    )
    face = gates.filter(pl.col("kind") == "gate_face")
    comp_of = reg["compound"].to_numpy()[who]
    gate_ids = np.empty(who.size, dtype=object)
    for c in compounds:
        idx = np.flatnonzero(comp_of == c)
        g = face.filter(pl.col("compound_id") == c)["device_id"].to_numpy()
        if idx.size and g.size:
            gate_ids[idx] = g[rng.integers(0, g.size, idx.size)]
    method = rng.choice(["人脸", "指纹"], who.size, p=[0.92, 0.08])
    order = np.argsort(ts, kind="stable")
    ev = pl.DataFrame(
        {
            "record_id": record_ids("AC", who.size, 9),
            "device_id": pl.Series(gate_ids[order].tolist(), dtype=pl.Utf8),
            "credential_id": reg["credential_id"].to_numpy()[who][order],
            "direction": "出",
            "passed_at": pl.Series(ts[order].astype("datetime64[ms]")).dt.strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "method": method[order],
            "__person": reg["__person"].to_numpy()[who][order],
        }
    )
    # Each resident's passages alternate: out, in, out...
    parity = pl.int_range(pl.len()).over("credential_id") % 2
    return ev.with_columns(
        direction=pl.when(parity == 0).then(pl.lit("出")).otherwise(pl.lit("进"))
    )


SYSTEMS = [
    SourceSystem(
        "property_access",
        "小区物业服务企业（智慧小区平台）",
        "智慧小区门禁与住户管理系统",
        "jsonl",
        _registry_and_access,
        "Residents registered at smart-compound gates (credential ids, never biometrics) "
        "and 14 days of passages.",
    ),
]
