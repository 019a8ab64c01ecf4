"""Run one entity type's deduplication (or a two-table linkage) on DuckDB or Spark: train
without labels (or load the saved JSON model), predict with a threshold (without one memory
balloons), cluster.

DuckDB is the reference engine. The Spark engine (`engine="spark"`, the `spark` extra) runs
the same model on Splink's Spark backend in a local SparkSession (see `spark.py`). A saved
JSON model is backend-independent: when one exists, both engines use it, so both give the
same clusters. Models are trained on whichever engine runs first; training on DuckDB and
reusing the model on Spark is the tested path.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl
from splink import Linker
from splink.backends.duckdb import DuckDBAPI

from zhili.config import get_settings
from zhili.hub.fusion.dialects import settings_for
from zhili.hub.fusion.models import MODELS, EntityModel

log = logging.getLogger(__name__)

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")


@dataclass
class FusionResult:
    entity: str
    clusters: pl.DataFrame  # unique_id, cluster_id
    pairs: int
    model_path: Path


@dataclass
class RunResult:
    """What one model run gives back, whatever the engine."""

    clusters: pl.DataFrame  # (source_dataset when linking,) unique_id, cluster_id
    pairs: int  # predicted pairs above the model's predict threshold
    trained: bool  # False when a saved model was reused
    seconds: float


def connect_duckdb(path: str = ":memory:", ordered: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection held to ZHILI_DUCKDB_MEMORY, spilling to a temporary directory.
    `ordered`: keep insertion order (a table written sorted stays sorted); off, DuckDB
    needs less memory."""
    spill = Path(tempfile.gettempdir()) / "zhili-duckdb-spill"
    spill.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        path,
        config={
            "memory_limit": get_settings().duckdb_memory,
            "temp_directory": str(spill),
            "preserve_insertion_order": ordered,
        },
    )


def exact_u(tables: dict[str, pl.DataFrame], column: str) -> float | None:
    """The chance that two random records, both with a `column` value, share it: what
    random sampling estimates for an exact-match level, computed from the value counts.
    (Two tables: the pairs across them.)"""
    counts = [
        t.select(pl.col(column).drop_nulls().value_counts(sort=False).struct.field("count"))
        .to_series()
        .cast(pl.Float64)
        for t in tables.values()
    ]
    if len(counts) == 1:
        m = float(counts[0].sum())
        same = float((counts[0] * (counts[0] - 1)).sum())
        return same / (m * (m - 1)) if m > 1 else None
    a, b = (
        t.select(pl.col(column).drop_nulls().value_counts(sort=False)).unnest(column)
        for t in tables.values()
    )
    both = a.join(b, on=column, suffix="_r")
    m = float(a["count"].sum()) * float(b["count"].sum())
    same = float((both["count"].cast(pl.Float64) * both["count_r"].cast(pl.Float64)).sum())
    return same / m if m else None


