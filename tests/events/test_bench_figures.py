"""The intake benchmark's accounting of the database's CPU: it must see a local PostgreSQL's
work, or the figure it prints beside the server's would be a silent zero."""

from __future__ import annotations

import psycopg

from tests.conftest import need
from tests.privacy.audit.conftest import PG_ADMIN, _pg_admin
from zhili.events.bench_intake import postgres_cpu_seconds


def test_postgres_cpu_grows_while_it_works() -> None:
    admin = _pg_admin()
    need(admin is not None, f"PostgreSQL is not reachable at {PG_ADMIN}")
    assert admin is not None
    admin.close()
    before = postgres_cpu_seconds()
    need(before is not None, "PostgreSQL is reachable but runs on another machine")
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        # About a second of server-side work: a new backend, and a sum it must compute.
        conn.execute("SELECT sum(g) FROM generate_series(1, 20000000) g").fetchone()
        # Read while the backend lives: one that exits meanwhile may be reaped between the
        # reading of the postmaster's children's time and its own (a loaded CI machine).
        after = postgres_cpu_seconds()
    assert after is not None and after - before >= 0.2


def test_batch_bodies_never_resend_a_key() -> None:
    """The batch phase counts created events: a report sent twice with its key would be
    answered as a resend and silently lower the figure."""
    import json

    from zhili.events.bench_intake import batch_bodies, event_bodies
    from zhili.events.schemas import EventIn

    bodies = batch_bodies(event_bodies(30, seed=2), size=20, items=70)
    batches = [json.loads(b)["events"] for b in bodies]
    assert [len(b) for b in batches] == [20, 20, 20, 10]
    keys = [item.pop("idempotency_key") for b in batches for item in b]
    assert len(set(keys)) == 70
    for item in batches[0]:
        EventIn.model_validate(item)


def test_the_writers_cpu_is_counted_apart_from_the_loops(tmp_path) -> None:
    """The writer names its OS thread, so the bench can split the server's CPU by thread."""
    import os
    import sys
    import threading
    import time
    from types import SimpleNamespace

    from zhili.events.bench_intake import Server
    from zhili.events.writer import WRITER_THREAD, _name_os_thread

    need(sys.platform == "linux", "thread names and /proc are Linux's")

    def busy() -> None:
        _name_os_thread(WRITER_THREAD)
        end = time.thread_time() + 0.3
        while time.thread_time() < end:
            pass

    server = Server(tmp_path, "sqlite://")
    server.proc = SimpleNamespace(pid=os.getpid())  # type: ignore[assignment]
    before = server.thread_cpu_seconds()["writer"]
    t = threading.Thread(target=busy)
    t.start()
    peak = before
    while t.is_alive():  # an exiting thread leaves /proc/<pid>/task: keep the highest reading
        peak = max(peak, server.thread_cpu_seconds()["writer"])
        time.sleep(0.02)
    t.join()
    assert peak - before >= 0.1
