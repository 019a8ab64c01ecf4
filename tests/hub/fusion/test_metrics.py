"""Pairwise and exact-cluster scores on small hand-made cases."""

from __future__ import annotations

import polars as pl
import pytest

from zhili.hub.fusion import score_clusters


def frame(clusters: list[str], entities: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"cluster_id": clusters, "entity_id": entities})


def test_perfect_clusters_score_one() -> None:
    s = score_clusters(frame(["a", "a", "b", "c"], ["x", "x", "y", "z"]))
    assert (s.pairwise_f1, s.cluster_f1) == (1.0, 1.0)


def test_a_merge_costs_precision_and_a_split_costs_recall() -> None:
    merged = score_clusters(frame(["a", "a", "a"], ["x", "x", "y"]))
    assert merged.pairwise_precision == pytest.approx(1 / 3) and merged.pairwise_recall == 1.0
    assert merged.cluster_precision == 0.0 and merged.cluster_recall == 0.0
    split = score_clusters(frame(["a", "b", "c"], ["x", "x", "y"]))
    assert split.pairwise_precision == 1.0 and split.pairwise_recall == 0.0
    assert split.cluster_precision == pytest.approx(1 / 3) and split.cluster_recall == 0.5
