"""Where each master lies, as an area code (village, else town, else the district), so that
search can apply the reader's area scope inside its query. A person lies where the houses
they live in, let or hold utility accounts for lie; a vehicle where its owner does; a project
where its coordinates fall; an account where its project (or holder) lies."""

from __future__ import annotations

import polars as pl

from zhili.geo.layout import DistrictLayout
from zhili.hub.standardize import parse_addresses

DISTRICT = "330110"
_HOUSE_TIES = ("residence", "landlord", "utility_account")


def _most_common(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """One area per master: the one most of its records give (ties: the lowest code)."""
    return (
        frame.filter(pl.col("area").is_not_null())
        .group_by(key, "area")
        .len()
        .sort(key, "len", "area", descending=[False, True, False])
        .unique(key, keep="first", maintain_order=True)
        .select(key, "area")
    )


def house_areas(house_addresses: pl.DataFrame) -> pl.DataFrame:
    """master_id, area from each house master's canonical address."""
    distinct = house_addresses.unique("master_id")
    parsed = parse_addresses(distinct["canonical"], learn=False)
    return distinct.select("master_id").with_columns(
        area=pl.coalesce(parsed["village_code"], parsed["town_code"])
    )


def master_areas(
    masters: pl.DataFrame,
    relations: pl.DataFrame,
    houses: pl.DataFrame,
    enterprise_towns: pl.DataFrame,
    project_points: pl.DataFrame,
    layout: DistrictLayout,
) -> pl.DataFrame:
    """entity, master_id, area for every master in `masters` (entity, master_id)."""
    person = _most_common(
        relations.filter(
            (pl.col("from_entity") == "person")
            & (pl.col("to_entity") == "house")
            & pl.col("relation").is_in(_HOUSE_TIES)
        ).join(houses, left_on="to_master", right_on="master_id"),
        "from_master",
    ).rename({"from_master": "master_id"})
    enterprise = _most_common(enterprise_towns.rename({"town_code": "area"}), "master_id")
    grids = layout.grids["code"]
    cell = layout.locate(project_points["lon"].to_numpy(), project_points["lat"].to_numpy())
    project = _most_common(
        project_points.select("master_id").with_columns(
            area=pl.Series([grids[int(i)] if i >= 0 else None for i in cell], dtype=pl.Utf8)
        ),
        "master_id",
    )
    owners = pl.concat([person, enterprise])
    vehicle = _most_common(
        relations.filter(pl.col("to_entity") == "vehicle")
        .join(owners, left_on="from_master", right_on="master_id")
        .rename({"to_master": "vehicle"}),
        "vehicle",
    ).rename({"vehicle": "master_id"})
    account = _most_common(
        pl.concat(
            [
                relations.filter(pl.col("relation") == "project_account")
                .join(project, left_on="from_master", right_on="master_id")
                .select(pl.col("to_master").alias("master_id"), "area"),
                relations.filter(pl.col("relation") == "account_holder")
                .join(enterprise, left_on="from_master", right_on="master_id")
                .select(pl.col("to_master").alias("master_id"), "area"),
            ]
        ),
        "master_id",
    )
    known = pl.concat(
        [
            f.select(pl.lit(e).alias("entity"), "master_id", "area")
            for e, f in (
                ("person", person),
                ("house", houses),
                ("enterprise", enterprise),
                ("vehicle", vehicle),
                ("project", project),
                ("account", account),
            )
        ]
    )
    return masters.join(known, on=["entity", "master_id"], how="left").with_columns(
        pl.col("area").fill_null(DISTRICT)
    )
