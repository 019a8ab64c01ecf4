"""Relations that no single row states but that shared identifiers imply: the members of one
hukou household (户号) and the people who give one phone number. Each also gets its link
table (the identifier and the person masters that carry it)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zhili.hub.graph.relations import SCHEMA

# A number given by more people than this is an office switchboard or a placeholder
# (13800000000), not a tie between them.
MAX_SHARING = 12


def _pairs(table: pl.DataFrame, key: str, relation: str, source: pl.Expr) -> pl.DataFrame:
    """Person ↔ person edges between every two masters that share `key` (both directions)."""
    members = (
        table.group_by(key)
        .agg(pl.col("master_id").unique())
        .filter(pl.col("master_id").list.len().is_between(2, MAX_SHARING))
    )
    flat = members.explode("master_id")
    pairs = flat.join(flat, on=key, suffix="_other").filter(
        pl.col("master_id") != pl.col("master_id_other")
    )
    return pairs.select(
        pl.lit(relation).alias("relation"),
        pl.lit("person").alias("from_entity"),
        pl.col("master_id").alias("from_master"),
        pl.lit("person").alias("to_entity"),
        pl.col("master_id_other").alias("to_master"),
        source.alias("source"),
        pl.col(key).alias("record_id"),
    )


def shared_identifier_relations(
    master: Path, persons: pl.DataFrame, households: pl.DataFrame
) -> pl.DataFrame:
    """`persons`: master_id, phone (standardized); `households`: master_id, household_number.
    Writes phone_links.parquet and household_links.parquet; returns the edges."""
    phones = persons.select("master_id", "phone").drop_nulls().unique()
    phones.write_parquet(master / "phone_links.parquet")
    homes = households.select("master_id", "household_number").drop_nulls().unique()
    homes.write_parquet(master / "household_links.parquet")
    edges = [
        _pairs(homes, "household_number", "household", pl.lit("household_links")),
        _pairs(phones, "phone", "shared_phone", pl.lit("phone_links")),
    ]
    return pl.concat([e.cast(SCHEMA) for e in edges]) if edges else pl.DataFrame(schema=SCHEMA)
