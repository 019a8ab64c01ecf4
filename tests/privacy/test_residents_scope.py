"""Area scope is applied inside the queries, on both backends: a village officer's list holds
only that village's rows, and an id outside the scope answers like one that does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.hub.load import load_twin
from zhili.hub.models import Resident
from zhili.hub.residents import get_resident, list_residents
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import NotFound
from zhili.privacy.purpose import Purpose

XIECUN = "330110010248"


def test_village_scope_in_queries(sqlite_or_pg: str, twin_dir: Path, tmp_path: Path) -> None:
    upgrade(sqlite_or_pg)
    engine = make_engine(sqlite_or_pg)
    sessions = make_sessionmaker(engine)
    ctx = PrivacyContext(keys_dir=tmp_path / "keys")
    officer = Actor(id="user:1", role="village_officer", scope=XIECUN, department=None)
    purpose = Purpose("statutory_duty", case_id="EV1")
    with sessions() as s:
        load_twin(s, twin_dir)
        total, rows = list_residents(s, ctx, officer, limit=500)
        everyone = s.scalar(
            select(Resident.person_id).where(~Resident.grid_code.startswith(XIECUN)).limit(1)
        )
        inside = s.scalar(
            select(Resident.person_id).where(Resident.grid_code.startswith(XIECUN)).limit(1)
        )
    assert total > 0 and all(r.grid_code.startswith(XIECUN) for r in rows)
    assert all("*" in r.id_number for r in rows)
    with sessions() as s:
        assert get_resident(s, ctx, officer, inside, purpose).person_id == inside
        with pytest.raises(NotFound) as outside:
            get_resident(s, ctx, officer, everyone, purpose)
        with pytest.raises(NotFound) as missing:
            get_resident(s, ctx, officer, "P99999999", purpose)
    # Outside the scope and not existing read the same.
    assert str(outside.value).startswith("no person") and str(missing.value).startswith("no person")
    engine.dispose()
