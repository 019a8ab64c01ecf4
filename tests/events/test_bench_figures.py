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
    after = postgres_cpu_seconds()
    assert after is not None and after - before >= 0.2
