from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from zhili.privacy.identity import (
    AuthError,
    create_user,
    deactivate,
    issue_api_key,
    issue_token,
    purge_tokens,
    resolve_api_key,
    resolve_token,
    revoke_api_key,
    revoke_token,
)
from zhili.privacy.identity.errors import sha256_hex

T0 = dt.datetime(2019, 6, 1, 9, 0, 0)


@pytest.fixture
def user(session: Session):
    u = create_user(session, "commander", "Zhili-demo-2019", "district_commander", "330110")
    session.commit()
    return u


def dump(tmp_path: Path) -> str:
    """Every value in the database, as text."""
    con = sqlite3.connect(tmp_path / "t.db")
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        return "\n".join(repr(row) for t in tables for row in con.execute(f'select * from "{t}"'))
    finally:
        con.close()


def test_issue_and_resolve(session: Session, user, tmp_path: Path) -> None:
    token = issue_token(session, user, now=T0)
    session.commit()
    assert len(token) >= 43
    assert resolve_token(session, token, now=T0 + dt.timedelta(hours=7, minutes=59)).id == user.id
    stored = dump(tmp_path)
    assert token not in stored
    assert sha256_hex(token) in stored


def test_expiry(session: Session, user) -> None:
    token = issue_token(session, user, ttl=dt.timedelta(minutes=30), now=T0)
    with pytest.raises(AuthError, match="expired") as err:
        resolve_token(session, token, now=T0 + dt.timedelta(minutes=30))
    assert err.value.reason == "expired"
    assert resolve_token(
        session, issue_token(session, user, now=T0), now=T0 + dt.timedelta(hours=7)
    )


def test_aware_now_is_taken_as_utc(session: Session, user) -> None:
    token = issue_token(session, user, now=T0)
    beijing = dt.timezone(dt.timedelta(hours=8))
    # 16:59 in Beijing is 08:59 UTC: still before T0 + 8 h... and 17:00 is not.
    assert resolve_token(session, token, now=dt.datetime(2019, 6, 1, 16, 59, tzinfo=beijing))
    with pytest.raises(AuthError, match="expired"):
        resolve_token(session, token, now=dt.datetime(2019, 6, 2, 1, 0, tzinfo=beijing))


def test_unknown_and_revoked(session: Session, user) -> None:
    with pytest.raises(AuthError, match="unknown token"):
        resolve_token(session, "no-such-token", now=T0)
    token = issue_token(session, user, now=T0)
    assert revoke_token(session, token)
    assert not revoke_token(session, token)
    with pytest.raises(AuthError, match="revoked"):
        resolve_token(session, token, now=T0)
    assert purge_tokens(session, now=T0) == 1
    with pytest.raises(AuthError, match="unknown token"):
        resolve_token(session, token, now=T0)


def test_inactive_user_tokens_stop(session: Session, user) -> None:
    token = issue_token(session, user, now=T0)
    deactivate(session, user)
    with pytest.raises(AuthError):
        resolve_token(session, token, now=T0)
    with pytest.raises(AuthError, match="inactive"):
        issue_token(session, user, now=T0)


def test_api_keys(session: Session, tmp_path: Path) -> None:
    key = issue_api_key(session, "police-push", "department_system", "330110", "police")
    session.commit()
    assert key.startswith("zk_") and len(key) > 40
    record = resolve_api_key(session, key)
    assert (record.name, record.role, record.department) == (
        "police-push",
        "department_system",
        "police",
    )
    assert key not in dump(tmp_path)
    with pytest.raises(AuthError, match="unknown API key"):
        resolve_api_key(session, key + "x")
    with pytest.raises(AuthError, match="unknown API key"):
        resolve_api_key(session, "not-our-key")
    assert revoke_api_key(session, "police-push")
    with pytest.raises(AuthError, match="revoked"):
        resolve_api_key(session, key)


def test_api_key_validation(session: Session) -> None:
    issue_api_key(session, "gate-xiecun", "device_gateway", "330110010248")
    with pytest.raises(ValueError, match="exists already"):
        issue_api_key(session, "gate-xiecun", "device_gateway", "330110010248")
    with pytest.raises(ValueError, match="system role"):
        issue_api_key(session, "x", "analyst", "330110")
    with pytest.raises(ValueError, match="needs a department"):
        issue_api_key(session, "y", "department_system", "330110")
    assert resolve_api_key(session, issue_api_key(session, "311", "open311_client", "330110"))
