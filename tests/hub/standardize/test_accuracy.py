"""Against the twin's truth: addresses and names (uses the session's scale-0.002 twin)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from zhili.hub.standardize.accuracy import (
    FORMS,
    PERSON_NAME_COLUMNS,
    address_accuracy,
    read_source,
)
from zhili.hub.standardize.names import _traditional_class, normalize_names
from zhili.twin.names import HOMOPHONES


@pytest.fixture(scope="module")
def twin(data_dir: Path) -> Path:
    return data_dir / "twin"


def test_address_accuracy(twin: Path) -> None:
    report = address_accuracy(twin)
    assert report["truth_parsed"] == 1.0
    assert report["records"] > 5_000
    assert report["overall"] >= 0.97, report["failures"]
    # Every written form is present and parsed; full and town forms name the village.
    assert set(report["by_form"]) == set(FORMS)
    assert report["by_form"]["full"]["share"] == 1.0
    assert report["by_form"]["town"]["share"] == 1.0
    assert min(f["share"] for f in report["by_form"].values()) >= 0.95


def _only_homophones(name: str, truth: str) -> bool:
    """True if `name` differs from `truth` only by the twin's same-sound swaps."""
    return len(name) == len(truth) and all(
        a == b or HOMOPHONES.get(b) == a for a, b in zip(name, truth, strict=True)
    )


def test_names_equal_truth_after_normalisation(twin: Path) -> None:
    links = pl.read_parquet(twin / "truth" / "links.parquet").filter(
        (pl.col("entity_type") == "person") & (pl.col("role") == "subject")
    )
    persons = pl.read_parquet(twin / "truth" / "persons.parquet").select(
        "person_id", pl.col("name").alias("truth")
    )
    checked = traditional_or_spaced = 0
    for source, column in PERSON_NAME_COLUMNS.items():
        rows = read_source(twin, source, ["record_id", column]).rename({column: "raw"})
        rows = rows.join(
            links.filter(pl.col("source") == source).select(
                "record_id", pl.col("entity_id").alias("person_id")
            ),
            on="record_id",
        ).join(persons, on="person_id")
        rows = rows.filter(pl.col("raw").is_not_null())
        rows = rows.with_columns(name=normalize_names(rows["raw"]))
        noisy = rows.filter(
            pl.col("raw").str.contains(r"\s") | pl.col("raw").str.contains(_traditional_class())
        )
        traditional_or_spaced += noisy.height
        for raw, name, truth in rows.select("raw", "name", "truth").iter_rows():
            checked += 1
            assert name == truth or _only_homophones(name, truth), (source, raw, name, truth)
    assert checked > 5_000
    assert traditional_or_spaced > 20  # the twin did put such names in
