"""What an ingest did: one line per file (landed, duplicate, failed, missing), the counts that
must reconcile (rows in = landed + quarantined), and the overall rate."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class BatchResult:
    system: str
    table: str
    file: str  # relative to the sources directory
    status: str  # landed | duplicate | failed | missing | unknown
    batch: str | None = None
    sha256: str | None = None
    rows_in: int = 0
    landed: int = 0
    quarantined: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    problems: dict[str, int] = field(default_factory=dict)  # check -> rows quarantined for it
    seconds: float = 0.0
    bytes: int = 0
    ingested_at: dt.datetime | None = None

    @property
    def reconciles(self) -> bool:
        return self.rows_in == self.landed + self.quarantined

    @property
    def note(self) -> str:
        if self.status == "failed":
            return self.error or "failed"
        if self.status == "duplicate":
            return "already ingested"
        if self.status == "missing":
            return self.error or "no file"
        if self.status == "unknown":
            return "no contract for this file"
        parts = [f"{k} ×{v:,}" for k, v in sorted(self.problems.items(), key=lambda kv: -kv[1])]
        return "; ".join(parts[:3] + (["..."] if len(parts) > 3 else []) + self.warnings)


@dataclass
class IngestReport:
    sources_dir: Path
    lake_dir: Path
    batches: list[BatchResult]
    seconds: float

    def _sum(self, attr: str) -> int:
        return sum(getattr(b, attr) for b in self.batches)

    @property
    def rows_in(self) -> int:
        return self._sum("rows_in")

    @property
    def landed(self) -> int:
        return self._sum("landed")

    @property
    def quarantined(self) -> int:
        return self._sum("quarantined")

    def with_status(self, status: str) -> list[BatchResult]:
        return [b for b in self.batches if b.status == status]

    @property
    def failed(self) -> list[BatchResult]:
        return self.with_status("failed")

    @property
    def ok(self) -> bool:
        """Nothing failed and every batch reconciles (the exit status of `zhili ingest`)."""
        return not self.failed and all(b.reconciles for b in self.batches)

    @property
    def complete(self) -> bool:
        """Every table of every contract had a file."""
        return not self.with_status("missing")

    @property
    def rows_per_s(self) -> float:
        return self.rows_in / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        counts = {s: len(self.with_status(s)) for s in ("landed", "duplicate", "failed", "missing")}
        extra = ", ".join(f"{n} {s}" for s, n in counts.items() if n and s != "landed")
        return (
            f"{counts['landed']} batches landed{', ' + extra if extra else ''}: "
            f"{self.rows_in:,} rows in = {self.landed:,} landed + {self.quarantined:,} "
            f"quarantined, in {self.seconds:.1f} s ({self.rows_per_s:,.0f} rows/s)"
        )

    def format_table(self, width: int = 160) -> str:
        """A fixed-width table for the terminal, one line per file, then the totals."""
        head = ["system/table", "status", "batch", "rows in", "landed", "quarantined", "note"]
        rows = []
        for b in sorted(self.batches, key=lambda b: (b.system, b.table, b.file)):
            counted = b.status in ("landed",)
            rows.append(
                [
                    f"{b.system}/{b.table}",
                    b.status,
                    (b.batch or "")[:12],
                    f"{b.rows_in:,}" if counted else "",
                    f"{b.landed:,}" if counted else "",
                    f"{b.quarantined:,}" if counted else "",
                    b.note,
                ]
            )
        rows.append(
            [
                "total",
                "",
                "",
                f"{self.rows_in:,}",
                f"{self.landed:,}",
                f"{self.quarantined:,}",
                f"{self.seconds:.1f} s, {self.rows_per_s:,.0f} rows/s",
            ]
        )
        widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
        right = {3, 4, 5}
        lines = []
        for n, r in enumerate([head, *rows]):
            cells = [_pad(r[i], widths[i], i in right) for i in range(len(widths))]
            line = "  ".join([*cells, r[-1]])
            lines.append(_clip(line, width))
            if n == 0 or n == len(rows) - 1:
                lines.append("-" * min(width, sum(widths) + 2 * len(widths) + 20))
        # Errors in full: the note column may have cut them.
        failed = sorted(self.failed, key=lambda b: (b.system, b.table, b.file))
        if failed:
            lines.append(f"{len(failed)} failed (the files are kept under failed/ in the lake):")
            lines.extend(f"  {b.file} [{b.batch}]: {b.error}" for b in failed)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "sources_dir": str(self.sources_dir),
            "lake_dir": str(self.lake_dir),
            "seconds": round(self.seconds, 3),
            "rows_in": self.rows_in,
            "landed": self.landed,
            "quarantined": self.quarantined,
            "rows_per_s": round(self.rows_per_s),
            "batches": [
                {**asdict(b), "ingested_at": b.ingested_at.isoformat() if b.ingested_at else None}
                for b in self.batches
            ],
        }


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(s))
    return fill + s if right else s + fill


def _clip(s: str, width: int) -> str:
    if _width(s) <= width:
        return s
    out, w = [], 0
    for c in s:
        w += _width(c)
        if w > width - 1:
            break
        out.append(c)
    return "".join(out) + "…"
