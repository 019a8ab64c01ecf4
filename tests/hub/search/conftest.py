"""A store and a privacy context over the tiny twin's hub lake, and actors of several reaches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.orm import Session

from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.purpose import Purpose

PURPOSE = Purpose(legal_basis="statutory_duty", case_id="EV-S7", text="核查")


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[tuple[Session, PrivacyContext]]:
    url = f"sqlite:///{tmp_path / 'zhili.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        yield session, PrivacyContext(keys_dir=tmp_path / "keys")
    engine.dispose()


def actor(role: str, scope: str) -> Actor:
    return Actor(id=f"user:{role}", role=role, scope=scope, display_name=role)


COMMANDER = actor("district_commander", "330110")


@pytest.fixture(scope="session")
def person_links(hub_lake: Path) -> pl.DataFrame:
    return pl.read_parquet(hub_lake / "master" / "person_links.parquet")
