"""Fixtures for ingest: the session's tiny twin (tests/conftest.py), the hub's contracts, one
ingest of the twin into a lake shared by the read-only tests, and copies of the sources for
the tests that plant errors."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from zhili.hub.contracts import Contract, load_contracts
from zhili.hub.ingest import IngestReport, ingest


@pytest.fixture(scope="session")
def contracts() -> dict[str, Contract]:
    return load_contracts()


@pytest.fixture(scope="session")
def sources(twin_dir: Path) -> Path:
    return twin_dir / "sources"


@pytest.fixture(scope="session")
def ingested(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestReport, Path]:
    """The whole tiny twin ingested once: (report, lake)."""
    lake = tmp_path_factory.mktemp("lake")
    return ingest(sources, lake), lake


@pytest.fixture
def sources_copy(sources: Path, tmp_path: Path) -> Path:
    """A private copy of the twin's exports, to change or break."""
    target = tmp_path / "sources"
    shutil.copytree(sources, target)
    return target


def export_frame(path: Path, fmt: str, table: str) -> pl.DataFrame:
    """An export read independently of the ingest code, every value as text."""
    if fmt.startswith("csv"):
        enc = "gbk" if fmt == "csv-gbk" else "utf-8-sig"
        return pl.read_csv(path.read_bytes().decode(enc).encode(), infer_schema=False)
    if fmt == "jsonl":
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        return pl.DataFrame(
            [{k: None if v is None else str(v) for k, v in r.items()} for r in rows],
            infer_schema_length=None,
        )
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).active
        rows = list(ws.iter_rows(values_only=True))
        return pl.DataFrame(
            [[None if v is None else str(v) for v in r] for r in rows[1:]],
            schema=[str(h) for h in rows[0]],
            orient="row",
        )
    con = sqlite3.connect(path)
    cur = con.execute(f'SELECT * FROM "{table}"')
    names = [d[0] for d in cur.description]
    rows = [[None if v is None else str(v) for v in r] for r in cur.fetchall()]
    con.close()
    return pl.DataFrame(rows, schema=names, orient="row")


def rewrite_csv(path: Path, frame: pl.DataFrame, encoding: str) -> None:
    """Write `frame` back the way the system exports (UTF-8, UTF-8 with BOM, GBK)."""
    text = frame.write_csv()
    if encoding == "gbk":
        path.write_bytes(text.encode("gbk"))
    elif encoding == "utf-8-sig":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    else:
        path.write_bytes(text.encode())


def by_table(report: IngestReport) -> dict[str, object]:
    return {f"{b.system}/{b.table}": b for b in report.batches}
