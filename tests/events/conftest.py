"""The event hub on both operational backends, with actors at each level of one town."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.privacy.conftest import sqlite_or_pg  # noqa: F401  (the backend fixture)
from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.events.dispatch import WorkerIndex
from zhili.events.models import Worker
from zhili.events.runtime import HubState
from zhili.geo import DistrictLayout, get_layout
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext


@dataclass
class Hub:
    sessions: sessionmaker[Session]
    state: HubState
    ctx: PrivacyContext
    layout: DistrictLayout
    grid: str  # a grid of the test town
    point: tuple[float, float]  # a point inside it

    def actor(self, role: str, level: str = "grid", ident: str = "1", **kw) -> Actor:
        scope = {"grid": self.grid, "village": self.grid[:12], "town": self.grid[:9]}.get(
            level, "330110"
        )
        return Actor(id=f"user:{role}-{ident}", role=role, scope=scope, **kw)


@pytest.fixture
def hub(sqlite_or_pg: str, tmp_path: Path) -> Iterator[Hub]:  # noqa: F811
    upgrade(sqlite_or_pg)
    engine = make_engine(sqlite_or_pg)
    layout = get_layout()
    g = 100
    lon, lat = layout.sample_points(np.array([g]), np.random.default_rng(3))
    grid = str(layout.grids["code"][g])
    workers = WorkerIndex.from_rows(
        [
            {
                "id": 1,
                "grid_code": grid,
                "on_duty": True,
                "lon": float(lon[0]) + 0.002,
                "lat": float(lat[0]),
                "kind": "full_time",
            },
            {
                "id": 2,
                "grid_code": grid,
                "on_duty": True,
                "lon": float(lon[0]),
                "lat": float(lat[0]) + 0.0005,
                "kind": "part_time",
            },
        ]
    )
    state = HubState(layout=layout, dispatcher=workers)
    sessions = make_sessionmaker(engine)
    with sessions() as s:  # the indexed workers exist as rows too (events refer to them)
        for wid, kind in ((1, "full_time"), (2, "part_time")):
            s.add(
                Worker(
                    id=wid,
                    name=f"网格员{wid}",
                    kind=kind,
                    role="网格员",
                    grid_code=grid,
                    on_duty=True,
                )
            )
        s.commit()
    yield Hub(
        sessions,
        state,
        PrivacyContext(keys_dir=tmp_path / "keys"),
        layout,
        grid,
        (float(lon[0]), float(lat[0])),
    )
    engine.dispose()
