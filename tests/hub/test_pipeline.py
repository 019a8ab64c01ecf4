"""The hub end to end on the tiny twin: ingest every export, fuse, score against the truth,
export the links. The thresholds are today's measured level at this scale (see
docs/PERFORMANCE.md), so a regression fails; the issue's goals are measured at scale 0.1."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from zhili.hub.ingest import ingest
from zhili.hub.pipeline.fuse import export_links, fuse


@pytest.fixture(scope="module")
def fused(twin_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    lake = tmp_path_factory.mktemp("lake")
    report = ingest(twin_dir / "sources", lake)
    return lake, report, fuse(lake, twin_dir / "truth")


def test_ingest_reconciles(fused) -> None:
    _, report, _ = fused
    assert report.batches and all(b.rows_in == b.landed + b.quarantined for b in report.batches)
    assert {b.status for b in report.batches} == {"landed"}


def test_fusion_accuracy(fused) -> None:
    # Measured at this scale (0.002, seed 7): person P 0.9992 R 0.9970, cluster F1 0.9891;
    # enterprise 1.0 throughout; houses and vehicles 1.0.
    _, _, report = fused
    s = report.scores
    assert s["house"].cluster_f1 >= 0.99 and s["vehicle"].cluster_f1 >= 0.99
    assert s["person"].pairwise_precision >= 0.998 and s["person"].pairwise_recall >= 0.995
    assert s["person"].cluster_f1 >= 0.985
    assert s["enterprise"].pairwise_precision >= 0.999 and s["enterprise"].pairwise_recall >= 0.999
    assert s["enterprise"].cluster_f1 >= 0.997


def test_property_rooms_are_placed(fused) -> None:
    """The property registry's houses (a compound code and a room) get an address."""
    lake, _, _ = fused
    links = pl.read_parquet(lake / "master" / "house_links.parquet")
    assert links.filter(pl.col("source") == "property_access/residents").height > 0


def test_export_links(fused, tmp_path: Path) -> None:
    lake, _, report = fused
    n = export_links(lake, "house", tmp_path / "links.parquet")
    links = pl.read_parquet(tmp_path / "links.parquet")
    assert links.height == n == report.mentions["house"]
    assert {"source", "record_id", "master_id"} <= set(links.columns)
    with pytest.raises(FileNotFoundError):
        export_links(tmp_path, "person", tmp_path / "x.parquet")
