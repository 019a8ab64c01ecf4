"""Where people live: households placed in flats of compounds (小区) and in village houses.

Houses follow the households: natives own the house they live in; migrants rent whole flats or
rooms in village houses (several households to one house), which is how rental status arises.
Compounds are not scaled down with the twin (a grid keeps its compounds); only the flats that
are materialised in them are, so every address looks like a full-size one ("5幢2单元1801室").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from zhili.geo import DistrictLayout
from zhili.twin import spec as S
from zhili.twin.rng import stream
from zhili.twin.spec import TwinSpec
from zhili.twin.text import text
from zhili.twin.world.households import draw_households, mean_size
from zhili.twin.world.place_names import compound_names

PILOT_VILLAGE = "330110010248"  # 谢村村, 良渚街道
PILOT_NAME = "昌运里"


@dataclass
class Housing:
    households: pl.DataFrame  # household_id, type, migrant, grid_index, house_index, pilot
    houses: pl.DataFrame
    compounds: pl.DataFrame
    buildings: pl.DataFrame


def _per_grid_targets(
    spec: TwinSpec, layout: DistrictLayout, reserved: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = stream(spec.seed, "housing.targets")
    grids = layout.grids
    w = grids["pop_weight"].to_numpy()
    people = rng.multinomial(max(0, spec.count(S.RESIDENTS) - reserved), w / w.sum())
    town_share = dict(zip(layout.towns["code"], layout.towns["migrant_share"], strict=True))
    share = np.array([town_share[t] for t in grids["town_code"]])
    migrants = rng.binomial(people, share)
    return people - migrants, migrants


def _grid_is_village(layout: DistrictLayout) -> np.ndarray:
    kind = dict(zip(layout.villages["code"], layout.villages["kind"], strict=True))
    return np.array([kind[v] == "village" for v in layout.grids["village_code"]])


def _stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Round up with probability equal to the fraction: small grids keep their expected size."""
    base = np.floor(x)
    return (base + (rng.random(x.size) < x - base)).astype(np.int64)


def build_housing(spec: TwinSpec, layout: DistrictLayout) -> Housing:
    rng = stream(spec.seed, "housing")
    f = spec.pilot_factor
    pilot_flats = max(2, round(S.PILOT_FLATS * f))
    pilot_rented = round(pilot_flats * S.PILOT_RENTED / S.PILOT_FLATS)
    pilot_grid = int(np.flatnonzero(layout.grids["village_code"].to_numpy() == PILOT_VILLAGE)[0])
    reserved = round(
        (pilot_flats - pilot_rented) * mean_size(False) + pilot_rented * mean_size(True)
    )
    natives, migrants = _per_grid_targets(spec, layout, reserved)
    in_village = _grid_is_village(layout)

    # Households per grid, natives and migrants drawn separately (different mixes).
    n_nat = _stochastic_round(rng, natives / mean_size(False))
    n_mig = _stochastic_round(rng, migrants / mean_size(True))
    nat = draw_households(rng, int(n_nat.sum()), migrant=False).with_columns(
        grid_index=pl.Series(np.repeat(np.arange(len(n_nat)), n_nat)), pilot=pl.lit(False)
    )
    mig = draw_households(rng, int(n_mig.sum()), migrant=True).with_columns(
        grid_index=pl.Series(np.repeat(np.arange(len(n_mig)), n_mig)), pilot=pl.lit(False)
    )
    p_nat = draw_households(rng, pilot_flats - pilot_rented, migrant=False)
    p_mig = draw_households(rng, pilot_rented, migrant=True)
    pilot_hh = pl.concat([p_nat, p_mig]).with_columns(
        grid_index=pl.lit(pilot_grid, dtype=pl.Int64), pilot=pl.lit(True)
    )
    households = pl.concat([nat, mig, pilot_hh], how="vertical_relaxed")

    houses, house_of_hh = _houses_for(rng, households, in_village, pilot_flats)
    compounds, buildings, houses = _compounds_and_buildings(spec, layout, rng, houses)
    houses = _village_addresses(layout, rng, houses)
    households = households.with_columns(
        household_id=pl.format(
            "HH{}", pl.int_range(1, households.height + 1).cast(pl.Utf8).str.zfill(8)
        ),
        house_index=pl.Series(house_of_hh),
    )
    return Housing(households, houses, compounds, buildings)


