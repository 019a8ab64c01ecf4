"""Benchmark: the audit log on SQLite (a file in a temp dir); prints one JSON line.

- audit_appends_per_s: median of REPEATS runs of 20,000 appends, one transaction each;
- audit_appends_batched_per_s: the same with 1,000 records per transaction (append_many);
- verify_seconds_per_million: a log of 1,000,000 records (written in batches, a signed
  checkpoint every 1,000) verified end to end with signatures, scaled to 1 M records.

With --postgres, also batched appends on a fresh PostgreSQL database (batches of 50 with a
commit each, as the intake writer appends): appends/s and this process's CPU per record.

.venv/bin/python benchmarks/bench_audit.py [--appends 20000] [--repeats 3] [--verify 1000000]
    [--postgres] [--verify 0 to skip the verify run]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from zhili.privacy.audit.bench import measure_appends, measure_verify

PG_BATCH = 50


def measure_pg_batched(n: int) -> tuple[float, float]:
    """Appends/s and CPU µs per record on a fresh PostgreSQL database (dropped after)."""
    import os
    import time

    from zhili.db import make_engine, make_sessionmaker
    from zhili.db.migrate import upgrade
    from zhili.events.bench_intake import fresh_database
    from zhili.privacy.audit import append_many
    from zhili.privacy.audit.bench import sample_entry

    with tempfile.TemporaryDirectory() as tmp, fresh_database("postgres", Path(tmp)) as url:
        upgrade(url)
        engine = make_engine(url)
        sessions, key = make_sessionmaker(engine), os.urandom(32)
        entries = [sample_entry(i) for i in range(n)]
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            for i in range(0, n, PG_BATCH):
                with sessions.begin() as session:
                    append_many(session, entries[i : i + PG_BATCH], key=key)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            engine.dispose()
    return n / wall, 1e6 * cpu / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--verify", type=int, default=1_000_000, help="records to verify")
    parser.add_argument("--postgres", action="store_true", help="also batched on PostgreSQL")
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
        verify_seconds = measure_verify(args.verify, data / "verify.db") if args.verify else 0.0
    pg = [measure_pg_batched(args.appends) for _ in range(args.repeats)] if args.postgres else []
    extra = {}
    if pg:
        extra = {
            "pg_appends_batched_per_s": round(statistics.median(r for r, _ in pg)),
            "pg_cpu_us_per_record": round(statistics.median(c for _, c in pg), 1),
            "pg_batch": PG_BATCH,
        }
    print(
        json.dumps(
            {
                "bench": "audit",
                "appends": args.appends,
                "repeats": args.repeats,
                "audit_appends_per_s": round(statistics.median(single)),
                "audit_appends_batched_per_s": round(statistics.median(batched)),
                "verify_records": args.verify,
                "verify_seconds_per_million": (
                    round(verify_seconds * 1_000_000 / args.verify, 2) if args.verify else None
                ),
                **extra,
            }
        )
    )


if __name__ == "__main__":
    main()
