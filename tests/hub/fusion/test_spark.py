"""The Spark engine (Splink's Spark backend, local mode) gives the same clusters as DuckDB
with the same saved model: on FEBRL4 (trained on DuckDB) and on person records derived from
the tiny twin. Skips when pyspark or Java is missing, except in CI."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.conftest import need
from tests.hub.fusion.perturb import person_copies
from zhili.hub.fusion import dedupe, score_clusters
from zhili.hub.fusion.dialects import (
    ModelMismatch,
    java_date_format,
    port_saved_model,
    spark_date_formats,
)
from zhili.hub.fusion.febrl import febrl4_model, link_febrl4


@pytest.fixture(scope="module")
def spark():
    from zhili.hub.fusion import spark as engine

    reason = engine.unavailable_reason()
    need(reason is None, f"the Spark engine cannot run here: {reason}")
    engine.configure(quick_jit=True)  # short runs: the C1 JIT warms up a little faster
    started = time.perf_counter()
    session = engine.get_spark()
    print(f"Spark {session.version} started in {time.perf_counter() - started:.1f} s")
    yield session
    engine.stop_spark()


def _partition(clusters: pl.DataFrame, key: list[str]) -> set[frozenset]:
    """Clusters as a set of sets of records, whatever the cluster ids."""
    groups = clusters.group_by("cluster_id").agg(pl.struct(key).alias("members"))
    return {frozenset(tuple(m.values()) for m in ms) for ms in groups["members"].to_list()}


def test_febrl4_spark_matches_duckdb(spark, tmp_path: Path) -> None:
    models = tmp_path / "models"
    duck = link_febrl4(models)  # trains on DuckDB and saves the JSON model
    trained = models / "febrl4.json"
    saved = trained.read_text("utf-8")
    on_spark = link_febrl4(models, engine="spark")
    print(f"FEBRL4: DuckDB {duck.seconds:.1f} s, Spark {on_spark.seconds:.1f} s")
    assert trained.read_text("utf-8") == saved  # reused, not retrained
    key = ["source_dataset", "unique_id"]
    assert on_spark.clusters.height == duck.clusters.height == 10_000
    assert _partition(on_spark.clusters, key) == _partition(duck.clusters, key)
    assert on_spark.clusters.sort(key).equals(duck.clusters.sort(key))  # same ids too
    assert on_spark.pairs == duck.pairs
    assert on_spark.scores == duck.scores and on_spark.scores.f1 >= 0.99


def test_person_fusion_spark_matches_duckdb(spark, truth, tmp_path: Path) -> None:
    records = person_copies(truth("persons").head(2000), np.random.default_rng(11))
    models = tmp_path / "models"
    started = time.perf_counter()
    duck = dedupe("person", records, models)  # trains on DuckDB
    duck_s = time.perf_counter() - started
    started = time.perf_counter()
    on_spark = dedupe("person", records, models, engine="spark")
    print(
        f"person ({records.height} records): DuckDB {duck_s:.1f} s, "
        f"Spark {time.perf_counter() - started:.1f} s"
    )
    assert on_spark.model_path == duck.model_path
    assert on_spark.clusters.schema == duck.clusters.schema
    assert on_spark.clusters.sort("unique_id").equals(duck.clusters.sort("unique_id"))
    assert on_spark.pairs == duck.pairs
    scores = score_clusters(
        records.select("unique_id", "entity_id").join(on_spark.clusters, on="unique_id")
    )
    assert scores.pairwise_f1 >= 0.99, scores


def test_date_formats_become_java_patterns() -> None:
    assert java_date_format("%Y%m%d") == "yyyyMMdd"
    assert java_date_format("%Y-%m-%d %H:%M:%S") == "yyyy-MM-dd HH:mm:ss"
    assert java_date_format("%Y-%m-%dT%H") == "yyyy-MM-dd\\'T\\'HH"
    sql = "try_to_timestamp(`dob_l`, '%Y%m%d') = date(try_to_timestamp(`dob_r`, '%d/%m/%Y'))"
    assert spark_date_formats(sql) == (
        "try_to_timestamp(`dob_l`, 'yyyyMMdd') = date(try_to_timestamp(`dob_r`, 'dd/MM/yyyy'))"
    )
    assert spark_date_formats("levenshtein(`a_l`, `a_r`) <= 1") == "levenshtein(`a_l`, `a_r`) <= 1"


def test_a_saved_model_that_is_not_the_recipe_is_refused(tmp_path: Path) -> None:
    model = febrl4_model()
    saved = tmp_path / "febrl4.json"
    settings = model.settings.create_settings_dict("duckdb")
    settings["comparisons"][0]["comparison_levels"][2]["sql_condition"] = "true"
    saved.write_text(json.dumps({**settings, "sql_dialect": "duckdb"}), "utf-8")
    with pytest.raises(ModelMismatch):
        port_saved_model(model, saved, "spark")
    del settings["comparisons"][0]
    saved.write_text(json.dumps({**settings, "sql_dialect": "duckdb"}), "utf-8")
    with pytest.raises(ModelMismatch):
        port_saved_model(model, saved, "spark")


def test_dates_parse_alike_on_both_engines(spark) -> None:
    """The same strftime format, as DuckDB reads it and as Spark reads the Java pattern it
    becomes: the same dates, and NULL for the same impossible ones. One known difference:
    DuckDB's %d also takes a single digit ("2000011" is 2000-01-01), Spark's dd does not; the
    hub standardizes dates before they reach a model, so models never see such values."""
    import duckdb

    values = ["19500228", "19500230", "20001301", "20240229", "20230229", "1950022", None]
    table = pl.DataFrame({"v": values}, schema={"v": pl.Utf8})
    con = duckdb.connect()
    con.register("t", table.to_arrow())
    duck = con.sql("select v, cast(try_strptime(v, '%Y%m%d') as date) as d from t").pl()
    con.close()
    spark.createDataFrame([(v,) for v in values], "v string").createOrReplaceTempView("t")
    rows = spark.sql(
        spark_date_formats("select v, date(try_to_timestamp(v, '%Y%m%d')) as d from t")
    ).collect()
    spark.catalog.dropTempView("t")
    on_spark = pl.DataFrame(
        [(r["v"], r["d"]) for r in rows], schema={"v": pl.Utf8, "d": pl.Date}, orient="row"
    )
    both = duck.join(on_spark, on="v", how="left", nulls_equal=True, suffix="_spark")
    short = pl.col("v").str.len_chars() < 8
    assert (
        both.filter(short.not_() | pl.col("v").is_null())
        .select((pl.col("d").eq_missing(pl.col("d_spark"))).all())
        .item()
    ), both
    assert both.filter(short).rows() == [("1950022", date(1950, 2, 2), None)]