def _houses_for(
    rng: np.random.Generator, households: pl.DataFrame, in_village: np.ndarray, pilot_flats: int
) -> tuple[pl.DataFrame, np.ndarray]:
    """Create houses and give each household one: owners one each, renters shared slots."""
    grid = households["grid_index"].to_numpy()
    migrant = households["migrant"].to_numpy()
    pilot = households["pilot"].to_numpy()
    n = households.height
    # Which kind of house each household lives in: flats in communities; in villages mostly
    # village houses, plus resettlement flats.
    village_house = in_village[grid] & (rng.random(n) < np.where(migrant, 0.8, 0.7)) & ~pilot
    house_of = np.full(n, -1, dtype=np.int64)

    # Owners (natives, and every pilot household: one flat each).
    own = ~migrant | pilot
    owner_idx = np.flatnonzero(own)
    house_of[owner_idx] = np.arange(owner_idx.size)
    h_grid = [grid[owner_idx]]
    h_vh = [village_house[owner_idx]]
    h_pilot = [pilot[owner_idx]]
    next_id = owner_idx.size

    # Renters: village-house rooms hold ~3 households a house; flats ~1.4 (shared rents).
    rent_idx = np.flatnonzero(~own)
    key = grid[rent_idx] * 2 + village_house[rent_idx]
    order = np.argsort(key, kind="stable")
    rent_sorted = rent_idx[order]
    keys, starts, counts = np.unique(key[order], return_index=True, return_counts=True)
    for k, s0, c in zip(keys, starts, counts, strict=True):
        is_vh = bool(k % 2)
        n_houses = max(1, round(c / (3.0 if is_vh else 1.4)))
        slot = rng.permutation(np.arange(c) % n_houses)  # every rented house gets a tenant
        house_of[rent_sorted[s0 : s0 + c]] = next_id + slot
        h_grid.append(np.full(n_houses, k // 2))
        h_vh.append(np.full(n_houses, is_vh))
        h_pilot.append(np.zeros(n_houses, dtype=bool))
        next_id += n_houses

    # Some houses stand empty (about 7 %): second homes, unsold flats.
    gz = np.concatenate(h_grid)
    n_vacant = round(gz.size * 0.07)
    vac_from = rng.choice(gz.size, n_vacant, replace=False)
    h_grid.append(gz[vac_from])
    h_vh.append(np.concatenate(h_vh)[vac_from])
    h_pilot.append(np.zeros(n_vacant, dtype=bool))
    houses = pl.DataFrame(
        {
            "grid_index": np.concatenate(h_grid).astype(np.int64),
            "village_house": np.concatenate(h_vh),
            "pilot": np.concatenate(h_pilot),
        }
    )
    occupants = np.bincount(house_of, minlength=houses.height)
    renters = np.bincount(house_of, weights=(~own).astype(float), minlength=houses.height)
    pilot_rented = np.zeros(houses.height, dtype=bool)
    pilot_rented[house_of[pilot & migrant]] = True
    houses = houses.with_columns(
        households=pl.Series(occupants.astype(np.int32)),
        rented=pl.Series((renters > 0) | pilot_rented),
        vacant=pl.Series(occupants == 0),
    )
    assert int(houses["pilot"].sum()) == pilot_flats
    return houses, house_of


def _compounds_and_buildings(
    spec: TwinSpec, layout: DistrictLayout, rng: np.random.Generator, houses: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Group the flats of each grid into compounds of full-size buildings, and number them."""
    grids = layout.grids
    villages = layout.villages
    vshort = dict(zip(villages["code"], villages["short_name"], strict=True))
    vkind = dict(zip(villages["code"], villages["kind"], strict=True))
    flat_idx = np.flatnonzero(~houses["village_house"].to_numpy())
    fgrid = houses["grid_index"].to_numpy()[flat_idx]
    fpilot = houses["pilot"].to_numpy()[flat_idx]

    comp_rows: list[dict] = []
    bld_rows: list[dict] = []
    comp_of = np.full(houses.height, -1, dtype=np.int64)
    bld_of = np.full(houses.height, -1, dtype=np.int64)
    unit = np.zeros(houses.height, dtype=np.int16)
    floor = np.zeros(houses.height, dtype=np.int16)
    room = np.zeros(houses.height, dtype=np.int32)

    def add_compound(g: int, members: np.ndarray, kind: str, pilot: bool) -> None:
        cid = len(comp_rows)
        full = members.size / (1.0 if pilot else spec.scale)
        if pilot:
            floors_b, units_b, per_floor, n_b = 17, 2, 2, 24
        elif kind == "old":
            floors_b, units_b, per_floor = int(rng.integers(5, 8)), 2, 2
            n_b = 0
        else:
            floors_b, units_b, per_floor = int(rng.choice([11, 15, 18, 26, 33])), 2, 2
            n_b = 0
        per_building = floors_b * units_b * per_floor
        if n_b == 0:
            n_b = int(np.clip(np.ceil(full / per_building), 1, 80))
        n_virtual = n_b * per_building
        take = min(members.size, n_virtual)
        slots = rng.choice(n_virtual, take, replace=False)
        # Flats beyond the compound's capacity (rare) go to a sibling compound, see the end.
        b = slots // per_building
        rest = slots % per_building
        u = rest // (floors_b * per_floor)
        rest2 = rest % (floors_b * per_floor)
        fl = rest2 // per_floor + 1
        pos = rest2 % per_floor + 1
        chosen = members[:take]
        comp_of[chosen] = cid
        bld_of[chosen] = len(bld_rows) + b
        unit[chosen] = u + 1
        floor[chosen] = fl
        room[chosen] = fl * 100 + pos
        lon, lat = layout.sample_points(np.array([g]), rng)
        for k in range(n_b):
            ang = rng.uniform(0, 2 * np.pi)
            r = rng.uniform(0, 0.0012)
            bld_rows.append(
                {
                    "compound_index": cid,
                    "number": k + 1,
                    "floors": floors_b,
                    "units": units_b,
                    "lon": float(lon[0] + r * np.cos(ang)),
                    "lat": float(lat[0] + r * np.sin(ang)),
                }
            )
        comp_rows.append(
            {
                "grid_index": g,
                "kind": kind,
                "pilot": pilot,
                "lon": float(lon[0]),
                "lat": float(lat[0]),
                "buildings": n_b,
                "village_code": grids["village_code"][g],
            }
        )
        if take < members.size:
            add_compound(g, members[take:], kind, False)

    order = np.lexsort((fpilot, fgrid))
    flat_sorted = flat_idx[order]
    gs = fgrid[order]
    ps = fpilot[order]
    bounds = np.flatnonzero(np.diff(gs * 2 + ps)) + 1
    for chunk in np.split(np.arange(flat_sorted.size), bounds):
        if chunk.size == 0:
            continue
        g = int(gs[chunk[0]])
        members = flat_sorted[chunk]
        if ps[chunk[0]]:
            add_compound(g, members, "resettlement", True)
            continue
        in_vil = vkind[grids["village_code"][g]] == "village"
        k = max(1, round(members.size / (600 * spec.scale)))
        which = rng.integers(0, k, members.size)
        for c in range(k):
            part = members[which == c]
            if part.size:
                kind = (
                    "resettlement"
                    if in_vil
                    else str(rng.choice(["commercial", "old"], p=[0.7, 0.3]))
                )
                add_compound(g, part, kind, False)

    compounds = pl.DataFrame(comp_rows)
    names = compound_names(
        rng,
        compounds.height,
        np.array([vshort[v] for v in compounds["village_code"]]),
        (compounds["kind"] == "resettlement").to_numpy() & ~compounds["pilot"].to_numpy(),
    )
    names = np.where(compounds["pilot"].to_numpy(), PILOT_NAME, names)
    compounds = compounds.with_columns(
        compound_id=pl.format(
            "C{}", pl.int_range(1, compounds.height + 1).cast(pl.Utf8).str.zfill(6)
        ),
        name=text(names),
    )
    buildings = pl.DataFrame(bld_rows).with_columns(
        building_id=pl.format("B{}", pl.int_range(1, len(bld_rows) + 1).cast(pl.Utf8).str.zfill(7))
    )
    houses = houses.with_columns(
        compound_index=pl.Series(comp_of),
        building_index=pl.Series(bld_of),
        unit=pl.Series(unit),
        floor=pl.Series(floor),
        room=pl.Series(room),
    )
    return compounds, buildings, houses


def _village_addresses(
    layout: DistrictLayout, rng: np.random.Generator, houses: pl.DataFrame
) -> pl.DataFrame:
    """Village houses are numbered within village groups (组): 谢村村3组56号."""
    vh = np.flatnonzero(houses["village_house"].to_numpy())
    vcode = layout.grids["village_code"].to_numpy()[houses["grid_index"].to_numpy()[vh]]
    group = np.zeros(houses.height, dtype=np.int16)
    number = np.zeros(houses.height, dtype=np.int32)
    order = np.argsort(vcode, kind="stable")
    vs = vcode[order]
    bounds = np.flatnonzero(vs[1:] != vs[:-1]) + 1
    for chunk in np.split(order, bounds):
        if chunk.size == 0:
            continue
        n_groups = int(rng.integers(6, 19))
        per_group = max(60, int(np.ceil(chunk.size * 1.3 / n_groups)))
        slots = rng.choice(n_groups * per_group, chunk.size, replace=False)
        group[vh[chunk]] = slots // per_group + 1
        number[vh[chunk]] = slots % per_group + 1
    return houses.with_columns(group=pl.Series(group), number=pl.Series(number))
