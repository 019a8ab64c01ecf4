"""Ingest rate: every department export of a twin into a fresh lake. Prints one JSON line.

.venv/bin/python benchmarks/bench_ingest.py [--scale 0.1] [--seed 7] [--twin DIR] [--repeats 1]

Without --twin a twin of the given scale is generated into a temporary directory first (not
timed); with --twin DIR an existing twin (DIR/sources, or a sources directory) is reused.
Each repeat ingests into a new empty lake; the best repeat is reported.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
from pathlib import Path

from zhili.hub.ingest import ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--twin", type=Path, help="reuse this twin instead of generating one")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        twin = args.twin
        scale = args.scale
        if twin is None:
            from zhili.twin.generate import generate
            from zhili.twin.spec import TwinSpec

            twin = Path(tmp) / "twin"
            print(f"generating a scale {scale} twin ...", file=sys.stderr)
            generate(TwinSpec(scale=scale, seed=args.seed), twin)
        elif (twin / "summary.json").exists():
            scale = json.loads((twin / "summary.json").read_text("utf-8"))["scale"]
        # Not timed: the generated world is garbage now, and the twin's files are still being
        # written back to disk; neither should be charged to the ingest.
        gc.collect()
        os.sync()
        best = None
        for i in range(args.repeats):
            report = ingest(twin, Path(tmp) / f"lake{i}", workers=args.workers)
            if report.failed:
                raise SystemExit(f"failed batches: {[b.file for b in report.failed]}")
            if best is None or report.seconds < best.seconds:
                best = report
    assert best is not None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "bench": "ingest",
                "scale": scale,
                "rows": best.rows_in,
                "seconds": round(best.seconds, 3),
                "rows_per_s": round(best.rows_per_s),
                "quarantined": best.quarantined,
                "batches": len(best.with_status("landed")),
                "cores": os.cpu_count(),
                "peak_rss_mb": round(peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
