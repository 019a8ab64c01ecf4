"""Fixtures: a fresh, migrated audit schema per test on SQLite and (parametrised) PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import need
from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.privacy.audit import AuditEntry, append_many

PG_ADMIN = os.environ.get("ZHILI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin():  # type: ignore[no-untyped-def]
    try:
        import psycopg

        return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception:
        return None


@pytest.fixture(scope="session")
def pg_admin():  # type: ignore[no-untyped-def]
    conn = _pg_admin()
    yield conn
    if conn is not None:
        conn.close()


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'audit.db'}"


@pytest.fixture
def pg_url(pg_admin) -> Iterator[str]:  # type: ignore[no-untyped-def]
    need(pg_admin is not None, f"PostgreSQL is not reachable at {PG_ADMIN}")
    name = f"zhili_audit_{secrets.token_hex(6)}"
    pg_admin.execute(f"CREATE DATABASE {name}")
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        pg_admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty schema (alembic upgrade head) on each backend."""
    url = sqlite_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("pg_url")
    upgrade(url)
    return url


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path)
    upgrade(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture(scope="session")
def key() -> bytes:
    return b"k" * 32


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def entry(i: int, **overrides: object) -> AuditEntry:
    values: dict[str, object] = {
        "actor_id": f"user:{i % 7}",
        "actor_role": "grid_worker",
        "actor_department": "综治办" if i % 3 else None,
        "action": "person.read",
        "resource": f"person:P{i:06d}",
        "subjects": [f"P{i:06d}", f"P{(i * 7) % 100:06d}"] if i % 4 else [],
        "purpose": "走访核实" if i % 2 else None,
        "legal_basis": "PIPL-13-3",
        "case_id": f"EV{i:06d}" if i % 5 else None,
        "result_count": i % 9,
        "outcome": "ok" if i % 11 else "denied",
    }
    values.update(overrides)
    return AuditEntry(**values)  # type: ignore[arg-type]


def fill(
    sessions: sessionmaker[Session], n: int, key: bytes, *, start: int = 0, batch: int = 50
) -> None:
    """n records in transactions of `batch` records."""
    for i in range(start, start + n, batch):
        with sessions.begin() as session:
            append_many(session, [entry(j) for j in range(i, min(start + n, i + batch))], key=key)
