"""Relations between masters: every `{relation, from, to}` a contract's table declares, made
concrete for each row whose two ends were both resolved to masters (a bank row that does not
name its project gives no project_account edge; the construction system's row does)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zhili.hub.contracts import load_contracts
from zhili.hub.contracts.canonical import parse_entity
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


def _links(master: Path) -> dict[str, pl.DataFrame]:
    return {
        path.name.removesuffix("_links.parquet"): pl.read_parquet(path)
        for path in sorted(master.glob("*_links.parquet"))
    }


def build_relations(lake: Path) -> pl.DataFrame:
    """Write lake/master/relations.parquet (one row per relation per source row, distinct)."""
    master = lake / "master"
    links = _links(master)
    frames: list[pl.DataFrame] = []
    for contract in load_contracts().values():
        for table in contract.tables.values():
            source = source_name(contract.system, table.name)
            for d in table.describes:
                if not d.relation:
                    continue
                (fe, fr), (te, tr) = parse_entity(d.from_ or ""), parse_entity(d.to or "")
                if fe not in links or te not in links:
                    continue  # events, schools, devices: not masters of the data hub
                ends = []
                for entity, role, side in ((fe, fr, "from"), (te, tr, "to")):
                    ends.append(
                        links[entity]
                        .filter((pl.col("source") == source) & (pl.col("role") == role))
                        .select("record_id", pl.col("master_id").alias(f"{side}_master"))
                    )
                edges = ends[0].join(ends[1], on="record_id", how="inner")
                frames.append(
                    edges.select(
                        pl.lit(d.relation).alias("relation"),
                        pl.lit(fe).alias("from_entity"),
                        "from_master",
                        pl.lit(te).alias("to_entity"),
                        "to_master",
                        pl.lit(source).alias("source"),
                        "record_id",
                    )
                )
    relations = (
        pl.concat(frames).unique(maintain_order=True) if frames else pl.DataFrame(schema=SCHEMA)
    )
    relations.write_parquet(master / "relations.parquet")
    return relations
