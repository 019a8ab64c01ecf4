"""Write a system's tables in the format it really exports, byte-for-byte reproducibly, and
split off the truth columns into link rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import polars as pl
import xlsxwriter

from zhili.twin.sources.base import SourceSystem, Table, truth_columns

_EXT = {
    "csv-utf8": "csv",
    "csv-utf8-bom": "csv",
    "csv-gbk": "csv",
    "xlsx": "xlsx",
    "jsonl": "jsonl",
    "sqlite": "sqlite",
}
# A fixed timestamp for file metadata (XLSX core properties), so the same seed gives the same bytes.
_FIXED_TIME = dt.datetime(2019, 6, 30, 18, 0, 0)


def _export_frame(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.drop(truth_columns(rows))


def links_of(system: SourceSystem, table: Table) -> pl.DataFrame:
    """One row per (record, entity): source, record_id, entity_type, entity_id, role."""
    rows = table.rows
    source = f"{system.name}/{table.name}" if table.name != system.name else system.name
    parts = []
    for col in truth_columns(rows):
        etype, _, role = col[2:].partition(":")
        part = rows.select(
            pl.lit(source).alias("source"),
            pl.col("record_id").cast(pl.Utf8),
            pl.lit(etype).alias("entity_type"),
            pl.col(col).cast(pl.Utf8).alias("entity_id"),
            pl.lit(role or "subject").alias("role"),
        ).filter(pl.col("entity_id").is_not_null())
        parts.append(part)
    if not parts:
        return pl.DataFrame(
            schema={
                "source": pl.Utf8,
                "record_id": pl.Utf8,
                "entity_type": pl.Utf8,
                "entity_id": pl.Utf8,
                "role": pl.Utf8,
            }
        )
    return pl.concat(parts)


def write_system(system: SourceSystem, tables: list[Table], out_dir: Path) -> list[dict]:
    """Write every table of one system under out_dir/<system>/; return one file entry each."""
    target = out_dir / system.name
    target.mkdir(parents=True, exist_ok=True)
    entries = []
    if system.format == "sqlite":
        path = target / f"{system.name}.sqlite"
        path.unlink(missing_ok=True)
        with sqlite3.connect(path) as con:
            for t in tables:
                _write_sqlite_table(con, t.name, _export_frame(t.rows))
        con.close()
        for t in tables:
            entries.append(_entry(path, t, out_dir))
        return entries
    for t in tables:
        path = target / f"{t.name}.{_EXT[system.format]}"
        frame = _export_frame(t.rows)
        if system.format == "csv-utf8":
            frame.write_csv(path)
        elif system.format == "csv-utf8-bom":
            frame.write_csv(path, include_bom=True)
        elif system.format == "csv-gbk":
            # Strict: a character outside GBK is a generator bug, never silently replaced.
            path.write_bytes(frame.write_csv().encode("gbk"))
        elif system.format == "jsonl":
            frame.write_ndjson(path)
        elif system.format == "xlsx":
            _write_xlsx(path, frame)
        entries.append(_entry(path, t, out_dir))
    return entries


def _entry(path: Path, table: Table, root: Path) -> dict:
    return {
        "file": str(path.relative_to(root)),
        "table": table.name,
        "records": table.rows.height,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def _write_xlsx(path: Path, frame: pl.DataFrame) -> None:
    # xlsxwriter stamps zip entries with a fixed date; pin the document's dates too.
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": _FIXED_TIME, "author": "zhili twin"})
    ws = wb.add_worksheet("Sheet1")
    bold = wb.add_format({"bold": True})
    for j, col in enumerate(frame.columns):
        ws.write_string(0, j, col, bold)
    for i, row in enumerate(frame.iter_rows(), start=1):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                ws.write_string(i, j, v)
            else:
                ws.write(i, j, v)
    wb.close()


def _write_sqlite_table(con: sqlite3.Connection, name: str, frame: pl.DataFrame) -> None:
    types = {
        pl.Int64: "INTEGER",
        pl.Int32: "INTEGER",
        pl.Int16: "INTEGER",
        pl.Int8: "INTEGER",
        pl.Float64: "REAL",
        pl.Float32: "REAL",
    }
    cols = ", ".join(f'"{c}" {types.get(frame.schema[c], "TEXT")}' for c in frame.columns)
    con.execute(f'CREATE TABLE "{name}" ({cols})')
    marks = ", ".join("?" for _ in frame.columns)
    con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', frame.iter_rows())
