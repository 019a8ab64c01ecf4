"""Request-scoped dependencies: the database session, the actor, the stated purpose, and the
route's declared action (every /api route declares one: see ROUTE_ACTIONS)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Depends, Header, Query, Request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.privacy.actors import ANONYMOUS, Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.identity import API_KEY_PREFIX, AuthError, resolve_token
from zhili.privacy.identity.errors import sha256_hex
from zhili.privacy.models import ApiKey
from zhili.privacy.policy import NotAuthenticated, authorize, can
from zhili.privacy.purpose import Purpose

# Every API route's action, filled as routes declare them; a route missing here fails the
# authorization-matrix test. "public" routes need no actor (aggregates, login).
ROUTE_ACTIONS: dict[str, str] = {}


def db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def privacy(request: Request) -> PrivacyContext:
    return request.app.state.privacy


async def actor(
    request: Request,
    authorization: str | None = Header(default=None),
    x_api_key: str | None = Header(default=None),
) -> Actor:
    """The caller: a bearer token's user, an API key's system, or anonymous.

    The lookups use their own short sessions, never the route's: an async route that awaits
    the intake writer must not hold a pooled connection the writer needs."""
    try:
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
            return await run_in_threadpool(_user_actor, request, token)
        if x_api_key:
            if sha256_hex(x_api_key) in _key_cache or not _pool_busy(request):
                return _key_actor(request, x_api_key)  # cached, or an idle connection
            return await run_in_threadpool(_key_actor, request, x_api_key)
    except AuthError as exc:
        raise NotAuthenticated(str(exc)) from exc
    return ANONYMOUS


async def caller(request: Request) -> Actor:
    """`actor` for a route that reads its own request instead of declaring parameters (the
    intake: FastAPI's parameter solving cost a quarter of each report)."""
    headers = request.headers
    return await actor(request, headers.get("authorization"), headers.get("x-api-key"))


def _user_actor(request: Request, token: str) -> Actor:
    with request.app.state.sessions() as session:
        user = resolve_token(session, token)
        return Actor(
            id=f"user:{user.id}",
            role=user.role,
            scope=user.scope or "",
            department=user.department,
            person_id=user.person_id,
            display_name=user.display_name,
        )


def _pool_busy(request: Request) -> bool:
    """True when the pool may have no idle connection (sync routes in threads hold them)."""
    pool = request.app.state.engine.pool
    size = getattr(pool, "size", None)
    return size is None or pool.checkedout() >= size()


# resolve_api_key's lookup as one prebuilt Core query: systems push at high rates, and the ORM
# load plus a thread hop per request cost more than the rest of the request.
_KEY_ROW = select(
    ApiKey.id, ApiKey.role, ApiKey.scope, ApiKey.department, ApiKey.name, ApiKey.revoked
).where(ApiKey.key_hash == bindparam("key_hash"))


# Resolved keys, kept briefly: a system pushing hundreds of events a second would otherwise
# pay one database read per request. A revocation (made by the CLI, in another process)
# takes effect within KEY_TTL_S; unknown keys are never cached.
KEY_TTL_S = 10.0
_key_cache: dict[str, tuple[float, Any]] = {}
_key_cache_lock = threading.Lock()


def forget_keys() -> None:
    """Drop every cached key (tests, and after a revocation in this process)."""
    with _key_cache_lock:
        _key_cache.clear()


def _key_row(request: Request, key_hash: str) -> Any:
    now = time.monotonic()
    hit = _key_cache.get(key_hash)
    if hit is not None and now - hit[0] < KEY_TTL_S:
        return hit[1]
    with request.app.state.engine.connect() as conn:  # an indexed read on the loop: ~0.1 ms
        row = conn.execute(_KEY_ROW, {"key_hash": key_hash}).first()
    if row is not None:
        with _key_cache_lock:
            if len(_key_cache) > 10_000:  # many distinct keys: start over rather than grow
                _key_cache.clear()
            _key_cache[key_hash] = (now, row)
    return row


def _key_actor(request: Request, key: str) -> Actor:
    """Same checks and errors as identity.resolve_api_key: unknown, revoked (re-read at least
    every KEY_TTL_S)."""
    if not key.startswith(API_KEY_PREFIX):
        raise AuthError("unknown_key", "unknown API key")
    row = _key_row(request, sha256_hex(key))
    if row is None:
        raise AuthError("unknown_key", "unknown API key")
    if row.revoked:
        raise AuthError("revoked", "API key revoked")
    return Actor(
        id=f"key:{row.id}",
        role=row.role,
        scope=row.scope or "",
        department=row.department,
        display_name=row.name,
    )


def requires(action: str, route: str) -> Callable[..., Actor]:
    """Declare a route's action and check the actor may take it at all (resources later)."""
    ROUTE_ACTIONS[route] = action

    alternatives = action.split("|")

    async def check(current: Actor = Depends(actor)) -> Actor:  # no I/O: no thread hop
        if action != "public" and not any(can(current, a) for a in alternatives):
            authorize(current, alternatives[0])  # raises the right 401/403
        return current

    return check


def purpose(
    purpose_basis: str | None = Query(
        default=None, description="Legal basis code (see /api/purposes)"
    ),
    purpose_case: str | None = Query(default=None, description="Case or event id the read serves"),
    purpose_text: str = Query(default="", description="What the data is needed for"),
) -> Purpose | None:
    if purpose_basis is None:
        return None
    return Purpose(legal_basis=purpose_basis, case_id=purpose_case, text=purpose_text)
