from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from zhili.privacy.identity import (
    AuthError,
    LockoutPolicy,
    PasswordPolicyError,
    authenticate,
    create_user,
    deactivate,
    get_user,
    issue_token,
    reactivate,
    resolve_token,
    set_password,
    set_role,
    unlock,
)

PW = "Liangzhu-2019"
T0 = dt.datetime(2019, 6, 1, 9, 0, 0)


def officer(session: Session):
    user = create_user(session, "Xiecun_Officer", PW, "village_officer", "330110010248")
    session.commit()
    return user


def test_create_user_validates(session: Session, layout) -> None:
    user = officer(session)
    assert user.username == "xiecun_officer"
    assert user.display_name == "xiecun_officer"
    assert user.password_hash.startswith("$argon2id$")
    assert PW not in user.password_hash
    with pytest.raises(ValueError, match="taken"):
        create_user(session, "xiecun_officer", PW, "village_officer", "330110010248")
    with pytest.raises(ValueError, match="needs a village scope"):
        create_user(session, "vo2", PW, "village_officer", "330110010")
    with pytest.raises(ValueError, match="username"):
        create_user(session, "a b", PW, "citizen", "")
    with pytest.raises(PasswordPolicyError):
        create_user(session, "vo3", "short", "citizen", "")
    with pytest.raises(ValueError, match="for API keys"):
        create_user(session, "gw1", PW, "device_gateway", "330110")
    with pytest.raises(ValueError, match="not an area"):
        create_user(session, "vo4", PW, "village_officer", "330110010999", layout=layout)


def test_authenticate_success_and_case_insensitive_name(session: Session) -> None:
    officer(session)
    user = authenticate(session, "XIECUN_OFFICER", PW, now=T0)
    assert user.role == "village_officer"


def test_unknown_user_and_wrong_password_read_alike(session: Session) -> None:
    officer(session)
    with pytest.raises(AuthError) as unknown:
        authenticate(session, "nobody", PW, now=T0)
    with pytest.raises(AuthError) as wrong:
        authenticate(session, "xiecun_officer", PW + "x", now=T0)
    assert str(unknown.value) == str(wrong.value) == "bad credentials"
    assert unknown.value.reason == wrong.value.reason == "bad_credentials"


def fail(session: Session, times: int, now: dt.datetime) -> None:
    for _ in range(times):
        with pytest.raises(AuthError, match="bad credentials"):
            authenticate(session, "xiecun_officer", "Wrong-password-1", now=now)


def test_lockout_after_five_failures_and_release(session: Session) -> None:
    officer(session)
    fail(session, 5, T0)
    with pytest.raises(AuthError, match="locked until 2019-06-01 09:15:00") as locked:
        authenticate(session, "xiecun_officer", PW, now=T0 + dt.timedelta(minutes=14))
    assert locked.value.reason == "locked"
    # The failures were committed although every attempt raised.
    session.rollback()
    assert get_user(session, "xiecun_officer").locked_until == T0 + dt.timedelta(minutes=15)
    user = authenticate(session, "xiecun_officer", PW, now=T0 + dt.timedelta(minutes=15))
    assert user.locked_until is None and user.failed_logins == 0


def test_success_resets_the_count(session: Session) -> None:
    officer(session)
    fail(session, 4, T0)
    assert authenticate(session, "xiecun_officer", PW, now=T0).failed_logins == 0
    fail(session, 4, T0)
    authenticate(session, "xiecun_officer", PW, now=T0)  # not locked: the count restarted


def test_lockout_is_configurable_and_unlock_releases(session: Session) -> None:
    officer(session)
    policy = LockoutPolicy(max_failures=2, duration=dt.timedelta(hours=1))
    for _ in range(2):
        with pytest.raises(AuthError):
            authenticate(session, "xiecun_officer", "Wrong-password-1", now=T0, lockout=policy)
    with pytest.raises(AuthError, match="locked until 2019-06-01 10:00:00"):
        authenticate(session, "xiecun_officer", PW, now=T0, lockout=policy)
    unlock(session, "xiecun_officer")
    assert authenticate(session, "xiecun_officer", PW, now=T0, lockout=policy)


def test_inactive_only_told_to_the_password_holder(session: Session) -> None:
    user = officer(session)
    issue_token(session, user)
    deactivate(session, user)
    session.commit()
    with pytest.raises(AuthError, match="bad credentials"):
        authenticate(session, "xiecun_officer", "Wrong-password-1", now=T0)
    with pytest.raises(AuthError, match=r"^inactive$") as err:
        authenticate(session, "xiecun_officer", PW, now=T0)
    assert err.value.reason == "inactive"
    reactivate(session, user)
    assert authenticate(session, "xiecun_officer", PW, now=T0)


def test_set_role_validates(session: Session) -> None:
    officer(session)
    user = set_role(session, "xiecun_officer", "department_handler", "330110", "housing")
    assert (user.role, user.scope, user.department) == ("department_handler", "330110", "housing")
    with pytest.raises(ValueError, match="needs a department"):
        set_role(session, user, "department_handler", "330110")
    with pytest.raises(LookupError):
        set_role(session, "ghost", "citizen", "")


def test_set_password_ends_sessions(session: Session) -> None:
    user = officer(session)
    token = issue_token(session, user, now=T0)
    set_password(session, user, "New-password-2")
    with pytest.raises(AuthError, match="revoked"):
        resolve_token(session, token, now=T0)
    assert authenticate(session, "xiecun_officer", "New-password-2", now=T0)


def test_login_upgrades_an_old_hash(session: Session) -> None:
    user = officer(session)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PW)
    session.commit()
    assert authenticate(session, "xiecun_officer", PW, now=T0).password_hash.startswith(
        "$argon2id$v=19$m=65536,t=2,p=2$"
    )
