"""Assemble the world: geography → households and houses → people → economy → everything else."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from zhili.geo import DistrictLayout, get_layout
from zhili.twin.rng import stream
from zhili.twin.sampling import pick_in_groups
from zhili.twin.spec import REFERENCE_DATE, TwinSpec
from zhili.twin.text import text
from zhili.twin.world.devices import build_devices
from zhili.twin.world.economy import assign_employment, build_enterprises, build_projects
from zhili.twin.world.history import build_history
from zhili.twin.world.housing import build_housing
from zhili.twin.world.model import World
from zhili.twin.world.people import build_people
from zhili.twin.world.place_names import road_names
from zhili.twin.world.schools import build_schools
from zhili.twin.world.vehicles import build_vehicles
from zhili.twin.world.workforce import build_workers

Progress = Callable[[str], None]


def build_world(
    spec: TwinSpec, layout: DistrictLayout | None = None, progress: Progress | None = None
) -> World:
    step = progress or (lambda _name: None)
    layout = layout or get_layout()
    world = World(spec=spec, layout=layout)
    step("households and houses")
    housing = build_housing(spec, layout)
    houses, compounds, buildings = _finish_houses(
        spec, layout, housing.houses, housing.compounds, housing.buildings
    )
    households = housing.households.with_columns(
        house_id=pl.Series(
            houses["house_id"].to_numpy()[housing.households["house_index"].to_numpy()]
        )
    )
    step("people")
    people = build_people(spec, households)
    people = _place_people(spec, layout, people, households, houses)
    houses = _owners(spec, houses, people, households)
    step("enterprises and projects")
    roads = _roads(spec, layout)
    enterprises = build_enterprises(spec, layout, people, roads)
    people, enterprises = assign_employment(spec, people, enterprises)
    projects, accounts, s7 = build_projects(spec, layout, enterprises, roads)
    if s7:
        enterprises = enterprises.with_columns(
            pl.when(pl.col("enterprise_id") == s7["developer_id"])
            .then(pl.lit("破产"))
            .otherwise(pl.col("status"))
            .alias("status"),
            # Its troubles were visible before it failed (lawsuits, arrears): high distress.
            pl.when(pl.col("enterprise_id") == s7["developer_id"])
            .then(pl.lit(3.0))
            .otherwise(pl.col("distress"))
            .alias("distress"),
        )
        world.facts["s7"] = s7
    step("vehicles, workers, devices, schools")
    vehicles = build_vehicles(spec, people, enterprises)
    workers = build_workers(spec, layout, people)
    devices = _device_places(
        build_devices(spec, houses, compounds, buildings), compounds, buildings
    )
    schools, enrolment = build_schools(spec, layout, people)
    step("history and outcomes")
    history = _link_history(spec, build_history(spec, layout), people, enterprises, vehicles)
    arrears = _wage_arrears(spec, enterprises)

    world.tables.update(
        {
            "households": households.drop("house_index"),
            "houses": houses.drop("compound_index", "building_index"),
            "compounds": compounds.drop("compound_index", "grid_index"),
            "buildings": buildings.drop("compound_index", "building_index"),
            "persons": people,
            "enterprises": enterprises.drop("grid_index"),
            "projects": projects.drop("grid_index"),
            "bank_accounts": accounts,
            "vehicles": vehicles,
            "workers": workers,
            "devices": devices,
            "schools": schools,
            "enrolment": enrolment,
            "events_history": history,
            "wage_arrears": arrears,
        }
    )
    pilot = compounds.filter(pl.col("pilot")).row(0, named=True)
    world.facts["pilot"] = {
        "compound_id": pilot["compound_id"],
        "name": pilot["name"],
        "village_code": pilot["village_code"],
    }
    return world


def _roads(spec: TwinSpec, layout: DistrictLayout) -> dict[str, list[str]]:
    rng = stream(spec.seed, "roads")
    names = road_names(rng, 12 * layout.towns.height)
    return {code: names[i * 12 : (i + 1) * 12] for i, code in enumerate(layout.towns["code"])}


def _finish_houses(
    spec: TwinSpec,
    layout: DistrictLayout,
    houses: pl.DataFrame,
    compounds: pl.DataFrame,
    buildings: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Ids, area codes, coordinates and the canonical address of every house."""
    rng = stream(spec.seed, "houses.places")
    g = layout.grids
    v = layout.villages.select(
        pl.col("code").alias("village_code"), pl.col("short_name").alias("village_name")
    )
    t = layout.towns.select(pl.col("code").alias("town_code"), pl.col("name").alias("town_name"))
    compounds = compounds.with_columns(
        compound_index=pl.int_range(0, compounds.height),
        grid_code=pl.Series(g["code"].to_numpy()[compounds["grid_index"].to_numpy()]),
    )
    buildings = buildings.with_columns(building_index=pl.int_range(0, buildings.height)).join(
        compounds.select("compound_index", "compound_id"), on="compound_index", how="left"
    )
    gi = houses["grid_index"].to_numpy()
    lon, lat = layout.sample_points(gi, rng)
    bidx = houses["building_index"].to_numpy()
    is_flat = bidx >= 0
    blon = buildings["lon"].to_numpy()
    blat = buildings["lat"].to_numpy()
    lon = np.where(is_flat, blon[np.maximum(bidx, 0)], lon)
    lat = np.where(is_flat, blat[np.maximum(bidx, 0)], lat)
    houses = houses.with_columns(
        house_id=pl.format("H{}", pl.int_range(1, houses.height + 1).cast(pl.Utf8).str.zfill(7)),
        grid_code=pl.Series(g["code"].to_numpy()[gi]),
        village_code=pl.Series(g["village_code"].to_numpy()[gi]),
        town_code=pl.Series(g["town_code"].to_numpy()[gi]),
        lon=pl.Series(lon),
        lat=pl.Series(lat),
        kind=pl.when(pl.col("village_house"))
        .then(pl.lit("village_house"))
        .otherwise(pl.lit("flat")),
    )
    houses = houses.join(v, on="village_code", how="left", maintain_order="left").join(
        t, on="town_code", how="left", maintain_order="left"
    )
    houses = houses.join(
        compounds.select("compound_index", "compound_id", pl.col("name").alias("compound_name")),
        on="compound_index",
        how="left",
        maintain_order="left",
    ).join(
        buildings.select(
            "building_index",
            "building_id",
            pl.col("number").alias("building_no"),
            pl.col("floors").alias("building_floors"),
        ),
        on="building_index",
        how="left",
        maintain_order="left",
    )
    houses = houses.with_columns(
        address=pl.when(pl.col("village_house"))
        .then(pl.format("杭州市余杭区{}{}{}组{}号", "town_name", "village_name", "group", "number"))
        .otherwise(
            pl.format(
                "杭州市余杭区{}{}{}{}幢{}单元{}室",
                "town_name",
                "village_name",
                "compound_name",
                "building_no",
                "unit",
                "room",
            )
        )
    )
    houses = houses.with_columns(
        [
            pl.when(pl.col("village_house")).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("unit", "floor", "room")
        ]
        + [
            pl.when(pl.col("village_house")).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("group", "number")
        ]
    ).drop("village_house", "grid_index")
    return houses, compounds, buildings


