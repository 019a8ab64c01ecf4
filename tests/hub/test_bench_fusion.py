"""`zhili bench fusion` prints the figures the issue names, measured on a real run."""

from __future__ import annotations

import json
from pathlib import Path

from zhili.hub.bench import run
from zhili.twin.spec import TwinSpec


def test_bench_fusion_figures(twin_dir: Path, tmp_path: Path) -> None:
    scale = json.loads((twin_dir / "summary.json").read_text("utf-8"))["scale"]
    (tmp_path / "twin").symlink_to(twin_dir)  # reused: same scale and seed
    figures = run(scale, TwinSpec(scale=scale, seed=7).seed, tmp_path, queries=40)
    assert figures["scale"] == scale
    assert set(figures["seconds"]) == {"ingest", "fuse", "index"}
    assert abs(figures["seconds_total"] - sum(figures["seconds"].values())) < 0.05
    assert figures["peak_rss_mb"] > 0 and figures["ingest_rows_per_s"] > 0
    assert figures["search_queries"] == 40
    assert 0 < figures["search_p50_ms"] <= figures["search_p95_ms"]
    assert set(figures["f1"]) == {"person", "house", "enterprise", "vehicle"}
    assert all(0.5 < f <= 1.0 for f in figures["f1"].values())
    json.dumps(figures)  # one JSON line
