"""Planted errors: bad rows are quarantined with the right reason, broken files fail their own
batch with a clear error while every other batch lands, and a failed file is kept for a retry.

One copy of the twin's exports carries every planted error and is ingested once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.hub.ingest.conftest import by_table, rewrite_csv
from zhili.hub.ingest import IngestReport, ingest, read_catalog, read_current, read_quarantine

FLOATING = "police_floating/floating_population.csv"
HOUSEHOLD = "police_household/household_register.csv"
BROKEN = {
    "police_household/household_register",
    "tax_ledger/taxpayers",
    "courts/civil_cases",
    "market_regulation/enterprise_register",
    "petitions/petitions",
    "hotline_12345/work_orders",
    "housing_construction/projects",
    "housing_construction/wage_accounts",
}


def _corrupt_rows(sources: Path) -> dict[str, str]:
    """Break four rows of the floating-population register (UTF-8 CSV); returns
    record_id -> the reason expected."""
    path = sources / FLOATING
    frame = pl.read_csv(path, infer_schema=False)
    ids = frame["record_id"]
    planted = {
        ids[3]: ("出生日期", "19851340", "出生日期: '19851340' is not a date in %Y-%m-%d"),
        ids[10]: ("姓名", None, "姓名: required value missing"),
        ids[20]: ("性别", "未知", "性别: '未知' is not an allowed code (男, 女)"),
        ids[30]: ("出生日期", "1985-2-3", "出生日期: '1985-2-3' is not a date in %Y-%m-%d"),
    }
    for rid, (col, value, _reason) in planted.items():
        frame = frame.with_columns(
            pl.when(pl.col("record_id") == rid)
            .then(pl.lit(value, pl.String))
            .otherwise(col)
            .alias(col)
        )
    rewrite_csv(path, frame, "utf-8")
    return {rid: reason for rid, (_c, _v, reason) in planted.items()}


def _ragged_rows(sources: Path) -> int:
    """Make row 2 of the bank's accounts short and row 4 long; returns the header width."""
    path = sources / "bank/accounts.csv"
    lines = path.read_bytes().decode().splitlines()
    lines[2] = ",".join(lines[2].split(",")[:3])
    lines[4] = lines[4] + ",extra"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return len(lines[0].split(","))


def _duplicate_key(sources: Path) -> dict:
    """Append a second record under the id of the telecom register's sixth record."""
    path = sources / "telecom/real_name.jsonl"
    lines = path.read_text("utf-8").splitlines()
    record = json.loads(lines[5])
    record["msisdn"] = "19900000000"
    lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return record


def _cut_inside_a_character(data: bytes) -> bytes:
    """The GBK bytes up to the first byte of a two-byte character in the middle."""
    text = data.decode("gbk")
    middle = len(text) // 2
    k = next(i for i in range(middle, len(text)) if ord(text[i]) > 0x7F)
    return text[:k].encode("gbk") + text[k].encode("gbk")[:1]


def _break_files(s: Path) -> None:
    # A GBK file cut in the middle of a character.
    hh = s / HOUSEHOLD
    hh.write_bytes(_cut_inside_a_character(hh.read_bytes()))
    # A file in the wrong encoding: the GBK tax ledger re-exported as UTF-8 ...
    tax = s / "tax_ledger/taxpayers.csv"
    tax.write_bytes(tax.read_bytes().decode("gbk").encode("utf-8"))
    # ... and a UTF-8 register exported as GBK.
    courts = s / "courts/civil_cases.csv"
    courts.write_bytes(courts.read_bytes().decode("utf-8").encode("gbk"))
    # A CSV without a required column.
    market = s / "market_regulation/enterprise_register.csv"
    rewrite_csv(market, pl.read_csv(market, infer_schema=False).drop("企业名称"), "utf-8")
    # An "XLSX" that is not a zip archive.
    (s / "petitions/petitions.xlsx").write_bytes("信访件编号,登记日期\n1,2\n".encode())
    # An unreadable SQLite file (both of its tables fail).
    (s / "housing_construction/housing_construction.sqlite").write_bytes(b"\x00garbage" * 100)
    # JSON lines cut in the middle of a record.
    orders = s / "hotline_12345/work_orders.jsonl"
    orders.write_bytes(orders.read_bytes()[:-40])


class Planted:
    def __init__(self, sources: Path, lake: Path) -> None:
        self.sources, self.lake = sources, lake
        self.rows = _corrupt_rows(sources)
        self.width = _ragged_rows(sources)
        self.duplicate = _duplicate_key(sources)
        _break_files(sources)
        self.report: IngestReport = ingest(sources, lake)
        self.tables = by_table(self.report)


