"""Ingest of the whole tiny twin: every batch lands and reconciles, nothing is lost, lineage
is right, and the next stage can read the current batches."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from tests.hub.ingest.conftest import export_frame
from zhili.hub.ingest import (
    LINEAGE,
    current_batches,
    read_catalog,
    read_current,
    read_quarantine,
)


def test_every_batch_lands_and_reconciles(ingested, summary: dict) -> None:
    report, _lake = ingested
    expected = sum(len(s["files"]) for s in summary["sources"])
    landed = report.with_status("landed")
    assert len(landed) == expected == 32
    assert not report.failed and report.ok
    assert all(b.reconciles for b in report.batches)
    assert report.rows_in == summary["records"] == report.landed + report.quarantined
    # A small share is quarantined, and each quarantined row says why.
    assert report.quarantined <= 0.005 * report.rows_in


def test_catalog_stores_the_counts(ingested) -> None:
    report, lake = ingested
    catalog = read_catalog(lake)
    assert catalog.height == 32
    assert (catalog["status"] == "landed").all() and catalog["current"].all()
    assert (catalog["rows_in"] == catalog["landed"] + catalog["quarantined"]).all()
    stored = {(r["system"], r["table"]): r for r in catalog.iter_rows(named=True)}
    for b in report.with_status("landed"):
        row = stored[(b.system, b.table)]
        assert (row["rows_in"], row["landed"], row["quarantined"], row["batch"]) == (
            b.rows_in,
            b.landed,
            b.quarantined,
            b.batch,
        )
    assert current_batches(lake).height == 32


def test_nothing_is_lost(ingested, summary: dict, sources: Path) -> None:
    """The record ids in raw + quarantine are exactly the export's, once each, and every
    quarantined row carries its reason."""
    _report, lake = ingested
    cur = {
        (r["system"], r["table"]): r["batch"] for r in current_batches(lake).iter_rows(named=True)
    }
    for src in summary["sources"]:
        for f in src["files"]:
            system, table = src["name"], f["table"]
            export = export_frame(sources / f["file"], src["format"], table)
            landed = read_current(lake, system, table).collect()
            bad = read_quarantine(lake, system, table, cur[(system, table)])
            ids = landed["record_id"].to_list() + (bad["record_id"].to_list() if bad.height else [])
            assert sorted(ids) == sorted(export["record_id"].to_list()), f["file"]
            assert len(ids) == len(set(ids)) == f["records"]
            if bad.height:
                assert bad["_reason"].is_not_null().all()
                assert (bad["_reason"].str.len_chars() > 5).all()
                assert set(LINEAGE) <= set(bad.columns)


def test_lineage(ingested, summary: dict, sources: Path) -> None:
    _report, lake = ingested
    for src in summary["sources"]:
        for f in src["files"]:
            landed = read_current(lake, src["name"], f["table"]).collect()
            sha = hashlib.sha256((sources / f["file"]).read_bytes()).hexdigest()
            assert sha == f["sha256"]
            assert landed.columns[-len(LINEAGE) :] == LINEAGE
            one = landed.select(pl.col("_system", "_table", "_batch", "_file_sha256").unique())
            assert one.rows() == [(src["name"], f["table"], sha[:16], sha)]
            assert landed["_ingested_at"].null_count() == 0
            rows = landed["_row"]
            assert rows.is_unique().all() and rows.min() >= 1 and rows.max() <= f["records"]


def test_values_land_as_text(ingested, sources: Path) -> None:
    _report, lake = ingested
    hh = read_current(lake, "police_household", "household_register").collect()
    assert all(dt == pl.String for name, dt in hh.schema.items() if not name.startswith("_"))
    export = export_frame(sources / "police_household/household_register.csv", "csv-gbk", "")
    first = export.row(0, named=True)
    landed = hh.filter(pl.col("record_id") == first["record_id"]).row(0, named=True)
    assert {k: landed[k] for k in first} == first  # GBK decoded, nothing reformatted
    # The row number is the record's position in the file.
    assert landed["_row"] == 1


def test_typed_read_follows_the_contract(ingested) -> None:
    _report, lake = ingested
    hh = read_current(lake, "police_household", "household_register", typed=True).collect()
    assert hh["CSRQ"].dtype == pl.Date and hh["CSRQ"].null_count() == 0
    assert hh["CSRQ"].min().year >= 1900
    fires = read_current(lake, "fire", "fires", typed=True).collect()
    assert fires["起火时间"].dtype == pl.Datetime("us")
    assert fires["经度"].dtype == pl.Float64 and fires["出动车辆"].dtype == pl.Int64
    vehicles = read_current(lake, "traffic", "vehicles", typed=True).collect()
    assert vehicles["ZDCL"].dtype == pl.Boolean and vehicles["ZDCL"].null_count() == 0


def test_report_table(ingested) -> None:
    report, _lake = ingested
    table = report.format_table()
    assert "police_household/household_register" in table
    assert "total" in table and f"{report.rows_in:,}" in table
    assert "rows/s" in table and report.rows_per_s > 0
    assert report.to_dict()["rows_in"] == report.rows_in
    assert "landed" in report.summary()
