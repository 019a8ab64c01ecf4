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
    entity: str, records: pl.LazyFrame, models: Path, retrain: bool, engine: str = "duckdb"
) -> pl.Series:
    """Splink on the distinct value tuples (a big employer's name appears in thousands of
    rows; repeats would swamp the u estimates), then back to every record: the records'
    cluster ids, in their order. `records` is lazy (a scan of the prepared parquet): only
    the model's columns are read, and only the distinct tuples are held while Splink runs."""
    model = MODELS[entity]()
    columns = list(model.columns)
    # A mention that carries a name and nothing else says nothing about which of the
    # namesakes it is: it stays its own record instead of sharing one tuple (and so one
    # cluster) with every other bare mention of that name; the ties may place it later.
    thin = _THIN.get(entity)
    apart = pl.when(thin).then(pl.int_range(pl.len())) if thin is not None else pl.lit(None)
    tuples = records.select(*columns, _apart=apart.cast(pl.Int64)).collect()
    # A long address is a number to the model (equal or not): codes save DuckDB a gigabyte.
    tuples = tuples.with_columns(pl.col(c).rank("dense").cast(pl.Int64) for c in model.exact_only)
    # One id per distinct tuple (a dense rank: no join of the records back on nine columns).
    tuple_id = tuples.select(pl.struct(pl.all()).rank("dense").cast(pl.Int64) - 1).to_series()
    distinct = (
        tuples.with_columns(unique_id=tuple_id)
        .filter(pl.col("unique_id").is_first_distinct())
        .sort("unique_id")
    )
    del tuples
    clusters = dedupe(entity, distinct, models, retrain=retrain, engine=engine).clusters
    del distinct
    # Every tuple has its cluster (a singleton too); a missing one keeps its own id.
    cluster_of = clusters.sort("unique_id").select(
        pl.col("unique_id"), pl.col("cluster_id").cast(pl.Utf8)
    )
    return (
        pl.DataFrame({"unique_id": tuple_id})
        .join(cluster_of, on="unique_id", how="left", maintain_order="left")
        .select(pl.coalesce("cluster_id", pl.col("unique_id").cast(pl.Utf8)))
        .to_series()
        .alias("cluster_id")
    )


_KEEP = ("source", "record_id", "role", "cluster_id")


def fuse(
    lake: Path, truth: Path | None = None, retrain: bool = False, engine: str = "duckdb"
) -> FuseReport:
    """Entity by entity, freeing each frame when done: at twin scale 1.0 the person mentions
    alone (12.7 M rows, a dozen text columns) take gigabytes, and Splink's DuckDB takes up to
    ZHILI_DUCKDB_MEMORY besides."""
    contracts = load_contracts()
    out = lake / "master"
    out.mkdir(parents=True, exist_ok=True)
    report = FuseReport()
    mentions = extract_all(lake, contracts, (*ENTITIES, "event"))
    # The search index reads the same standardized columns instead of preparing them again.
    houses = prepare_houses(mentions.pop("house"), mentions["person"])
    houses.write_parquet(out / "house_prepared.parquet")
    persons = prepare_persons(mentions.pop("person"), houses, mentions.pop("event"))
    persons.write_parquet(out / "person_prepared.parquet")
    enterprises = prepare_enterprises(mentions.pop("enterprise"), persons)
    enterprises.write_parquet(out / "enterprise_prepared.parquet")
    vehicles = prepare_vehicles(mentions.pop("vehicle"))
    vehicles.write_parquet(out / "vehicle_prepared.parquet")
    del mentions

    def finish(entity: str, keyed: pl.DataFrame, started: float) -> None:
        links = _master_ids(entity, keyed.select(_KEEP), "cluster_id")
        links.write_parquet(out / f"{entity}_links.parquet")
        report.masters[entity] = links["master_id"].n_unique()
        report.seconds[entity] = round(time.perf_counter() - started, 2)
        if truth is not None and (truth / "links.parquet").exists():
            report.scores[entity] = _score(links, truth, entity)

    for entity, frame, key in (("house", houses, "canonical"), ("vehicle", vehicles, "plate")):
        started = time.perf_counter()
        report.mentions[entity] = frame.height
        finish(entity, frame.with_columns(cluster_id=pl.col(key)), started)
    del houses, vehicles, frame

    # Enterprises first: the person ties follow the legal representatives' enterprises.
    # Each entity's records wait on disk while its model runs on the distinct tuples.
    del persons, enterprises
    tied: dict[str, pl.DataFrame] = {}
    for entity in ("enterprise", "person"):
        started = time.perf_counter()
        path = out / f"{entity}_prepared.parquet"
        cluster_id = _resolve(entity, pl.scan_parquet(path), out / "models", retrain, engine)
        records = pl.read_parquet(path).with_columns(cluster_id)
        del cluster_id
        report.mentions[entity] = records.height
        if entity == "enterprise":
            tied[entity] = tie_enterprises(records).select(_KEEP)
        else:
            tied[entity] = tie_persons(records, tied.pop("enterprise"), contracts).select(_KEEP)
        del records
        finish(entity, tied[entity], started)
    report.seconds = {e: report.seconds[e] for e in ("enterprise", "person", "house", "vehicle")}
    report.mentions = {e: report.mentions[e] for e in ("enterprise", "person", "house", "vehicle")}
    return report


def _score(links: pl.DataFrame, truth: Path, entity: str) -> Scores:
    true = (
        pl.scan_parquet(truth / "links.parquet")
        .filter(pl.col("entity_type") == entity)
        .select("source", "record_id", "role", "entity_id")
    )
    joined = links.lazy().join(true, on=["source", "record_id", "role"], how="inner").collect()
    return score_clusters(joined.rename({"master_id": "cluster_id"}))


def export_links(lake: Path, entity: str, target: Path) -> int:
    """Every source record's master entity: source, record_id, master_id (plus role)."""
    path = lake / "master" / f"{entity}_links.parquet"
    if not path.exists():
        raise FileNotFoundError(f"no {entity} links yet: run `zhili fuse` first")
    links = pl.read_parquet(path).select("source", "record_id", "master_id", "role")
    links.write_parquet(target)
    return links.height
