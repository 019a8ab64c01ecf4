"""The lake's layout and its batch catalog.

    lake/raw/<system>/<table>/<batch>.parquet         landed rows, text, with lineage
    lake/quarantine/<system>/<table>/<batch>.parquet  rejected rows, text, with _reason
    lake/failed/<system>/<table>/<batch>.<ext>        a copy of a file that could not be read
    lake/batches.parquet                              the catalog: one row per ingest of a file

Every file is written to a temporary name and renamed into place, so a reader never sees half
a file and a crash leaves either the old state or the new one. The catalog is written last:
a batch whose Parquet exists but which the catalog does not list is simply ingested again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl

CATALOG = "batches.parquet"
LINEAGE = ["_system", "_table", "_batch", "_row", "_file_sha256", "_ingested_at"]
CATALOG_SCHEMA: dict[str, pl.DataType] = {
    "system": pl.String(),
    "table": pl.String(),
    "batch": pl.String(),
    "file": pl.String(),
    "sha256": pl.String(),
    "bytes": pl.Int64(),
    "rows_in": pl.Int64(),
    "landed": pl.Int64(),
    "quarantined": pl.Int64(),
    "status": pl.String(),  # landed | duplicate | failed
    "error": pl.String(),
    "warnings": pl.String(),
    "contract_version": pl.Int64(),
    "ingested_at": pl.Datetime("us", "UTC"),
    "seconds": pl.Float64(),
    "current": pl.Boolean(),
}


def raw_path(lake: Path, system: str, table: str, batch: str) -> Path:
    return lake / "raw" / system / table / f"{batch}.parquet"


def quarantine_path(lake: Path, system: str, table: str, batch: str) -> Path:
    return lake / "quarantine" / system / table / f"{batch}.parquet"


def failed_path(lake: Path, system: str, table: str, batch: str, suffix: str) -> Path:
    return lake / "failed" / system / table / f"{batch}{suffix}"


def _temp_for(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_for(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.write_parquet(tmp, compression="zstd", compression_level=1, statistics=False)


def copy_file(source: Path, data: bytes | None, target: Path) -> None:
    with atomic_path(target) as tmp:
        if data is not None:
            tmp.write_bytes(data)
        else:
            shutil.copyfile(source, tmp)


@contextlib.contextmanager
def lake_lock(lake: Path) -> Iterator[None]:
    """One ingest at a time per lake (an advisory lock on lake/.ingest.lock)."""
    lake.mkdir(parents=True, exist_ok=True)
    with open(lake / ".ingest.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_catalog(lake: Path | str) -> pl.DataFrame:
    """Every ingest of every file so far (empty, with the schema, for a new lake)."""
    path = Path(lake) / CATALOG
    if not path.exists():
        return pl.DataFrame(schema=CATALOG_SCHEMA)
    return pl.read_parquet(path)


def write_catalog(lake: Path, catalog: pl.DataFrame) -> None:
    write_parquet(catalog.select(list(CATALOG_SCHEMA)).cast(CATALOG_SCHEMA), lake / CATALOG)


def current_batches(lake_dir: Path | str) -> pl.DataFrame:
    """The current batch of every system/table: the latest export that landed."""
    return (
        read_catalog(lake_dir)
        .filter(pl.col("current"))
        .sort("system", "table")
        .select(
            "system",
            "table",
            "batch",
            "file",
            "sha256",
            "rows_in",
            "landed",
            "quarantined",
            "ingested_at",
        )
    )


def read_current(
    lake_dir: Path | str,
    system: str,
    table: str,
    typed: bool = False,
    contracts: object = None,
) -> pl.LazyFrame:
    """The landed rows of the current batch of `system`/`table`, as text with lineage, or
    with `typed=True` cast to the contract's types (ints, floats, dates, booleans)."""
    lake = Path(lake_dir)
    cur = current_batches(lake).filter((pl.col("system") == system) & (pl.col("table") == table))
    if cur.height == 0:
        raise LookupError(f"no current batch of {system}/{table} in {lake}")
    lf = pl.scan_parquet(raw_path(lake, system, table, cur["batch"][0]))
    if typed:
        from zhili.hub.contracts.schema import as_contracts
        from zhili.hub.ingest.validate import typed as typed_expr

        spec = as_contracts(contracts)[system].tables[table]  # type: ignore[arg-type]
        lf = lf.with_columns(typed_expr(f) for f in spec.fields.values() if f.type != "string")
    return lf


def read_quarantine(lake_dir: Path | str, system: str, table: str, batch: str) -> pl.DataFrame:
    """The quarantined rows of one batch (empty when none were)."""
    path = quarantine_path(Path(lake_dir), system, table, batch)
    if not path.exists():
        return pl.DataFrame()
    return pl.read_parquet(path)