@pytest.fixture(scope="module")
def planted(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Planted:
    root = tmp_path_factory.mktemp("planted")
    shutil.copytree(sources, root / "sources")
    return Planted(root / "sources", root / "lake")


def test_bad_rows_are_quarantined_with_their_reasons(planted: Planted) -> None:
    b = planted.tables["police_floating/floating_population"]
    assert b.status == "landed" and b.reconciles
    assert b.quarantined == len(planted.rows)
    bad = read_quarantine(planted.lake, "police_floating", "floating_population", b.batch)
    assert dict(zip(bad["record_id"], bad["_reason"], strict=True)) == planted.rows
    assert b.problems == {"出生日期: not a date": 2, "姓名: missing": 1, "性别: unknown code": 1}
    # The raw row is kept as it was, all text, with its row number in the file.
    row = bad.filter(pl.col("_reason").str.starts_with("性别")).row(0, named=True)
    assert row["性别"] == "未知" and row["_row"] == 21
    landed = read_current(planted.lake, "police_floating", "floating_population").collect()
    assert not set(planted.rows) & set(landed["record_id"])


def test_short_and_long_rows_are_quarantined(planted: Planted) -> None:
    b = planted.tables["bank/accounts"]
    assert b.status == "landed" and b.quarantined == 2 and b.reconciles
    bad = read_quarantine(planted.lake, "bank", "accounts", b.batch).sort("_row")
    assert bad["_row"].to_list() == [2, 4]
    assert bad["_reason"][0].startswith(f"row has 3 fields, the header {planted.width}")
    assert bad["_reason"][1].startswith(f"row has {planted.width + 1} fields")


def test_duplicate_keys_are_quarantined(planted: Planted) -> None:
    b = planted.tables["telecom/real_name"]
    assert b.quarantined == 1
    bad = read_quarantine(planted.lake, "telecom", "real_name", b.batch)
    rid = planted.duplicate["record_id"]
    assert bad["_reason"].to_list() == [f"record_id: '{rid}' is a duplicate key (first at row 6)"]
    assert bad["msisdn"].to_list() == ["19900000000"]


def test_broken_files_fail_only_their_batch(planted: Planted) -> None:
    report = planted.report
    errors = {k: b.error for k, b in planted.tables.items() if b.status == "failed"}
    assert set(errors) == BROKEN
    hh = errors["police_household/household_register"]
    assert "truncated file: it ends inside a GBK character" in hh
    tax = errors["tax_ledger/taxpayers"]
    assert "wrong encoding" in tax and "UTF-8" in tax and "GBK" in tax
    assert errors["courts/civil_cases"].startswith("not valid UTF-8")
    assert "reads as GBK" in errors["courts/civil_cases"]
    assert "missing required column(s) 企业名称" in errors["market_regulation/enterprise_register"]
    assert "not a zip archive" in errors["petitions/petitions"]
    assert "truncated file" in errors["hotline_12345/work_orders"]
    assert "not a readable SQLite database" in errors["housing_construction/projects"]
    # Every other batch landed and reconciles.
    others = [b for k, b in planted.tables.items() if k not in errors]
    assert len(others) == 32 - len(BROKEN)
    assert all(b.status == "landed" and b.reconciles for b in others)
    # The catalog keeps each failure with its hash; the bytes are kept in failed/.
    catalog = read_catalog(planted.lake)
    failed = catalog.filter(pl.col("status") == "failed")
    assert failed.height == len(BROKEN) and failed["error"].is_not_null().all()
    assert failed["sha256"].str.len_chars().min() == 64 and not failed["current"].any()
    for row in failed.iter_rows(named=True):
        kept = planted.lake / "failed" / row["system"] / row["table"]
        (copy,) = kept.glob(f"{row['batch']}.*")
        assert copy.stat().st_size == row["bytes"]
    table = report.format_table()
    assert f"{len(BROKEN)} failed" in table and "wrong encoding" in table
    assert not report.ok


def test_a_failed_batch_can_be_retried(planted: Planted, sources: Path) -> None:
    """The department re-sends a good export: it lands and becomes current; the files still
    broken fail again (each attempt recorded), the rest are already in."""
    shutil.copyfile(sources / HOUSEHOLD, planted.sources / HOUSEHOLD)
    again = by_table(ingest(planted.sources, planted.lake))
    hh = again["police_household/household_register"]
    assert hh.status == "landed" and hh.landed == hh.rows_in > 0
    assert {k for k, b in again.items() if b.status == "failed"} == BROKEN - {
        "police_household/household_register"
    }
    assert {b.status for k, b in again.items() if k not in BROKEN} == {"duplicate"}
    cur = read_current(planted.lake, "police_household", "household_register").collect()
    assert cur.height == hh.rows_in
    catalog = read_catalog(planted.lake).filter(pl.col("table") == "household_register")
    assert catalog["status"].to_list() == ["failed", "landed"]
