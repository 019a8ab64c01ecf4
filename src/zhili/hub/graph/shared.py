"""Relations that no single row states but that shared identifiers imply: the members of one
hukou household (户号) and the people who give one phone number. Each also gets its link
table (the identifier and the person masters that carry it)."""

from __future__ import annotations

from pathlib import Path

import duckdb

# A number given by more people than this is an office switchboard or a placeholder
# (13800000000), not a tie between them.
MAX_SHARING = 12


def copy_parquet(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    con.execute(f"COPY {table} TO '{path}' (FORMAT parquet, COMPRESSION zstd)")


def _pairs(
    con: duckdb.DuckDBPyConnection, table: str, key: str, relation: str, source: str, out: str
) -> None:
    """Person ↔ person edges between every two masters that share `key` (both directions);
    `table` holds distinct (master_id, key) rows."""
    con.execute(
        f"""
        INSERT INTO {out}
        WITH shared AS (
            SELECT {key} FROM {table} GROUP BY {key}
            HAVING count(*) BETWEEN 2 AND {MAX_SHARING}
        ),
        members AS (SELECT master_id, {key} FROM {table} SEMI JOIN shared USING ({key}))
        SELECT '{relation}', 'person', a.master_id, 'person', b.master_id,
               '{source}', a.{key}
        FROM members a JOIN members b ON a.{key} = b.{key} AND a.master_id <> b.master_id
        """
    )


def shared_identifier_relations(
    con: duckdb.DuckDBPyConnection, master: Path, persons: str, households: str, out: str
) -> None:
    """`persons`: a table with master_id, phone (standardized); `households`: one with
    master_id, household_number. Writes phone_links.parquet and household_links.parquet and
    appends the edges to the relations table `out`. The link tables are left in the same
    schema as `out`'s (named phone_links, household_links)."""
    schema = out.rpartition(".")[0]
    at = f"{schema}." if schema else ""
    for name, table, column in (
        ("phone_links", persons, "phone"),
        ("household_links", households, "household_number"),
    ):
        con.execute(
            f"CREATE TABLE {at}{name} AS SELECT DISTINCT master_id, {column} FROM {table} "
            f"WHERE master_id IS NOT NULL AND {column} IS NOT NULL"
        )
        copy_parquet(con, f"{at}{name}", master / f"{name}.parquet")
    _pairs(con, f"{at}household_links", "household_number", "household", "household_links", out)
    _pairs(con, f"{at}phone_links", "phone", "shared_phone", "phone_links", out)
