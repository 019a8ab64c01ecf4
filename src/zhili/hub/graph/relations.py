"""Relations between masters: every `{relation, from, to}` a contract's table declares, made
concrete for each row whose two ends were both resolved to masters (a bank row that does not
name its project gives no project_account edge; the construction system's row does).

The join runs in DuckDB over a links table (entity, source, record_id, role, master_id) of
every master entity: at twin scale 1.0 that is 27 M links and tens of millions of edges,
which DuckDB joins within its memory limit (spilling) where whole polars frames would not
fit beside the rest of the index build."""

from __future__ import annotations

import duckdb
import polars as pl

from zhili.hub.contracts.canonical import parse_entity
from zhili.hub.contracts.schema import Contract
from zhili.hub.pipeline.mentions import source_name

SCHEMA = {
    "relation": pl.Utf8,
    "from_entity": pl.Utf8,
    "from_master": pl.Utf8,
    "to_entity": pl.Utf8,
    "to_master": pl.Utf8,
    "source": pl.Utf8,
    "record_id": pl.Utf8,
}
COLUMNS = ", ".join(SCHEMA)


def declared(contracts: dict[str, Contract], entities: tuple[str, ...]) -> pl.DataFrame:
    """Every relation a contract's table declares between two of `entities`: relation, each
    end's entity and role, the source (as named in links)."""
    rows = []
    for contract in contracts.values():
        for table in contract.tables.values():
            source = source_name(contract.system, table.name)
            for d in table.describes:
                if not d.relation:
                    continue
                (fe, fr), (te, tr) = parse_entity(d.from_ or ""), parse_entity(d.to or "")
                if fe in entities and te in entities:  # events, schools, devices: not masters
                    rows.append((d.relation, fe, fr, te, tr, source))
    names = ["relation", "from_entity", "from_role", "to_entity", "to_role", "source"]
    return pl.DataFrame(rows, schema=dict.fromkeys(names, pl.Utf8), orient="row")


def build_relations(
    con: duckdb.DuckDBPyConnection,
    contracts: dict[str, Contract],
    entities: tuple[str, ...],
    links: str,
    out: str,
) -> int:
    """Create table `out` (the columns of SCHEMA), one row per relation per source row,
    distinct, from the table `links`; return its row count."""
    spec = declared(contracts, entities)
    con.register("_declared", spec.to_arrow())
    try:
        con.execute(
            f"""
            CREATE TABLE {out} AS
            SELECT DISTINCT d.relation, d.from_entity, f.master_id AS from_master,
                   d.to_entity, t.master_id AS to_master, d.source, f.record_id
            FROM _declared d
            JOIN {links} f
              ON f.entity = d.from_entity AND f.source = d.source AND f.role = d.from_role
            JOIN {links} t
              ON t.entity = d.to_entity AND t.source = d.source AND t.role = d.to_role
             AND t.record_id = f.record_id
            """
        )
    finally:
        con.unregister("_declared")
    (n,) = con.execute(f"SELECT count(*) FROM {out}").fetchone() or (0,)
    return int(n)
