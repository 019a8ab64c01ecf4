from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.privacy.identity import (
    DEMO_PASSWORD,
    USER_ROLES,
    authenticate,
    check_password_policy,
    create_demo_users,
    write_markdown,
)
from zhili.privacy.identity.roles import area_exists
from zhili.privacy.models import User

GRID = "330110010248001"


def test_demo_users_cover_every_role_in_real_areas(session: Session, layout) -> None:
    accounts = create_demo_users(session, layout, None)
    session.commit()
    assert {a.role for a in accounts} == {r.value for r in USER_ROLES}
    by_name = {a.username: a for a in accounts}
    assert by_name["commander"].scope == "330110"
    assert by_name["liangzhu_officer"].scope == "330110010"
    assert by_name["liangzhu_officer"].area == "良渚街道"
    assert by_name["xiecun_officer"].area == "谢村村"
    assert by_name["grid_xiecun_001"].scope == GRID
    assert by_name["parttime_xiecun_001"].scope == GRID
    handlers = {a.department for a in accounts if a.role == "department_handler"}
    assert handlers == {"police", "urban", "housing"}
    for a in accounts:
        assert a.scope == "" or area_exists(layout, a.scope), a
        if a.role in {"system_admin", "security_admin", "auditor", "citizen"}:
            assert a.scope == "" and a.department is None and a.person_id is None
    check_password_policy(DEMO_PASSWORD)
    assert authenticate(session, "grid_xiecun_001", DEMO_PASSWORD).scope == GRID


def test_demo_users_idempotent_and_markdown(session: Session, layout, tmp_path: Path) -> None:
    first = create_demo_users(session, layout, None)
    session.commit()
    second = create_demo_users(session, layout, None)
    session.commit()
    assert first == second
    assert session.scalar(select(func.count()).select_from(User)) == len(first)
    text = write_markdown(first, tmp_path / "docs" / "DEMO_USERS.md").read_text("utf-8")
    assert DEMO_PASSWORD in text
    assert (
        "| grid_xiecun_001 | grid_worker (专职网格员) | 330110010248001 | 谢村村第1网格 |" in text
    )
    assert text.count("\n| ") == len(first) + 1  # header and one row per account


@pytest.fixture
def fake_twin(tmp_path: Path) -> Path:
    truth = tmp_path / "twin" / "truth"
    truth.mkdir(parents=True)
    pl.DataFrame(
        {
            "person_id": ["P001", "P002", "P003", "P004", "P005"],
            "name": ["王建国", "李秀英", "张小明", "陈静", "赵伟"],
            "age": pl.Series([45, 38, 9, 52, 30], dtype=pl.Int16),
            "grid_code": [GRID, GRID, "330110010248002", "330110010248002", "330110001001001"],
        }
    ).write_parquet(truth / "persons.parquet")
    pl.DataFrame(
        {
            "worker_id": ["W000001", "W000002", "W000003"],
            "person_id": ["P001", "P005", "P002"],
            "kind": ["full_time", "full_time", "part_time"],
            "role": ["专职网格员", "专职网格员", "楼道长"],
            "grid_code": [GRID, "330110001001001", GRID],
        }
    ).write_parquet(truth / "workers.parquet")
    return tmp_path / "twin"


def test_demo_users_link_to_twin_persons(session: Session, layout, fake_twin: Path) -> None:
    create_demo_users(session, layout, None)  # first without a twin, then linked
    session.commit()
    accounts = {a.username: a for a in create_demo_users(session, layout, fake_twin)}
    session.commit()
    worker = accounts["grid_xiecun_001"]
    assert (worker.person_id, worker.display_name) == ("P001", "王建国")
    assert accounts["parttime_xiecun_001"].person_id == "P002"
    # The citizen: an adult of 谢村村 who is no grid worker (P003 is a child).
    assert (accounts["citizen_xiecun"].person_id, accounts["citizen_xiecun"].display_name) == (
        "P004",
        "陈静",
    )
    assert session.scalar(select(func.count()).select_from(User)) == len(accounts)
