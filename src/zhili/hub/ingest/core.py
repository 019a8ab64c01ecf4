"""`ingest(sources_dir, lake_dir)`: land every department export in the lake.

For each contract table, the file(s) under `<sources>/<system>/` are hashed; the batch id is
the start of the SHA-256, so the same bytes are one batch however often they arrive (a second
time they are reported "already ingested" and add nothing), and a new export of a table is a
new batch that becomes its current one. Each file is read as text, every row is checked
against the contract, and good rows land in `raw/`, bad ones in `quarantine/` with their
reason, both with lineage. A file that cannot be read fails its batch only: the error goes
to the catalog and the report, a copy of the file to `failed/`, and the other batches go on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from zhili.hub.contracts.schema import Contract, TableSpec, as_contracts
from zhili.hub.ingest import lake as L
from zhili.hub.ingest.readers import ROW, BatchError, read_table
from zhili.hub.ingest.report import BatchResult, IngestReport
from zhili.hub.ingest.validate import REASON, check

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (what, done, total)
BATCH_ID_LENGTH = 16


@dataclass(frozen=True)
class _Job:
    contract: Contract
    table: TableSpec
    path: Path
    rel: str  # path relative to the sources directory

    @property
    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0


def resolve_sources(sources_dir: Path) -> Path:
    """Accept a twin's root directory (holding summary.json and sources/) as well."""
    inner = sources_dir / "sources"
    if (sources_dir / "summary.json").exists() and inner.is_dir():
        return inner
    return sources_dir


def _plan(sources: Path, contracts: dict[str, Contract]) -> tuple[list[_Job], list[BatchResult]]:
    jobs: list[_Job] = []
    other: list[BatchResult] = []
    claimed: set[Path] = set()
    for c in sorted(contracts.values(), key=lambda c: c.system):
        folder = sources / c.system
        for t in c.tables.values():
            found = sorted(
                p
                for p in (folder.glob(t.file) if folder.is_dir() else [])
                if p.is_file() and not p.name.startswith(".")
            )
            rel = f"{c.system}/{t.file}"
            if not found:
                other.append(BatchResult(c.system, t.name, rel, "missing", error=f"no file {rel}"))
            for p in found:
                jobs.append(_Job(c, t, p, str(p.relative_to(sources))))
                claimed.add(p)
    if sources.is_dir():
        for folder in sorted(p for p in sources.iterdir() if p.is_dir()):
            for p in sorted(folder.iterdir()):
                if p.is_file() and p not in claimed and not p.name.startswith("."):
                    rel = str(p.relative_to(sources))
                    other.append(BatchResult(folder.name, p.stem, rel, "unknown"))
    return jobs, other


def _lineage(job: _Job, batch: str, sha: str, at: dt.datetime) -> list[pl.Expr]:
    return [
        pl.lit(job.contract.system, pl.String).alias("_system"),
        pl.lit(job.table.name, pl.String).alias("_table"),
        pl.lit(batch, pl.String).alias("_batch"),
        pl.col(ROW),
        pl.lit(sha, pl.String).alias("_file_sha256"),
        pl.lit(at, pl.Datetime("us", "UTC")).alias("_ingested_at"),
    ]


def _land(job: _Job, data: bytes, sha: str, batch: str, lake: Path, at: dt.datetime) -> BatchResult:
    c, t = job.contract, job.table
    raw = read_table(job.path, data, c, t)
    checked = check(raw.frame, t, len(raw.columns))
    columns = [*t.fields, *(col for col in raw.columns if col not in t.fields)]
    lineage = _lineage(job, batch, sha, at)
    good = checked.good.select(*columns, *lineage)
    bad = checked.bad.select(*columns, REASON, *lineage)
    rows_in = raw.frame.height
    if good.height + bad.height != rows_in:  # pragma: no cover - a bug, not bad data
        raise RuntimeError(f"counts do not reconcile: {rows_in} in, {good.height} + {bad.height}")
    if bad.height:
        L.write_parquet(bad, L.quarantine_path(lake, c.system, t.name, batch))
    L.write_parquet(good, L.raw_path(lake, c.system, t.name, batch))
    return BatchResult(
        c.system,
        t.name,
        job.rel,
        "landed",
        batch=batch,
        sha256=sha,
        rows_in=rows_in,
        landed=good.height,
        quarantined=bad.height,
        warnings=raw.warnings,
        problems=checked.problems,
        bytes=len(data),
        ingested_at=at,
    )