def _place_people(
    spec: TwinSpec,
    layout: DistrictLayout,
    people: pl.DataFrame,
    households: pl.DataFrame,
    houses: pl.DataFrame,
) -> pl.DataFrame:
    rng = stream(spec.seed, "people.places")
    hh = households.select(
        pl.int_range(0, households.height).alias("household_index"),
        "household_id",
        "house_id",
        "grid_index",
        "pilot",
        (pl.col("type") == "elder_alone").alias("elderly_alone"),
    )
    people = people.join(hh, on="household_index", how="left", maintain_order="left").drop(
        "household_index"
    )
    people = people.with_columns(
        town_code=pl.Series(layout.grids["town_code"].to_numpy()[people["grid_index"].to_numpy()]),
        grid_code=pl.Series(layout.grids["code"].to_numpy()[people["grid_index"].to_numpy()]),
    )
    # Movers: the house they registered at before, in the same town (stale in some registers).
    town_of_house = houses["town_code"].to_numpy()
    order = np.argsort(town_of_house, kind="stable")
    towns_sorted = town_of_house[order]
    ptown = people["town_code"].to_numpy()
    lo = np.searchsorted(towns_sorted, ptown, "left")
    hi = np.searchsorted(towns_sorted, ptown, "right")
    pick = order[np.minimum(lo + (rng.random(ptown.size) * (hi - lo)).astype(np.int64), hi - 1)]
    prev = np.where(people["moved"].to_numpy(), houses["house_id"].to_numpy()[pick], None)
    return people.with_columns(prev_house_id=text(prev))


