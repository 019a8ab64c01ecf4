"""Login tokens (bearer sessions with expiry) and API keys for systems.

Only SHA-256 hashes are stored: a copy of the database does not let anyone log in. Functions
here flush; the caller commits (so a token can be issued in the same transaction as the
audit record of the login).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from zhili.privacy.identity.errors import AuthError, sha256_hex, utc_naive
from zhili.privacy.identity.roles import validate_assignment
from zhili.privacy.models import ApiKey, AuthToken, User

DEFAULT_TTL = dt.timedelta(hours=8)  # one working shift
API_KEY_PREFIX = "zk_"  # lets secret scanners and log filters recognise our keys


def issue_token(
    session: Session,
    user: User,
    ttl: dt.timedelta = DEFAULT_TTL,
    now: dt.datetime | None = None,
) -> str:
    """A new bearer token for `user`, valid for `ttl`. The raw token is returned, never stored."""
    if not user.active:
        raise AuthError("inactive", "inactive")
    if ttl <= dt.timedelta(0):
        raise ValueError("ttl must be positive")
    at = utc_naive(now)
    token = secrets.token_urlsafe(32)
    session.add(
        AuthToken(token_hash=sha256_hex(token), user_id=user.id, created_at=at, expires_at=at + ttl)
    )
    session.flush()
    return token


def resolve_token(session: Session, token: str, now: dt.datetime | None = None) -> User:
    """The user behind a live token; AuthError for an unknown, expired or revoked token or an
    inactive user."""
    row = session.get(AuthToken, sha256_hex(token))
    if row is None:
        raise AuthError("unknown_token", "unknown token")
    if row.revoked:
        raise AuthError("revoked", "token revoked")
    if utc_naive(now) >= row.expires_at:
        raise AuthError("expired", "token expired")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthError("inactive", "inactive")
    return user


def revoke_token(session: Session, token: str) -> bool:
    """Log out: True if a live token was revoked."""
    row = session.get(AuthToken, sha256_hex(token))
    if row is None or row.revoked:
        return False
    row.revoked = True
    session.flush()
    return True


def revoke_user_tokens(session: Session, user: User) -> int:
    """Revoke every token of a user (deactivation, password change); returns how many."""
    result = session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def purge_tokens(session: Session, now: dt.datetime | None = None) -> int:
    """Delete expired and revoked tokens (they can never be used again); returns how many."""
    result = session.execute(
        delete(AuthToken)
        .where(or_(AuthToken.revoked.is_(True), AuthToken.expires_at <= utc_naive(now)))
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def issue_api_key(
    session: Session,
    name: str,
    role: str,
    scope: str,
    department: str | None = None,
) -> str:
    """A new key "zk_..." for a system role (department_system, device_gateway,
    open311_client). `name` is unique; the raw key is returned once and never stored."""
    r = validate_assignment(role, scope, department)
    if not r.rule.system:
        raise ValueError(f"API keys take a system role, not {r.value} ({r.label})")
    if not name or len(name) > 64:
        raise ValueError("API key name must have 1 to 64 characters")
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise ValueError(f"an API key named {name!r} exists already")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            name=name,
            key_hash=sha256_hex(key),
            role=r.value,
            department=department,
            scope=scope,
            created_at=utc_naive(),
        )
    )
    session.flush()
    return key


def resolve_api_key(session: Session, key: str) -> ApiKey:
    """The live key record; AuthError for an unknown or revoked key."""
    if not key.startswith(API_KEY_PREFIX):
        raise AuthError("unknown_key", "unknown API key")
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == sha256_hex(key)))
    if row is None:
        raise AuthError("unknown_key", "unknown API key")
    if row.revoked:
        raise AuthError("revoked", "API key revoked")
    return row


def revoke_api_key(session: Session, name: str) -> bool:
    """True if a live key of that name was revoked."""
    row = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if row is None or row.revoked:
        return False
    row.revoked = True
    session.flush()
    return True