def _run(job: _Job, lake: Path, landed: set[tuple[str, str, str]]) -> BatchResult:
    started = time.perf_counter()
    c, t = job.contract, job.table
    try:
        data = job.path.read_bytes()
    except OSError as e:
        return BatchResult(
            c.system,
            t.name,
            job.rel,
            "failed",
            error=f"cannot read the file: {e}",
            seconds=time.perf_counter() - started,
        )
    sha = hashlib.sha256(data).hexdigest()
    batch = sha[:BATCH_ID_LENGTH]
    if (c.system, t.name, batch) in landed:
        return BatchResult(
            c.system,
            t.name,
            job.rel,
            "duplicate",
            batch=batch,
            sha256=sha,
            bytes=len(data),
            seconds=time.perf_counter() - started,
        )
    at = dt.datetime.now(dt.UTC)
    try:
        result = _land(job, data, sha, batch, lake, at)
    except Exception as e:
        if isinstance(e, BatchError):
            error = str(e)
        else:
            log.exception("ingest of %s failed unexpectedly", job.rel)
            error = f"{type(e).__name__}: {e}"
        # Nothing is lost: keep the bytes that failed, under their hash, for a retry.
        try:
            L.copy_file(
                job.path, data, L.failed_path(lake, c.system, t.name, batch, job.path.suffix)
            )
        except OSError as copy_error:  # pragma: no cover - a full disk
            error += f" (and the copy to failed/ failed: {copy_error})"
        result = BatchResult(
            c.system,
            t.name,
            job.rel,
            "failed",
            batch=batch,
            sha256=sha,
            error=error,
            bytes=len(data),
        )
    result.seconds = time.perf_counter() - started
    return result


def _catalog_rows(results: Iterable[BatchResult], version: dict[str, int]) -> pl.DataFrame:
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "system": r.system,
            "table": r.table,
            "batch": r.batch,
            "file": r.file,
            "sha256": r.sha256,
            "bytes": r.bytes,
            "rows_in": r.rows_in,
            "landed": r.landed,
            "quarantined": r.quarantined,
            "status": r.status,
            "error": r.error,
            "warnings": "; ".join(r.warnings) or None,
            "contract_version": version.get(r.system),
            "ingested_at": r.ingested_at or now,
            "seconds": round(r.seconds, 3),
            "current": False,
        }
        for r in results
        # Every attempt at a file is recorded, a failure even where not a byte could be read.
        if r.status in ("landed", "duplicate", "failed")
    ]
    return pl.DataFrame(rows, schema=L.CATALOG_SCHEMA)


def _update_current(catalog: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """The newest landed batch of each system/table becomes current; the rest stay as they
    were (a failed or duplicate export does not displace the current batch)."""
    keys = ["system", "table"]
    new = new.with_row_index("_order")
    latest = (
        new.filter(pl.col("status") == "landed")
        .group_by(keys)
        .agg(pl.col("_order").max().alias("_latest"))
    )
    catalog = (
        catalog.join(latest, on=keys, how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("_latest").is_not_null())
            .then(False)
            .otherwise(pl.col("current"))
            .alias("current")
        )
        .drop("_latest")
    )
    new = (
        new.join(latest, on=keys, how="left", maintain_order="left")
        .with_columns((pl.col("_order") == pl.col("_latest")).fill_null(False).alias("current"))
        .drop("_order", "_latest")
    )
    return pl.concat([catalog.select(list(L.CATALOG_SCHEMA)), new.select(list(L.CATALOG_SCHEMA))])


def ingest(
    sources_dir: Path | str,
    lake_dir: Path | str,
    contracts: dict[str, Contract] | Iterable[Contract] | Path | str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest every export under `sources_dir` (`<system>/<file>`, or a twin's root) into
    the lake at `lake_dir`, against `contracts` (default: the hub's own). Never raises for a
    bad file: its batch fails and the report and catalog say why."""
    started = time.perf_counter()
    sources = resolve_sources(Path(sources_dir))
    lake = Path(lake_dir)
    report_progress = progress or (lambda _w, _d, _t: None)
    specs = as_contracts(contracts)
    jobs, other = _plan(sources, specs)
    # Big files first, so two workers finish together.
    jobs.sort(key=lambda j: -j.size)
    results: list[BatchResult] = []
    with L.lake_lock(lake):
        catalog = L.read_catalog(lake)
        landed = set(
            catalog.filter(pl.col("status") == "landed")
            .select("system", "table", "batch")
            .iter_rows()
        )
        total = len(jobs)
        report_progress("ingest", 0, total)
        n = workers or min(2, os.cpu_count() or 1)
        if n <= 1:
            for i, job in enumerate(jobs, start=1):
                results.append(_run(job, lake, landed))
                report_progress(job.rel, i, total)
        else:
            with ThreadPoolExecutor(max_workers=n, thread_name_prefix="ingest") as pool:
                futures = {pool.submit(_run, job, lake, landed): job for job in jobs}
                for i, future in enumerate(as_completed(futures), start=1):
                    results.append(future.result())
                    report_progress(futures[future].rel, i, total)
        # Catalog order: by file name within a table, so the last export read is current.
        order = {
            (j.contract.system, j.table.name, j.rel): k
            for k, j in enumerate(
                sorted(jobs, key=lambda j: (j.contract.system, j.table.name, j.rel))
            )
        }
        results.sort(key=lambda r: order.get((r.system, r.table, r.file), 0))
        # Two files of one table with the same bytes in one run: one batch, the other a copy.
        seen: set[tuple[str, str, str | None]] = set()
        for r in results:
            if r.status == "landed" and (r.system, r.table, r.batch) in seen:
                r.status, r.rows_in, r.landed, r.quarantined = "duplicate", 0, 0, 0
            seen.add((r.system, r.table, r.batch))
        new = _catalog_rows(results, {s: c.version for s, c in specs.items()})
        L.write_catalog(lake, _update_current(catalog, new))
    return IngestReport(sources, lake, results + other, time.perf_counter() - started)
