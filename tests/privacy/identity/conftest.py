"""A fresh migrated SQLite schema per test, and the district layout once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.geo import DistrictLayout, get_layout


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path}/t.db"
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        yield s
    engine.dispose()


@pytest.fixture(scope="session")
def layout() -> DistrictLayout:
    return get_layout()
