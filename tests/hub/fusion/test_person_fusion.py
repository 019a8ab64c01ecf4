"""Person fusion on records derived from the tiny twin: each true person appears several
times with the kinds of error department systems make; Splink, trained without labels,
puts them back together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from pypinyin import lazy_pinyin

from zhili.hub.fusion import dedupe, score_clusters
from zhili.twin.names import HOMOPHONES


def _copies(persons: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    base = persons.select(
        pl.col("person_id").alias("entity_id"),
        "id_number",
        "name",
        "sex",
        pl.col("birth_date").cast(pl.Utf8),
        "phone",
    )
    copies = pl.concat([base] * 3).with_row_index("unique_id")
    n = copies.height
    ids = copies["id_number"].to_list()
    names = copies["name"].to_list()
    phones = copies["phone"].to_list()
    for i in np.flatnonzero(rng.random(n) < 0.03):  # a wrong digit
        k = int(rng.integers(0, 17))
        ids[i] = ids[i][:k] + str((int(ids[i][k]) + 1) % 10) + ids[i][k + 1 :]
    for i in np.flatnonzero(rng.random(n) < 0.15):  # no id at all
        ids[i] = None
    for i in np.flatnonzero(rng.random(n) < 0.03):  # a same-sound character
        names[i] = "".join(HOMOPHONES.get(c, c) for c in names[i][:1]) + names[i][1:]
    for i in np.flatnonzero(rng.random(n) < 0.5):
        phones[i] = None
    out = copies.with_columns(
        id_number=pl.Series(ids, dtype=pl.Utf8),
        name=pl.Series(names, dtype=pl.Utf8),
        phone=pl.Series(phones, dtype=pl.Utf8),
    )
    pinyin = {n: " ".join(lazy_pinyin(n)) for n in out["name"].unique().to_list()}
    return out.with_columns(
        name_pinyin=pl.col("name").replace_strict(pinyin),
        id_region=pl.col("id_number").str.slice(0, 6),
        address=pl.lit(None, pl.Utf8),
    )


def test_person_fusion_recovers_people(truth, tmp_path: Path) -> None:
    persons = truth("persons").head(3000)
    records = _copies(persons, np.random.default_rng(5))
    result = dedupe("person", records, tmp_path / "models")
    assert result.model_path.exists()
    scores = score_clusters(
        records.select("unique_id", "entity_id").join(result.clusters, on="unique_id")
    )
    assert scores.pairwise_f1 >= 0.99 and scores.cluster_f1 >= 0.98, scores
    # A saved model is reused without retraining and gives the same clusters.
    again = dedupe("person", records, tmp_path / "models")
    assert again.clusters.sort("unique_id").equals(result.clusters.sort("unique_id"))
