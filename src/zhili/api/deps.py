"""Request-scoped dependencies: the database session, the actor, the stated purpose, and the
route's declared action (every /api route declares one: see ROUTE_ACTIONS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from zhili.privacy.actors import ANONYMOUS, Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.identity import AuthError, resolve_api_key, resolve_token
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


def actor(
    session: Session = Depends(db),
    authorization: str | None = Header(default=None),
    x_api_key: str | None = Header(default=None),
) -> Actor:
    try:
        if authorization and authorization.lower().startswith("bearer "):
            user = resolve_token(session, authorization[7:].strip())
            return Actor(
                id=f"user:{user.id}",
                role=user.role,
                scope=user.scope or "",
                department=user.department,
                person_id=user.person_id,
                display_name=user.display_name,
            )
        if x_api_key:
            key = resolve_api_key(session, x_api_key)
            return Actor(
                id=f"key:{key.id}",
                role=key.role,
                scope=key.scope or "",
                department=key.department,
                display_name=key.name,
            )
    except AuthError as exc:
        raise NotAuthenticated(str(exc)) from exc
    return ANONYMOUS


def requires(action: str, route: str) -> Callable[..., Actor]:
    """Declare a route's action and check the actor may take it at all (resources later)."""
    ROUTE_ACTIONS[route] = action

    alternatives = action.split("|")

    def check(current: Actor = Depends(actor)) -> Actor:
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