def _train(
    linker: Linker, model: EntityModel, seed: int, tables: dict[str, pl.DataFrame] | None = None
) -> None:
    linker.training.estimate_probability_two_random_records_match(
        model.deterministic_rules, recall=model.deterministic_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    if tables is not None:
        _exact_u_from_counts(linker, tables)
    for block in model.em_blocks:
        linker.training.estimate_parameters_using_expectation_maximisation(block)


def _exact_u_from_counts(linker: Linker, tables: dict[str, pl.DataFrame]) -> None:
    """Replace the sampled u of each comparison's first level, when it is an exact match on
    one column, by its value computed from the value counts.

    Random sampling sees 2 M pairs. At twin scale 1.0 (8 M distinct person tuples, 3.2 M
    people) two random records share an ID number, a phone or an address about once in
    10 M pairs: the sample holds none, the level's u is left unestimated, Splink falls back
    to a default u (0.05 for a two-level comparison) and an exact ID or phone match weighs
    almost nothing, so most cross-system pairs drop below the threshold. Counting is exact
    and costs one group-by per column."""
    for comparison in linker._settings_obj.comparisons:
        levels = [lv for lv in comparison.comparison_levels if not lv.is_null_level]
        if not levels or not levels[0]._is_exact_match:
            continue
        (column,) = levels[0]._exact_match_colnames
        if any(column not in t.columns for t in tables.values()):
            continue
        u = exact_u(tables, column)
        if u is None or u <= 0:
            continue
        sampled = levels[0]._u_probability
        levels[0].u_probability = u
        # Splink sets each level's u to the median of its recorded estimates when training
        # ends: the count is the only record.
        levels[0]._trained_u_probabilities = [
            {"probability": u, "description": "exact, from value counts", "m_or_u": "u"}
        ]
        log.info("u of exact %s: %.3g (sampled: %s)", column, u, sampled)


def _cluster_columns(model: EntityModel) -> list[str]:
    linking = model.settings.link_type != "dedupe_only"
    return ["source_dataset", "unique_id", "cluster_id"] if linking else ["unique_id", "cluster_id"]


def _run_duckdb(
    model: EntityModel,
    tables: dict[str, pl.DataFrame],
    model_path: Path,
    retrain: bool,
    seed: int,
) -> tuple[pl.DataFrame, int, bool]:
    con = connect_duckdb()
    try:
        db = DuckDBAPI(con)
        frames = [
            db.register(table.to_arrow(), dataset_display_name=name)
            for name, table in tables.items()
        ]
        trained = retrain or not model_path.exists()
        if trained:
            linker = Linker(frames, model.settings, log_level="WARNING")
            _train(linker, model, seed, tables)
            linker.misc.save_model_to_json(str(model_path), overwrite=True)
        else:
            settings = settings_for(model, model_path, "duckdb")
            linker = Linker(frames, settings, log_level="WARNING")
        predictions = linker.inference.predict(threshold_match_probability=model.predict_threshold)
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, model.cluster_threshold
        )
        # Read results fully on the connection Splink used.
        clusters = pl.from_arrow(
            clustered.as_duckdbpyrelation().select(", ".join(_cluster_columns(model))).arrow()
        )
        pairs = int(con.sql(f"select count(*) from {predictions.physical_name}").fetchall()[0][0])
    finally:
        con.close()
    assert isinstance(clusters, pl.DataFrame)
    return clusters, pairs, trained


def run_model(
    model: EntityModel,
    tables: dict[str, pl.DataFrame],
    model_path: Path,
    *,
    retrain: bool = False,
    seed: int = 1,
    engine: Engine = "duckdb",
) -> RunResult:
    """Run `model` over `tables` (name → records with `unique_id` and the model's columns;
    one table to deduplicate, two to link). Trains and saves the model at `model_path`
    unless it exists (or `retrain`)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    for name, table in tables.items():
        missing = [c for c in ("unique_id", *model.columns) if c not in table.columns]
        if missing:
            raise ValueError(f"{name} records lack columns {missing}")
    tables = {name: t.select("unique_id", *model.columns) for name, t in tables.items()}
    model_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if engine == "spark":
        from zhili.hub.fusion.spark import run_spark

        clusters, pairs, trained = run_spark(
            model,
            tables,
            model_path,
            retrain=retrain,
            seed=seed,
            train=lambda linker, m, s: _train(linker, m, s, tables),
        )
    else:
        clusters, pairs, trained = _run_duckdb(model, tables, model_path, retrain, seed)
    seconds = time.perf_counter() - started
    log.info(
        "%s on %s: %d records, %d pairs, %d clusters in %.1f s%s",
        model.entity,
        engine,
        clusters.height,
        pairs,
        clusters["cluster_id"].n_unique(),
        seconds,
        " (trained)" if trained else "",
    )
    return RunResult(clusters.select(_cluster_columns(model)), pairs, trained, seconds)


def dedupe(
    entity: str,
    records: pl.DataFrame,
    model_dir: Path,
    retrain: bool = False,
    seed: int = 1,
    engine: Engine = "duckdb",
) -> FusionResult:
    """`records` has `unique_id` and the model's columns. Returns a cluster per record.

    `engine` is "duckdb" (default) or "spark" (needs the `spark` extra and Java 17)."""
    model = MODELS[entity]()
    model_path = model_dir / f"{entity}.json"
    run = run_model(model, {entity: records}, model_path, retrain=retrain, seed=seed, engine=engine)
    clusters = run.clusters.cast({"unique_id": pl.Int64, "cluster_id": pl.Int64})
    return FusionResult(entity, clusters, run.pairs, model_path)
