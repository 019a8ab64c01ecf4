"""Load the twin's historical events into a fresh operational store. Prints one JSON line.

.venv/bin/python benchmarks/bench_history_load.py --twin /tmp/s10/twin --db sqlite|postgres
    [--batch 50000] [--reload]

Generates nothing: --twin is a generated twin (DIR/truth/events_history.parquet; a data
directory holding twin/ is accepted too). The database is new for the run: a temporary SQLite
file, or a PostgreSQL database on 127.0.0.1:5432 (user postgres) dropped afterwards. The
migration is not timed; the load is (reading the parquet, building the rows, writing them).
With --reload the history is loaded a second time over the first (the replacing path:
delete then load) and that time is reported as reload_seconds.
Target (issue #5 item 11): about 790,000 events at scale 1.0 in <= 120 s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from zhili.db.migrate import upgrade
from zhili.events.history import load_history

PG_SERVER = "postgres@127.0.0.1:5432"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--twin", type=Path, required=True, help="a generated twin")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--reload", action="store_true", help="also time a second load")
    args = parser.parse_args()
    twin = args.twin
    if not (twin / "truth").is_dir() and (twin / "twin" / "truth").is_dir():
        twin = twin / "twin"
    if not (twin / "truth" / "events_history.parquet").exists():
        parser.error(f"{twin} holds no truth/events_history.parquet: generate a twin first")

    if args.db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench_history_") as tmp:
            result = _run(f"sqlite:///{Path(tmp) / 'zhili.db'}", twin, args)
    else:
        name = f"zhili_bench_history_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            f"postgresql+psycopg://{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            result = _run(f"postgresql://{PG_SERVER}/{name}", twin, args)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(json.dumps(result))


def _run(url: str, twin: Path, args: argparse.Namespace) -> dict:
    upgrade(url)
    first = load_history(url, twin, batch=args.batch)
    result = {"db": args.db, **first}
    if args.reload:
        result["reload_seconds"] = load_history(url, twin, batch=args.batch)["seconds"]
    return result


if __name__ == "__main__":
    main()
