"""Benchmark: the audit log on SQLite (a file in a temp dir); prints one JSON line.

- audit_appends_per_s: median of REPEATS runs of 20,000 appends, one transaction each;
- audit_appends_batched_per_s: the same with 1,000 records per transaction (append_many);
- verify_seconds_per_million: a log of 1,000,000 records (written in batches, a signed
  checkpoint every 1,000) verified end to end with signatures, scaled to 1 M records.

.venv/bin/python benchmarks/bench_audit.py [--appends 20000] [--repeats 3] [--verify 1000000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from zhili.privacy.audit.bench import measure_appends, measure_verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--verify", type=int, default=1_000_000, help="records to verify")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhili-bench-audit-") as tmp:
        data = Path(tmp)
        single = [
            measure_appends(args.appends, data / f"single{i}.db") for i in range(args.repeats)
        ]
        batched = [
            measure_appends(args.appends, data / f"batched{i}.db", batch=1000)
            for i in range(args.repeats)
        ]
        verify_seconds = measure_verify(args.verify, data / "verify.db")
    print(
        json.dumps(
            {
                "bench": "audit",
                "appends": args.appends,
                "repeats": args.repeats,
                "audit_appends_per_s": round(statistics.median(single)),
                "audit_appends_batched_per_s": round(statistics.median(batched)),
                "verify_records": args.verify,
                "verify_seconds_per_million": round(verify_seconds * 1_000_000 / args.verify, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
