"""User accounts: creation, password login with lockout, and the administrator's changes.

Everything but `authenticate` flushes and leaves the commit to the caller. `authenticate`
commits by default, because a failed login must count even though the caller sees an
exception (and an exception usually rolls the caller's transaction back).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.privacy.identity.errors import AuthError, utc_naive
from zhili.privacy.identity.passwords import (
    check_password_policy,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from zhili.privacy.identity.roles import AreaTables, Role, validate_assignment
from zhili.privacy.identity.tokens import revoke_user_tokens
from zhili.privacy.models import User

# Lowercase so that "Commander" and "commander" cannot be two accounts.
_USERNAME = re.compile(r"[a-z0-9][a-z0-9_.\-]{2,63}")
BAD_CREDENTIALS = "bad credentials"


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    duration: dt.timedelta = dt.timedelta(minutes=15)


DEFAULT_LOCKOUT = LockoutPolicy()


def normalize_username(username: str) -> str:
    return username.strip().lower()


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalize_username(username)))


def _require(session: Session, user: User | str) -> User:
    if isinstance(user, User):
        return user
    found = get_user(session, user)
    if found is None:
        raise LookupError(f"no user {user!r}")
    return found


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    scope: str,
    department: str | None = None,
    display_name: str | None = None,
    person_id: str | None = None,
    *,
    layout: AreaTables | None = None,
) -> User:
    """A new active account. ValueError for a bad username, a taken one, a role that cannot
    hold this scope or department (or, with `layout`, a scope that is no real area);
    PasswordPolicyError (a ValueError) for a weak password."""
    name = normalize_username(username)
    if not _USERNAME.fullmatch(name):
        raise ValueError(
            f"username {username!r}: 3-64 characters of a-z, 0-9, '_', '.', '-', "
            "starting with a letter or digit"
        )
    r = validate_assignment(role, scope, department, layout=layout)
    if r.rule.system:
        raise ValueError(f"role {r.value} ({r.label}) is for API keys, not for users")
    check_password_policy(password, name)
    if session.scalar(select(func.count()).where(User.username == name)):
        raise ValueError(f"username {name!r} is taken")
    user = User(
        username=name,
        display_name=display_name or name,
        password_hash=hash_password(password),
        role=r.value,
        department=department,
        scope=scope,
        person_id=person_id,
        active=True,
        failed_logins=0,
        locked_until=None,
        created_at=utc_naive(),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session,
    username: str,
    password: str,
    now: dt.datetime | None = None,
    *,
    lockout: LockoutPolicy = DEFAULT_LOCKOUT,
    commit: bool = True,
) -> User:
    """The user if the password is right; else AuthError with reason bad_credentials (unknown
    user and wrong password answer alike), locked or inactive.

    `lockout.max_failures` wrong passwords in a row lock the account for `lockout.duration`;
    a success resets the count. While locked, no password is checked (not even the right
    one, so the lock cannot be used as an oracle).
    """
    at = utc_naive(now)
    user = get_user(session, username)
    if user is None:
        dummy_verify(password)  # same cost as a real check: timing does not reveal the name
        raise AuthError("bad_credentials", BAD_CREDENTIALS)
    if user.locked_until is not None and at < user.locked_until:
        raise AuthError("locked", f"locked until {user.locked_until:%Y-%m-%d %H:%M:%S} UTC")
    if not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= lockout.max_failures:
            # Start a fresh count after the lock, so the lock ends as announced.
            user.locked_until = at + lockout.duration
            user.failed_logins = 0
        _finish(session, commit)
        raise AuthError("bad_credentials", BAD_CREDENTIALS)
    # Only someone who knows the password learns that the account is inactive.
    if not user.active:
        raise AuthError("inactive", "inactive")
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    _finish(session, commit)
    return user


def _finish(session: Session, commit: bool) -> None:
    if commit:
        session.commit()
    else:
        session.flush()


def set_role(
    session: Session,
    user: User | str,
    role: str,
    scope: str,
    department: str | None = None,
    *,
    layout: AreaTables | None = None,
) -> User:
    """Give a user another role, scope and department (checked together)."""
    u = _require(session, user)
    r = validate_assignment(role, scope, department, layout=layout)
    if r.rule.system:
        raise ValueError(f"role {r.value} ({r.label}) is for API keys, not for users")
    u.role, u.scope, u.department = r.value, scope, department
    session.flush()
    return u


def set_password(session: Session, user: User | str, password: str) -> User:
    """Change the password (policy-checked) and end the user's sessions."""
    u = _require(session, user)
    check_password_policy(password, u.username)
    u.password_hash = hash_password(password)
    revoke_user_tokens(session, u)
    session.flush()
    return u


def unlock(session: Session, user: User | str) -> User:
    u = _require(session, user)
    u.failed_logins = 0
    u.locked_until = None
    session.flush()
    return u


def deactivate(session: Session, user: User | str) -> User:
    """Disable the account and revoke its tokens (accounts are never deleted: the audit log
    refers to them)."""
    u = _require(session, user)
    u.active = False
    revoke_user_tokens(session, u)
    session.flush()
    return u


def reactivate(session: Session, user: User | str) -> User:
    u = _require(session, user)
    u.active = True
    session.flush()
    return u


def role_of(user: User) -> Role:
    return Role(user.role)
