"""Every source is present, readable in its declared format and encoding, reconciles with the
summary, and carries no truth."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from zhili.twin.sources.catalog import all_systems


def _read(path: Path, fmt: str, table: str) -> list[dict]:
    if fmt == "csv-gbk":
        raw = path.read_bytes()
        text = raw.decode("gbk")
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")  # it really is GBK, not UTF-8 by accident
        return pl.read_csv(text.encode("utf-8"), infer_schema=False).to_dicts()
    if fmt in ("csv-utf8", "csv-utf8-bom"):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (fmt == "csv-utf8-bom")
        return pl.read_csv(raw, infer_schema=False).to_dicts()
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).active
        rows = list(ws.iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    if fmt == "sqlite":
        con = sqlite3.connect(path)
        con.row_factory = sqlite3.Row
        out = [dict(r) for r in con.execute(f'SELECT * FROM "{table}"')]
        con.close()
        return out
    raise AssertionError(fmt)


def test_25_systems_of_22_departments(summary: dict) -> None:
    assert summary["systems"] == 25 == len(all_systems())
    assert summary["departments"] == 22
    formats = {s["format"] for s in summary["sources"]}
    assert {"csv-utf8", "csv-gbk", "xlsx", "jsonl", "sqlite"} <= formats


def test_each_source_reads_back_in_its_format(twin_dir: Path, summary: dict) -> None:
    truth_id = re.compile(r"^(P\d{8}|E\d{7}|H\d{7}|HH\d{8})$")
    for source in summary["sources"]:
        assert source["records"] > 0, source["name"]
        for f in source["files"]:
            rows = _read(twin_dir / "sources" / f["file"], source["format"], f["table"])
            assert len(rows) == f["records"], f["file"]
            cols = list(rows[0])
            assert not any(c.startswith("__") for c in cols), f"truth column in {f['file']}"
            # No truth identifier leaks into an export.
            sample = rows[:: max(1, len(rows) // 200)]
            leaks = [
                v for r in sample for v in r.values() if isinstance(v, str) and truth_id.match(v)
            ]
            assert not leaks, f"{f['file']}: {leaks[:3]}"


# Tables whose rows are about no entity of the world (a bus route is a line, not a thing).
DESCRIBE_NO_ENTITY = {"bus_network/routes"}


def test_links_cover_every_record(twin_dir: Path, summary: dict) -> None:
    links = pl.read_parquet(twin_dir / "truth" / "links.parquet")
    assert set(links.columns) >= {"source", "record_id", "entity_type", "entity_id"}
    per_source = links.group_by("source").agg(pl.col("record_id").n_unique()).to_dicts()
    linked = {r["source"]: r["record_id"] for r in per_source}
    for source in summary["sources"]:
        for f in source["files"]:
            same = f["table"] == source["name"]
            key = source["name"] if same else f"{source['name']}/{f['table']}"
            if key in DESCRIBE_NO_ENTITY:
                continue
            assert linked.get(key, 0) >= 0.95 * f["records"], key


def test_person_sources_contain_realistic_errors(twin_dir: Path, truth) -> None:
    """The floating-population register misspells some names and has stale addresses."""
    from zhili.identifiers import resident_id

    rows = pl.read_csv(
        twin_dir / "sources/police_floating/floating_population.csv", infer_schema=False
    )
    links = pl.read_parquet(twin_dir / "truth" / "links.parquet").filter(
        (pl.col("source") == "police_floating/floating_population")
        & (pl.col("entity_type") == "person")
    )
    joined = rows.join(links, on="record_id").join(
        truth("persons").select(
            pl.col("person_id").alias("entity_id"), pl.col("name").alias("true_name")
        ),
        on="entity_id",
    )
    wrong_names = (joined["姓名"] != joined["true_name"]).sum()
    assert 0 < wrong_names < 0.1 * joined.height
    bad_ids = sum(1 for x in rows["证件号码"].drop_nulls() if not resident_id.is_valid(x))
    assert 0 < bad_ids < 0.05 * rows.height
