"""Run one entity type's deduplication on DuckDB: train without labels (or load the saved
JSON model), predict with a threshold (without one memory balloons), cluster."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
from splink import Linker
from splink.backends.duckdb import DuckDBAPI

from zhili.hub.fusion.models import MODELS, EntityModel

log = logging.getLogger(__name__)


@dataclass
class FusionResult:
    entity: str
    clusters: pl.DataFrame  # unique_id, cluster_id
    pairs: int
    model_path: Path


def _train(linker: Linker, model: EntityModel, seed: int) -> None:
    linker.training.estimate_probability_two_random_records_match(
        model.deterministic_rules, recall=model.deterministic_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for block in model.em_blocks:
        linker.training.estimate_parameters_using_expectation_maximisation(block)


def dedupe(
    entity: str,
    records: pl.DataFrame,
    model_dir: Path,
    retrain: bool = False,
    seed: int = 1,
) -> FusionResult:
    """`records` has `unique_id` and the model's columns. Returns a cluster per record."""
    model = MODELS[entity]()
    missing = [c for c in ("unique_id", *model.columns) if c not in records.columns]
    if missing:
        raise ValueError(f"{entity} records lack columns {missing}")
    model_dir.mkdir(parents=True, exist_ok=True)
    model_path = model_dir / f"{entity}.json"
    con = duckdb.connect()
    try:
        db = DuckDBAPI(con)
        frame = db.register(
            records.select("unique_id", *model.columns).to_arrow(), dataset_display_name=entity
        )
        if model_path.exists() and not retrain:
            linker = Linker(frame, str(model_path), log_level="WARNING")
        else:
            linker = Linker(frame, model.settings, log_level="WARNING")
            _train(linker, model, seed)
            linker.misc.save_model_to_json(str(model_path), overwrite=True)
        predictions = linker.inference.predict(threshold_match_probability=model.predict_threshold)
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, model.cluster_threshold
        )
        # Read results fully on the connection Splink used.
        clusters = pl.from_arrow(
            clustered.as_duckdbpyrelation().select("unique_id, cluster_id").arrow()
        )
        pairs = int(con.sql(f"select count(*) from {predictions.physical_name}").fetchall()[0][0])
    finally:
        con.close()
    assert isinstance(clusters, pl.DataFrame)
    return FusionResult(entity, clusters.cast({"unique_id": pl.Int64}), pairs, model_path)
