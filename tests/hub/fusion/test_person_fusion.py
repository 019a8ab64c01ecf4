"""Person fusion on records derived from the tiny twin: each true person appears several
times with the kinds of error department systems make; Splink, trained without labels,
puts them back together."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.hub.fusion.perturb import person_copies
from zhili.hub.fusion import dedupe, score_clusters


def test_person_fusion_recovers_people(truth, tmp_path: Path) -> None:
    persons = truth("persons").head(3000)
    records = person_copies(persons, np.random.default_rng(5))
    result = dedupe("person", records, tmp_path / "models")
    assert result.model_path.exists()
    scores = score_clusters(
        records.select("unique_id", "entity_id").join(result.clusters, on="unique_id")
    )
    assert scores.pairwise_f1 >= 0.99 and scores.cluster_f1 >= 0.98, scores
    # A saved model is reused without retraining and gives the same clusters.
    again = dedupe("person", records, tmp_path / "models")
    assert again.clusters.sort("unique_id").equals(result.clusters.sort("unique_id"))
