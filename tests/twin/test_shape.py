"""The district's statistical shape at small scale: counts and shares within tolerances."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.conftest import TWIN_SCALE as SCALE
from zhili.twin import spec as S


def test_counts_follow_the_seed_figures(summary: dict) -> None:
    c = summary["counts"]
    assert c["persons"] == pytest.approx(S.RESIDENTS * SCALE, rel=0.04)
    assert c["migrants"] / c["persons"] == pytest.approx(S.MIGRANTS / S.RESIDENTS, abs=0.02)
    # The pilot community is built at 100x the twin's scale (below 0.01), so leave it out.
    pilot_flats = round(S.PILOT_FLATS * min(1.0, SCALE * 100))
    assert c["houses"] - pilot_flats == pytest.approx(S.HOUSES * SCALE, rel=0.2)
    assert c["enterprises"] == round(S.ENTERPRISES * SCALE)
    assert c["events_history"] == pytest.approx(S.HISTORY_EVENTS * SCALE, rel=0.1)
    assert c["grid_workers_full_time"] == S.FULL_TIME_GRID_WORKERS
    assert c["grid_workers_part_time"] == round(S.PART_TIME_GRID_WORKERS * SCALE)
    assert (summary["towns"], summary["villages"], summary["grids"]) == (20, 367, 1590)


def test_age_structure_matches_hangzhou_2018(truth) -> None:
    age = truth("persons")["age"]
    n = age.len()
    assert (age < 15).sum() / n == pytest.approx(0.124, abs=0.015)
    assert ((age >= 15) & (age < 65)).sum() / n == pytest.approx(0.745, abs=0.02)
    assert (age >= 65).sum() / n == pytest.approx(0.131, abs=0.015)


def test_households_average_two_and_a_half_people(truth) -> None:
    persons = truth("persons")
    assert persons.height / truth("households").height == pytest.approx(2.5, abs=0.12)
    heads = persons.filter(pl.col("relation") == "户主")
    assert heads["household_id"].n_unique() == heads.height  # one head per household


def test_dense_towns_and_mountain_towns(truth, twin_dir) -> None:
    from zhili.geo import get_layout

    layout = get_layout(twin_dir / "geo")
    per_town = truth("persons").group_by("town_code").len()
    dens = layout.towns.join(per_town, left_on="code", right_on="town_code").with_columns(
        d=pl.col("len") / pl.col("area_km2")
    )
    d = dict(zip(dens["name"], dens["d"], strict=True))
    assert min(d["临平街道"], d["南苑街道"]) > 5 * max(d["鸬鸟镇"], d["百丈镇"], d["黄湖镇"])


def test_the_pilot_community_is_in_xiecun(truth, twin_dir) -> None:
    facts = json.loads((twin_dir / "truth" / "facts.json").read_text("utf-8"))
    pilot = facts["pilot"]
    assert (pilot["name"], pilot["village_code"]) == ("昌运里", "330110010248")
    flats = truth("houses").filter(pl.col("compound_id") == pilot["compound_id"])
    factor = min(1.0, SCALE * 100)
    assert flats.height == round(S.PILOT_FLATS * factor)
    assert flats["rented"].sum() == round(flats.height * S.PILOT_RENTED / S.PILOT_FLATS)
    cams = truth("devices").filter(
        (pl.col("compound_id") == pilot["compound_id"]) & (pl.col("kind") == "camera")
    )
    assert cams.height == S.PILOT_CAMERAS
    assert (cams["role"] == "facade").sum() == S.PILOT_FACADE_CAMERAS


def test_identifiers_are_valid_and_follow_birthplace_rules(truth) -> None:
    from zhili.identifiers import credit_code, phone, plate, resident_id

    p = truth("persons")
    assert all(resident_id.is_valid(x) for x in p["id_number"])
    assert p["id_number"].n_unique() == p.height
    natives = p.filter(~pl.col("migrant"))
    year = natives["birth_date"].dt.year()
    area = natives["id_number"].str.slice(0, 6)
    expected = pl.select(
        pl.when(year < 1994)
        .then(pl.lit("330125"))
        .when(year <= 2000)
        .then(pl.lit("330184"))
        .otherwise(pl.lit("330110"))
    ).to_series()
    assert (area == expected).all()
    # The id's birth date and sex digit agree with the person.
    assert (p["id_number"].str.slice(6, 8) == p["birth_date"].dt.strftime("%Y%m%d")).all()
    odd = p["id_number"].str.slice(16, 1).cast(pl.Int32) % 2 == 1
    assert (odd == (p["sex"] == "M")).all()
    assert all(credit_code.is_valid(x) for x in truth("enterprises")["credit_code"])
    phones = p["phone"].drop_nulls()
    assert all(phone.is_valid(x) for x in phones) and phones.n_unique() == phones.len()
    assert all(plate.is_valid(x) for x in truth("vehicles")["plate"])


def test_2018_indices_fell_by_a_quarter(truth) -> None:
    ev = truth("events_history").with_columns(year=pl.col("occurred_at").dt.year())
    for family in ("criminal", "fire", "traffic_accident", "petition"):
        counts = dict(ev.filter(pl.col("family") == family).group_by("year").len().iter_rows())
        # Small samples are noisy: at this scale a family has tens of events a year.
        assert counts[2018] / counts[2017] < 0.85, family


def test_s7_developer_has_a_deposit_at_a_bank(truth, twin_dir) -> None:
    s7 = json.loads((twin_dir / "truth" / "facts.json").read_text("utf-8"))["s7"]
    dev = truth("enterprises").filter(pl.col("enterprise_id") == s7["developer_id"])
    assert dev["status"].item() == "破产" and dev["industry"].item() == "K"
    acc = truth("bank_accounts").filter(
        (pl.col("project_id") == s7["project_id"]) & (pl.col("purpose") == "工程建设保证金")
    )
    assert acc.height == 1 and acc["holder_id"].item() == s7["developer_id"]


def test_every_grid_has_one_full_time_worker(truth) -> None:
    full = truth("workers").filter(pl.col("kind") == "full_time")
    assert full["grid_code"].n_unique() == full.height == 1590
    assert truth("workers")["person_id"].n_unique() == truth("workers").height
