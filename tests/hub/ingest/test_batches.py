"""Batches: re-ingesting the same exports adds nothing; a new export of one table becomes its
current batch and leaves the others alone; writes are atomic."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.hub.ingest.conftest import by_table, rewrite_csv
from zhili.hub.ingest import current_batches, ingest, read_catalog, read_current, resolve_sources


def _lake_files(lake: Path) -> dict[str, int]:
    return {
        str(p.relative_to(lake)): p.stat().st_mtime_ns
        for p in lake.rglob("*.parquet")
        if p.name != "batches.parquet"
    }


def _current(lake: Path) -> dict[tuple[str, str], str]:
    return {
        (r["system"], r["table"]): r["batch"] for r in current_batches(lake).iter_rows(named=True)
    }


def test_batch_lifecycle(sources_copy: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    calls: list[tuple[str, int, int]] = []
    first = ingest(sources_copy, lake, progress=lambda *a: calls.append(a))
    assert calls[0] == ("ingest", 0, 32) and calls[-1][1:] == (32, 32)  # for a progress bar
    files = _lake_files(lake)
    before = _current(lake)

    # The same exports again: nothing is added, not a byte rewritten.
    again = ingest(sources_copy, lake)
    assert {b.status for b in again.batches} == {"duplicate"}
    assert again.rows_in == again.landed == again.quarantined == 0
    assert "already ingested" in again.format_table()
    assert _lake_files(lake) == files
    assert _current(lake) == before
    catalog = read_catalog(lake)
    assert catalog.height == 2 * len(first.batches)
    assert catalog.filter(pl.col("status") == "duplicate").height == len(first.batches)

    # A new export of one table: a new batch, current for that table only.
    path = sources_copy / "water_accounts/accounts.csv"
    frame = pl.read_csv(path, infer_schema=False)
    frame = frame.with_columns(
        pl.when(pl.col("record_id") == frame["record_id"][0])
        .then(pl.lit("99.9"))
        .otherwise(pl.col("月均用水量(吨)"))
        .alias("月均用水量(吨)")
    )
    rewrite_csv(path, frame, "utf-8-sig")
    third = ingest(sources_copy, lake)
    statuses = {k: b.status for k, b in by_table(third).items()}
    assert statuses.pop("water_accounts/accounts") == "landed"
    assert set(statuses.values()) == {"duplicate"}
    after = _current(lake)
    assert {k for k in after if after[k] != before[k]} == {("water_accounts", "accounts")}
    new = read_current(lake, "water_accounts", "accounts").collect()
    assert new.row(0, named=True)["月均用水量(吨)"] == "99.9"
    assert new["_batch"].unique().to_list() == [after[("water_accounts", "accounts")]]
    # The earlier batch stays in the lake, no longer current.
    water = read_catalog(lake).filter(
        (pl.col("system") == "water_accounts") & (pl.col("status") == "landed")
    )
    assert water.height == 2 and water["current"].to_list() == [False, True]
    old = before[("water_accounts", "accounts")]
    assert (lake / "raw/water_accounts/accounts" / f"{old}.parquet").exists()
    assert not list(lake.rglob("*.tmp"))  # atomic writes leave no temporary files


def test_the_sources_of_a_twin_root_are_found(twin_dir: Path, sources: Path) -> None:
    """`zhili ingest DIR` may point at a twin's root as well as its sources/."""
    assert resolve_sources(twin_dir) == sources
    assert resolve_sources(sources) == sources
