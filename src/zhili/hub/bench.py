"""`zhili bench fusion`: the data hub's whole pipeline on a twin of a given scale, timed per
stage (ingest → fuse, which standardizes → index), with its peak memory, the ingest rate,
warm search latency through the service (authorization, masking and audit included) and the
exact-cluster F1 of every entity type against the twin's truth.

The twin is generated in a child process (or reused from --data when it has the same scale
and seed), so the peak memory reported is the pipeline's own. Each stage runs in a child
process of its own too, as `zhili ingest`, `zhili fuse` and `zhili index` do: what a stage
held is given back when it ends, so the peaks do not add up (run in one process, the
allocator kept the fuse's gigabytes while the index build took its own), and each stage's
peak is measured apart (`peak_rss_mb_by_stage`; `search` is this process, which only reads
the index). `peak_rss_mb` is the largest of them.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from zhili.hub.search.build import index_path

# A realistic mix of what staff type: identifiers most, then names, addresses, firms.
_QUERY_MIX = {
    "id_number": 3,
    "phone": 3,
    "name": 2,
    "credit_code": 1,
    "plate": 1,
    "address": 1,
    "account_number": 1,
}


def _twin(data: Path, scale: float, seed: int) -> Path:
    twin = data / "twin"
    summary = twin / "summary.json"
    if summary.exists():
        known = json.loads(summary.read_text("utf-8"))
        if known.get("scale") == scale and known.get("seed") == seed:
            return twin
    subprocess.run(
        [sys.executable, "-m", "zhili.cli", "twin", "generate", "--scale", str(scale),
         "--seed", str(seed), "--data", str(data)],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return twin


def sample_queries(lake: Path, n: int, seed: int = 7) -> list[str]:
    """`n` queries drawn from the index's own keys in the proportions of _QUERY_MIX."""
    con = duckdb.connect(str(index_path(lake)), read_only=True)
    try:
        pool: list[str] = []
        total = sum(_QUERY_MIX.values())
        for kind, weight in _QUERY_MIX.items():
            want = -(-n * weight // total)  # rounded up; the pool is cut to n below
            rows = con.execute(
                "SELECT DISTINCT value FROM keys WHERE kind = ? ORDER BY hash(value || ?) LIMIT ?",
                [kind, str(seed), want],
            ).fetchall()
            pool.extend(v for (v,) in rows)
    finally:
        con.close()
    random.Random(seed).shuffle(pool)
    # A tiny twin may have fewer distinct keys of a kind than asked: then queries repeat.
    return (pool * (n // max(1, len(pool)) + 1))[:n] if pool else []


def search_latency(lake: Path, queries: list[str], warmup: int = 50) -> list[float]:
    """Milliseconds per search through the service as a district commander."""
    from zhili.db import make_engine, make_sessionmaker
    from zhili.db.migrate import upgrade
    from zhili.hub.search.service import search
    from zhili.privacy.actors import Actor
    from zhili.privacy.context import PrivacyContext
    from zhili.privacy.purpose import Purpose

    actor = Actor(id="user:bench", role="district_commander", scope="330110")
    purpose = Purpose("statutory_duty", case_id="BENCH")
    with tempfile.TemporaryDirectory(prefix="zhili-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'zhili.db'}"
        upgrade(url)
        engine = make_engine(url)
        ctx = PrivacyContext(keys_dir=Path(tmp) / "keys")
        times: list[float] = []
        with make_sessionmaker(engine)() as session:
            warm = queries[:warmup]
            for i, q in enumerate(warm + queries):
                started = time.perf_counter()
                search(session, ctx, actor, lake, q, purpose)
                if i >= len(warm):
                    times.append((time.perf_counter() - started) * 1000)
        engine.dispose()
    return times


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_logging(level: int) -> None:
    from zhili.logging import setup_logging

    setup_logging(logging.getLevelName(level))


def _measured(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    return fn(*args), _peak_mb()


def _in_child(fn: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """`fn(*args)` in a fresh (spawned) process: its result, wall seconds (start-up
    included) and the child's peak RSS in MB."""
    started = time.perf_counter()
    level = logging.getLogger().getEffectiveLevel()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, context, initializer=_child_logging, initargs=(level,)) as pool:
        result, peak = pool.submit(_measured, fn, *args).result()
    return result, round(time.perf_counter() - started, 2), round(peak, 1)


def _ingest(sources: Path, lake: Path) -> tuple[int, float]:
    """Rows in, and the seconds the ingest itself took (the rate leaves out start-up)."""
    from zhili.hub.ingest import ingest

    started = time.perf_counter()
    rows = ingest(sources, lake).rows_in
    return rows, time.perf_counter() - started


def _fuse(lake: Path, truth: Path) -> tuple[dict, dict]:
    from zhili.hub.pipeline.fuse import fuse

    fused = fuse(lake, truth)
    return fused.seconds, fused.scores


def _index(lake: Path) -> dict[str, float]:
    from zhili.hub.search.build import build_index

    return build_index(lake).seconds


def run(scale: float, seed: int, data: Path | None, queries: int = 500) -> dict:
    with tempfile.TemporaryDirectory(prefix="zhili-bench-") as tmp:
        root = data or Path(tmp)
        twin = _twin(root, scale, seed)
        lake = root / "bench-lake"  # always from empty: a re-ingest would land nothing
        shutil.rmtree(lake, ignore_errors=True)
        seconds: dict[str, float] = {}
        peaks: dict[str, float] = {}
        (rows_in, ingesting), seconds["ingest"], peaks["ingest"] = _in_child(
            _ingest, twin / "sources", lake
        )
        (fuse_seconds, scores), seconds["fuse"], peaks["fuse"] = _in_child(
            _fuse, lake, twin / "truth"
        )
        index_seconds, seconds["index"], peaks["index"] = _in_child(_index, lake)
        times = search_latency(lake, sample_queries(lake, queries))
        peaks["search"] = round(_peak_mb(), 1)
    return {
        "bench": "fusion",
        "scale": scale,
        "seconds_total": round(sum(seconds.values()), 2),
        "seconds": seconds,
        "fuse_seconds": fuse_seconds,
        "index_seconds": index_seconds,
        "peak_rss_mb": max(peaks.values()),
        "peak_rss_mb_by_stage": peaks,
        "ingest_rows": rows_in,
        "ingest_rows_per_s": round(rows_in / ingesting),
        "search_queries": len(times),
        "search_p50_ms": round(statistics.median(times), 2),
        "search_p95_ms": round(statistics.quantiles(times, n=20)[18], 2),
        "f1": {e: round(s.cluster_f1, 4) for e, s in scores.items()},
        "pairwise_f1": {e: round(s.pairwise_f1, 4) for e, s in scores.items()},
    }