def _owners(
    spec: TwinSpec, houses: pl.DataFrame, people: pl.DataFrame, households: pl.DataFrame
) -> pl.DataFrame:
    """Owner-occupied houses belong to their household's head; rented and empty ones to a native
    adult of the same town (the landlord)."""
    rng = stream(spec.seed, "owners")
    heads = (
        people.filter((pl.col("relation") == "户主") & ~pl.col("migrant"))
        .select("house_id", pl.col("person_id").alias("owner_id"))
        .unique("house_id", keep="first")
    )
    houses = houses.join(heads, on="house_id", how="left", maintain_order="left")
    landlords = people.filter(~pl.col("migrant") & (pl.col("age") >= 30)).sort("town_code")
    lt = landlords["town_code"].to_numpy()
    ht = houses["town_code"].to_numpy()
    lo = np.searchsorted(lt, ht, "left")
    hi = np.searchsorted(lt, ht, "right")
    anywhere = rng.integers(0, landlords.height, ht.size)
    pick = np.where(
        hi > lo, lo + (rng.random(ht.size) * np.maximum(hi - lo, 1)).astype(np.int64), anywhere
    )
    return houses.with_columns(
        pl.col("owner_id").fill_null(pl.Series(landlords["person_id"].to_numpy()[pick]))
    )


def _device_places(
    devices: pl.DataFrame, compounds: pl.DataFrame, buildings: pl.DataFrame
) -> pl.DataFrame:
    out = devices.join(
        compounds.select("compound_index", "compound_id", "grid_code"),
        on="compound_index",
        how="left",
        maintain_order="left",
    )
    out = out.join(
        buildings.select("building_index", "building_id"),
        on="building_index",
        how="left",
        maintain_order="left",
    )
    return out.drop("compound_index", "building_index")


def _link_history(
    spec: TwinSpec,
    events: pl.DataFrame,
    people: pl.DataFrame,
    enterprises: pl.DataFrame,
    vehicles: pl.DataFrame,
) -> pl.DataFrame:
    """Who each past event was about: a resident of the event's town (petitioner, party,
    caller), an enterprise of that town still in business (labour complaints lean to
    distressed ones), the complainant an employee of it, or a vehicle in an accident."""
    rng = stream(spec.seed, "history.links")
    n = events.height
    fam = events["family"].to_numpy()
    town = events["town_code"]
    adults = people.filter((pl.col("age") >= 18) & (pl.col("age") <= 80))
    resident = pick_in_groups(adults["town_code"], adults["person_id"], town, rng)
    about_person = np.isin(fam, ["petition", "dispute", "hotline", "criminal", "public_order"])

    active = enterprises.filter(pl.col("status") == "存续")
    # Distressed enterprises draw more complaints: repeat them in the pool by their weight.
    weight = np.clip(np.round(np.exp(active["distress"].to_numpy())), 1, 20).astype(np.int64)
    pool = active.select("enterprise_id", "town_code")[np.repeat(np.arange(active.height), weight)]
    ent = pick_in_groups(pool["town_code"], pool["enterprise_id"], town, rng)
    about_ent = np.isin(fam, ["labour", "work_safety", "construction"])
    enterprise = np.where(about_ent, ent, None)
    # A labour complaint comes from one of the enterprise's own employees where it has any.
    workers = people.filter(pl.col("employer_id").is_not_null())
    employee = pick_in_groups(workers["employer_id"], workers["person_id"], text(enterprise), rng)
    labour = fam == "labour"
    has_employee = text(employee).is_not_null().to_numpy()
    complainant = np.where(has_employee, employee, resident)
    person = np.where(about_person, resident, np.where(labour, complainant, None))

    plates = vehicles["plate"].to_numpy()
    crash = fam == "traffic_accident"
    vehicle = np.full(n, None, dtype=object)
    if plates.size:
        vehicle[crash] = plates[rng.integers(0, plates.size, int(crash.sum()))]
    return events.with_columns(
        person_id=text(person),
        enterprise_id=text(enterprise),
        plate=text(vehicle),
    )


def _wage_arrears(spec: TwinSpec, enterprises: pl.DataFrame) -> pl.DataFrame:
    """The future the wage-arrears model is scored on: who falls into arrears after the
    reference date (2019 H2) and when. Nothing of it is in any source."""
    rng = stream(spec.seed, "wage_arrears")
    active = enterprises.filter((pl.col("status") == "存续") & (pl.col("employees") > 0))
    d = active["distress"].to_numpy()
    p = 1 / (1 + np.exp(-(1.4 * d - 4.2)))
    hit = rng.random(active.height) < p
    when = np.datetime64(REFERENCE_DATE, "D") + rng.integers(1, 184, active.height).astype(
        "timedelta64[D]"
    )
    return pl.DataFrame(
        {
            "enterprise_id": active["enterprise_id"],
            "arrears": hit,
            "arrears_on": np.where(hit, when, np.datetime64("NaT")),
        }
    )
