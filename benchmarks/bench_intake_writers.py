"""One intake writer against two (ZHILI_INTAKE_WRITERS), alternating in the same hour, on
PostgreSQL through a real `zhili serve` (the intake bench's server, client and bodies):
per round, each setting on a fresh database takes a paced 500 events/s for the p99, then a
sustained load on 96 connections for the rate. Prints one JSON line: each setting's rounds
and medians (decision 58).

.venv/bin/python benchmarks/bench_intake_writers.py [--rounds 3] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from zhili.events.bench_intake import (
    Server,
    _in_process,
    event_bodies,
    fresh_database,
    issue_key,
)


def one(writers: int, bodies: list[bytes], seconds: float) -> dict:
    os.environ["ZHILI_INTAKE_WRITERS"] = str(writers)  # read by the server it starts
    with tempfile.TemporaryDirectory() as tmp, fresh_database("postgres", Path(tmp)) as url:
        key, _ = issue_key(url)
        server = Server(Path(tmp), url, cpus={0} if len(os.sched_getaffinity(0)) >= 2 else None)
        client = {1} if server.cpus else None
        server.start()
        try:
            common = {"host": "127.0.0.1", "port": server.port, "key": key, "warmup": 2.0}
            paced = _in_process(
                "paced", client, **common, bodies=bodies[::-1], conns=64, rate=500, seconds=seconds
            )
            sus = _in_process(
                "sustained", client, **common, bodies=bodies, conns=96, seconds=seconds
            )
        finally:
            server.stop()
    return {"events_per_s": round(sus["acknowledged"] / seconds), "p99_ms_at_500": paced["p99_ms"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    bodies = event_bodies(max(20_000, int(3_000 * args.seconds)))
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for writers in (1, 2):
            runs[writers].append(one(writers, bodies, args.seconds))
    out: dict = {"bench": "intake_writers", "rounds": args.rounds}
    for writers, rs in runs.items():
        out[f"writers_{writers}"] = {
            "events_per_s": [r["events_per_s"] for r in rs],
            "p99_ms_at_500": [r["p99_ms_at_500"] for r in rs],
            "median_events_per_s": statistics.median(r["events_per_s"] for r in rs),
            "median_p99_ms_at_500": statistics.median(r["p99_ms_at_500"] for r in rs),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
