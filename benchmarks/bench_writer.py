"""The intake writer alone, without HTTP: its step (`IntakeWriter.commit`: `write_batch` and
the commit on the writer's own connection) on batches of N realistic reports (the intake
bench's bodies, a department system's drafts) on a fresh database. Prints one JSON line:
the median wall time and the writer thread's CPU per batch, and the CPU per event.

.venv/bin/python benchmarks/bench_writer.py --db sqlite|postgres [--size 50] [--batches 60]

The first five batches warm up and are not counted. Compare two versions of the writer by
running this on each, alternating (docs/PERFORMANCE.md, decision 54)."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.events import bench_intake
from zhili.events.dispatch import WorkerIndex
from zhili.events.intake import prepare
from zhili.events.runtime import HubState
from zhili.events.schemas import EventIn
from zhili.events.writer import IntakeWriter
from zhili.geo import get_layout
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext

WARMUP = 5


def measure(db: str, size: int, batches: int) -> dict:
    bodies = [json.loads(b) for b in bench_intake.event_bodies(size * (batches + WARMUP))]
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench_intake.fresh_database(db, Path(tmp)) as url,
    ):
        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        state = HubState(layout=get_layout(), dispatcher=WorkerIndex.from_rows([]))
        ctx = PrivacyContext(keys_dir=Path(tmp) / "keys")
        actor = Actor(id="key:1", role="department_system", scope="330110", department="urban")
        drafts = [
            prepare(state, actor, EventIn(**b), "department", uuid.uuid4().hex) for b in bodies
        ]
        writer = IntakeWriter(sessions, state, ctx)  # not started: its step, on this thread
        walls, cpus = [], []
        try:
            for i in range(batches + WARMUP):
                chunk = drafts[i * size : (i + 1) * size]
                t0, c0 = time.perf_counter(), time.thread_time()
                writer.commit(chunk)
                if i >= WARMUP:
                    walls.append((time.perf_counter() - t0) * 1000)
                    cpus.append((time.thread_time() - c0) * 1000)
        finally:
            writer.release()
            engine.dispose()
    cpu = statistics.median(cpus)
    return {
        "bench": "writer",
        "db": db,
        "batch_size": size,
        "batches": batches,
        "wall_ms_per_batch_p50": round(statistics.median(walls), 2),
        "cpu_ms_per_batch_p50": round(cpu, 2),
        "cpu_ms_per_event": round(cpu / size, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    ap.add_argument("--size", type=int, default=50)
    ap.add_argument("--batches", type=int, default=60)
    args = ap.parse_args()
    print(json.dumps(measure(args.db, args.size, args.batches)))


if __name__ == "__main__":
    main()
