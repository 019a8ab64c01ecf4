"""`zhili fuse`: master persons, enterprises, houses and vehicles from the lake's mentions,
the links from every source record to its master, and accuracy against the twin's truth.

Persons and enterprises are resolved probabilistically (Splink); houses are their canonical
address (parsed against the gazetteer) and vehicles their standardized plate, where an exact
key is the right tool.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from zhili.hub.contracts import load_contracts
from zhili.hub.fusion import Scores, dedupe, score_clusters
from zhili.hub.fusion.models import MODELS
from zhili.hub.pipeline.mentions import extract_all
from zhili.hub.pipeline.prepare import (
    prepare_enterprises,
    prepare_houses,
    prepare_persons,
    prepare_vehicles,
)
from zhili.hub.pipeline.ties import tie_enterprises, tie_persons

ENTITIES = ("person", "enterprise", "house", "vehicle")
_PREFIX = {"person": "MP", "enterprise": "ME", "house": "MH", "vehicle": "MV"}


@dataclass
class FuseReport:
    seconds: dict[str, float] = field(default_factory=dict)
    mentions: dict[str, int] = field(default_factory=dict)
    masters: dict[str, int] = field(default_factory=dict)
    scores: dict[str, Scores] = field(default_factory=dict)


# Person mentions with a name but no ID, phone, birth date or address.
_THIN = {
    "person": pl.all_horizontal(
        pl.col(c).is_null() for c in ("id_number", "phone", "birth_date", "address")
    )
}


def _master_ids(entity: str, records: pl.DataFrame, key: str) -> pl.DataFrame:
    """Stable master ids: clusters numbered by their first record (source, record_id, role)."""
    first = (
        records.sort("source", "record_id", "role")
        .unique(key, keep="first", maintain_order=True)
        .with_row_index("n", offset=1)
        .select(
            key,
            pl.format(f"{_PREFIX[entity]}{{}}", pl.col("n").cast(pl.Utf8).str.zfill(8)).alias(
                "master_id"
            ),
        )
    )
    return records.join(first, on=key, how="left").select(
        "source", "record_id", "role", "master_id"
    )


def _resolve(
    entity: str, records: pl.DataFrame, models: Path, retrain: bool, engine: str = "duckdb"
) -> pl.DataFrame:
    """Splink on the distinct value tuples (a big employer's name appears in thousands of
    rows; repeats would swamp the u estimates), then back to every record."""
    columns = list(MODELS[entity]().columns)
    # A mention that carries a name and nothing else says nothing about which of the
    # namesakes it is: it stays its own record instead of sharing one tuple (and so one
    # cluster) with every other bare mention of that name; the ties may place it later.
    thin = _THIN.get(entity)
    records = records.with_columns(
        _apart=pl.when(thin).then(pl.int_range(pl.len())) if thin is not None else pl.lit(None)
    ).with_columns(pl.col("_apart").cast(pl.Int64))
    columns.append("_apart")
    distinct = (
        records.select(columns)
        .unique(maintain_order=True)
        .with_row_index("unique_id")
        .with_columns(pl.col("unique_id").cast(pl.Int64))
    )
    clusters = dedupe(entity, distinct, models, retrain=retrain, engine=engine).clusters
    distinct = distinct.join(
        clusters.with_columns(pl.col("cluster_id").cast(pl.Utf8)), on="unique_id", how="left"
    ).with_columns(pl.col("cluster_id").fill_null(pl.col("unique_id").cast(pl.Utf8)))
    return records.join(
        distinct.drop("unique_id"), on=columns, how="left", nulls_equal=True, maintain_order="left"
    ).drop("_apart")


def fuse(
    lake: Path, truth: Path | None = None, retrain: bool = False, engine: str = "duckdb"
) -> FuseReport:
    contracts = load_contracts()
    out = lake / "master"
    out.mkdir(parents=True, exist_ok=True)
    report = FuseReport()
    mentions = extract_all(lake, contracts, (*ENTITIES, "event"))
    houses = prepare_houses(mentions["house"], mentions["person"])
    persons = prepare_persons(mentions["person"], houses, mentions["event"])
    prepared = {
        "person": persons,
        "enterprise": prepare_enterprises(mentions["enterprise"], persons),
        "house": houses,
        "vehicle": prepare_vehicles(mentions["vehicle"]),
    }
    # The search index reads the same standardized columns instead of preparing them again.
    for entity, frame in prepared.items():
        frame.write_parquet(out / f"{entity}_prepared.parquet")
    keyed: dict[str, pl.DataFrame] = {}
    # Enterprises first: the person ties follow the legal representatives' enterprises.
    for entity in ("enterprise", "person", "house", "vehicle"):
        started = time.perf_counter()
        records = prepared[entity]
        report.mentions[entity] = records.height
        if entity in ("person", "enterprise"):
            keyed[entity] = _resolve(entity, records, out / "models", retrain, engine)
        else:
            keyed[entity] = records.with_columns(
                cluster_id=pl.col("canonical" if entity == "house" else "plate")
            )
        if entity == "enterprise":
            keyed[entity] = tie_enterprises(keyed["enterprise"])
        if entity == "person":
            keyed[entity] = tie_persons(keyed["person"], keyed["enterprise"], contracts)
        report.seconds[entity] = round(time.perf_counter() - started, 2)
    for entity in ENTITIES:
        started = time.perf_counter()
        links = _master_ids(entity, keyed[entity], "cluster_id")
        links.write_parquet(out / f"{entity}_links.parquet")
        report.masters[entity] = links["master_id"].n_unique()
        report.seconds[entity] = round(report.seconds[entity] + time.perf_counter() - started, 2)
        if truth is not None and (truth / "links.parquet").exists():
            report.scores[entity] = _score(links, truth, entity)
    return report


def _score(links: pl.DataFrame, truth: Path, entity: str) -> Scores:
    true = pl.read_parquet(truth / "links.parquet").filter(pl.col("entity_type") == entity)
    joined = links.join(
        true.select("source", "record_id", "role", "entity_id"),
        on=["source", "record_id", "role"],
        how="inner",
    )
    return score_clusters(joined.rename({"master_id": "cluster_id"}))


def export_links(lake: Path, entity: str, target: Path) -> int:
    """Every source record's master entity: source, record_id, master_id (plus role)."""
    path = lake / "master" / f"{entity}_links.parquet"
    if not path.exists():
        raise FileNotFoundError(f"no {entity} links yet: run `zhili fuse` first")
    links = pl.read_parquet(path).select("source", "record_id", "master_id", "role")
    links.write_parquet(target)
    return links.height
