"""Accuracy of clusters against the twin's truth: pairwise and exact-cluster P, R and F1.

Pairwise: a pair of records is predicted to match when they share a cluster, and truly
matches when they share a true entity. Exact-cluster: a predicted cluster is right when it
holds exactly the records of one true entity (precision over predicted clusters, recall over
true entities).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Scores:
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float
    records: int
    clusters: int
    entities: int


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(df: pl.DataFrame, keys: list[str]) -> int:
    sizes = df.group_by(keys).len()["len"]
    return int((sizes * (sizes - 1) // 2).sum())


def score_clusters(assigned: pl.DataFrame) -> Scores:
    """`assigned`: one row per record with columns cluster_id and entity_id (the truth)."""
    df = assigned.select("cluster_id", "entity_id").drop_nulls()
    both = _pairs(df, ["cluster_id", "entity_id"])
    predicted = _pairs(df, ["cluster_id"])
    actual = _pairs(df, ["entity_id"])
    p = both / predicted if predicted else 1.0
    r = both / actual if actual else 1.0
    per_cluster = df.group_by("cluster_id").agg(
        pl.col("entity_id").n_unique().alias("entities"),
        pl.col("entity_id").first().alias("entity"),
    )
    per_entity = df.group_by("entity_id").agg(pl.col("cluster_id").n_unique().alias("clusters"))
    exact = per_cluster.filter(pl.col("entities") == 1).join(
        per_entity.filter(pl.col("clusters") == 1), left_on="entity", right_on="entity_id"
    )
    cp = exact.height / per_cluster.height if per_cluster.height else 1.0
    cr = exact.height / per_entity.height if per_entity.height else 1.0
    return Scores(
        pairwise_precision=round(p, 6),
        pairwise_recall=round(r, 6),
        pairwise_f1=round(_f1(p, r), 6),
        cluster_precision=round(cp, 6),
        cluster_recall=round(cr, 6),
        cluster_f1=round(_f1(cp, cr), 6),
        records=df.height,
        clusters=per_cluster.height,
        entities=per_entity.height,
    )
