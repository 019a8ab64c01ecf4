"""The entity graph on the tiny twin: keyed masters, relations from the contracts, and the
ties that shared identifiers imply."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zhili.hub.graph.shared import MAX_SHARING


def _relations(lake: Path) -> pl.DataFrame:
    return pl.read_parquet(lake / "master" / "relations.parquet")


def test_every_declared_relation_with_resolved_ends_is_there(hub_lake: Path) -> None:
    kinds = set(_relations(hub_lake)["relation"].unique())
    assert {
        "residence",
        "employment",
        "legal_representative",
        "vehicle_ownership",
        "enterprise_project",
        "project_account",
        "household",
        "shared_phone",
    } <= kinds


def test_keyed_masters_follow_their_keys(hub_lake: Path) -> None:
    for entity in ("project", "account"):
        links = pl.read_parquet(hub_lake / "master" / f"{entity}_links.parquet")
        assert links.columns == ["source", "record_id", "role", "master_id"]
        assert links["master_id"].null_count() == 0
    # One project number is one project master, whichever system wrote it.
    projects = pl.read_parquet(hub_lake / "master" / "project_links.parquet")
    assert projects["source"].n_unique() >= 2
    assert projects.group_by("master_id").agg(pl.col("source").n_unique()).height > 0


def test_implied_ties_are_symmetric_and_bounded(hub_lake: Path) -> None:
    r = _relations(hub_lake).filter(pl.col("relation").is_in(["household", "shared_phone"]))
    forward = r.select("relation", a="from_master", b="to_master")
    backward = r.select("relation", a="to_master", b="from_master")
    assert forward.sort(pl.all()).equals(backward.sort(pl.all()))
    assert (r["from_master"] != r["to_master"]).all()
    sizes = r.group_by("relation", "record_id").agg(pl.col("from_master").n_unique())
    assert sizes["from_master"].max() <= MAX_SHARING
    homes = pl.read_parquet(hub_lake / "master" / "household_links.parquet")
    assert homes.height > 0 and homes["household_number"].str.len_chars().eq(15).all()
