"""Property: any single edit to any field of any one record is named by its seq."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from tests.privacy.audit.conftest import fill, sqlite_url
from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.privacy.audit import verify, write_checkpoint
from zhili.privacy.models import AuditRecord

N = 120
LOG = AuditRecord.__table__
_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


def text(limit: int | None, nullable: bool) -> st.SearchStrategy:
    value = st.text(_CHARS, max_size=limit or 80)
    return st.one_of(st.none(), value) if nullable else value


def values_for(column: str) -> st.SearchStrategy:
    col = LOG.c[column]
    if column == "seq":  # moved out of the run (onto a free number past the head)
        return st.integers(min_value=N + 1, max_value=N + 10_000)
    if column == "result_count":
        return st.integers(min_value=-(2**31), max_value=2**31 - 1)
    if column == "at":
        return st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2100, 1, 1))
    if column == "disclose_after":
        return st.one_of(st.none(), st.dates(dt.date(1970, 1, 1), dt.date(2100, 1, 1)))
    return text(getattr(col.type, "length", None), col.nullable)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_any_single_edit_names_its_record(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, key: bytes
) -> None:
    url = sqlite_url(tmp_path) if backend == "sqlite" else request.getfixturevalue("pg_url")
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    fill(sessions, N // 2, key)
    with sessions.begin() as session:  # a signed run must not hide an edit inside it
        write_checkpoint(session, Ed25519PrivateKey.generate())
    fill(sessions, N // 2, key, start=N // 2)

    @settings(
        max_examples=150 if backend == "sqlite" else 60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        seq = data.draw(st.integers(min_value=1, max_value=N), label="seq")
        column = data.draw(st.sampled_from([c.name for c in LOG.c]), label="column")
        with sessions() as session:
            old = session.execute(select(LOG.c[column]).where(LOG.c.seq == seq)).scalar_one()
            new = data.draw(values_for(column).filter(lambda v: v != old), label="value")
            session.execute(update(LOG).where(LOG.c.seq == seq).values({column: new}))
            report = verify(session)
            session.rollback()
        assert not report.ok and report.first_bad_seq == seq, report

    try:
        check()
    finally:
        engine.dispose()
