"""Ingest (数据接入): land every department export in the lake, row by row validated against
its source contract, with lineage, quarantine and a batch catalog.

    report = ingest(sources_dir, lake_dir)          # -> IngestReport (format_table() for the CLI)
    current_batches(lake_dir)                       # the current batch of every table
    read_current(lake_dir, "police_household", "household_register")   # -> polars.LazyFrame
"""

from zhili.hub.ingest.core import ingest, resolve_sources
from zhili.hub.ingest.lake import (
    LINEAGE,
    current_batches,
    read_catalog,
    read_current,
    read_quarantine,
)
from zhili.hub.ingest.readers import BatchError
from zhili.hub.ingest.report import BatchResult, IngestReport

__all__ = [
    "LINEAGE",
    "BatchError",
    "BatchResult",
    "IngestReport",
    "current_batches",
    "ingest",
    "read_catalog",
    "read_current",
    "read_quarantine",
    "resolve_sources",
]
