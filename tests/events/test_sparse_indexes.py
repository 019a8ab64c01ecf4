"""Migration 0006: the events columns most events leave empty are indexed only where set, and
the lookups on them (equalities) still use those indexes, on both databases."""

from __future__ import annotations

from sqlalchemy import text

from tests.privacy.conftest import sqlite_or_pg  # noqa: F401  (the backend fixture)
from zhili.db import make_engine
from zhili.db.migrate import upgrade

SPARSE = {
    "ix_events_incident": "incident_id",
    "ix_events_reporter_person": "reporter_person",
    "ix_events_token": "token",
}


def test_sparse_columns_have_partial_indexes_that_equalities_use(sqlite_or_pg: str) -> None:  # noqa: F811
    upgrade(sqlite_or_pg)
    engine = make_engine(sqlite_or_pg)
    try:
        with engine.connect() as c:
            postgres = c.dialect.name == "postgresql"
            if postgres:
                rows = c.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events'")
                ).all()
            else:
                rows = c.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master "
                        "WHERE type = 'index' AND tbl_name = 'events'"
                    )
                ).all()
            ddl = {name: sql for name, sql in rows}
            for name, column in SPARSE.items():
                assert f"{column} IS NOT NULL" in ddl[name].replace('"', ""), ddl[name]
            if postgres:
                c.execute(text("SET enable_seqscan = off"))
            for name, column in SPARSE.items():
                query = f"SELECT id FROM events WHERE {column} = :v"
                explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
                plan = " ".join(str(r) for r in c.execute(text(explain + query), {"v": "1"}))
                assert name in plan, plan
    finally:
        engine.dispose()
