"""The tiny twin's smart communities in the operational store, on SQLite and PostgreSQL (in CI
PostgreSQL may not skip): residents and gate passages (`hub load-twin`), places with their QR
codes and the credential register (`community load-twin`), the device registry with the
cameras (`devices load`), and an event hub."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import need
from tests.privacy.conftest import PG_ADMIN, _pg_reachable, sqlite_or_pg  # noqa: F401
from zhili.community.load import load_twin as load_community
from zhili.community.models import CommunityPlace
from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.devices.registry import load_devices
from zhili.events.runtime import HubState
from zhili.geo import get_layout
from zhili.hub.load import load_twin as load_hub
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext

# The twin's gate data covers 2019-06-17 .. 2019-06-30 (local time); the detectors run at
# local midnight after the last day, which is 16:00 UTC on the 30th.
AFTER_DATA = dt.datetime(2019, 6, 30, 16, 0)


@dataclass
class Store:
    url: str
    sessions: sessionmaker[Session]
    ctx: PrivacyContext
    state: HubState
    twin: Path
    facts: dict

    @property
    def pilot(self) -> dict:
        return self.facts["pilot"]

    def place(self, **where: object) -> CommunityPlace:
        with self.sessions() as s:
            query = select(CommunityPlace).order_by(CommunityPlace.id)
            for k, v in where.items():
                query = query.where(getattr(CommunityPlace, k) == v)
            row = s.scalars(query.limit(1)).first()
            assert row is not None, where
            s.expunge(row)
            return row

    def officer(self, role: str = "village_officer", scope: str | None = None, **kw) -> Actor:
        scope = scope if scope is not None else self.pilot["village_code"]
        return Actor(id=f"user:{role}-{scope}", role=role, scope=scope, **kw)


def _database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'zhili.db'}"
        return
    need(_pg_reachable(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    name = f"zhili_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_store(url: str, twin: Path, keys: Path) -> tuple[Store, object]:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        load_hub(s, twin)
        load_community(s, twin)
        load_devices(s, twin)  # the cameras: the device registry's
        s.commit()
    facts = json.loads((twin / "truth" / "facts.json").read_text("utf-8"))
    store = Store(
        url, sessions, PrivacyContext(keys_dir=keys), HubState(layout=get_layout()), twin, facts
    )
    return store, engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, twin_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """One loaded store per backend for a test module (tests keep to their own places)."""
    tmp = tmp_path_factory.mktemp(f"community-{request.param}")
    for url in _database(request.param, tmp):
        s, engine = build_store(url, twin_dir, tmp / "keys")
        yield s
        engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def fresh_store(
    sqlite_or_pg: str,  # noqa: F811
    twin_dir: Path,
    tmp_path: Path,
) -> Iterator[Store]:
    """A store of one's own (for tests that change the gate data itself)."""
    s, engine = build_store(sqlite_or_pg, twin_dir, tmp_path / "keys")
    yield s
    engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def rented(twin_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(twin_dir / "truth" / "houses.parquet").filter(pl.col("rented"))
