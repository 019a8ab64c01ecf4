"""Raw gate passages older than the retention period become daily counts and are deleted;
the job is authorized and audited. Runs on SQLite and, where reachable, PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.hub.load import load_twin
from zhili.hub.models import AccessDaily, AccessEvent
from zhili.privacy.actors import Actor, cli_operator
from zhili.privacy.audit import verify
from zhili.privacy.context import PrivacyContext
from zhili.privacy.models import AuditRecord
from zhili.privacy.policy import Forbidden
from zhili.privacy.retention import run_retention


def test_retention_reduces_and_deletes_raw_passages(
    sqlite_or_pg: str, twin_dir: Path, tmp_path: Path
) -> None:
    upgrade(sqlite_or_pg)
    engine = make_engine(sqlite_or_pg)
    sessions = make_sessionmaker(engine)
    ctx = PrivacyContext(keys_dir=tmp_path / "keys")
    with sessions() as s:
        counts = load_twin(s, twin_dir)
        assert counts["access_events"] > 1000
        with pytest.raises(Forbidden):
            run_retention(s, ctx, Actor(id="user:9", role="grid_worker", scope="330110010248001"))
        # The twin's passages are from the last two weeks of June 2019.
        kept = run_retention(s, ctx, cli_operator("test"), days=30, now=dt.datetime(2019, 7, 10))
        assert kept["deleted"] < counts["access_events"]  # passages after 10 June stay
        result = run_retention(s, ctx, cli_operator("test"), days=30, now=dt.datetime(2019, 8, 15))
        assert kept["deleted"] + result["deleted"] == counts["access_events"]
        assert s.scalar(select(func.count()).select_from(AccessEvent)) == 0
        daily = s.scalar(select(func.sum(AccessDaily.passages)))
        assert daily == counts["access_events"]
        runs = s.scalars(select(AuditRecord).where(AuditRecord.action == "retention.run")).all()
        assert [r.result_count for r in runs] == [kept["deleted"], result["deleted"]]
        assert verify(s, ctx.public_key).ok
    engine.dispose()
