"""Every role × every API route × in-scope and out-of-scope resources, against the policy.

The routes come from the application itself: a new route without a declared action, or
without an example request here, fails this suite. Expected answers come from the policy
table (ROLE_RULES), not from a second hand-written list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute

from zhili.api import deps
from zhili.api.routes import ROUTERS
from zhili.privacy.policy import ROLE_RULES

PURPOSE = {
    "purpose_basis": "statutory_duty",
    "purpose_case": "EV00000042",
    "purpose_text": "上门核查",
}
LINPING = "330110001"  # a town no demo account outside the district level covers


@dataclass
class Example:
    """How to call a route for a caller: (path, kwargs) inside and outside their reach."""

    inside: Callable[..., tuple[str, dict]]
    outside: Callable[..., tuple[str, dict]] | None = None
    out_is_empty_list: bool = False  # lists answer outside scope with no rows, not 404


def _home_area(c) -> str:
    return c.scope or "330110010248001"


EXAMPLES: dict[str, Example] = {
    "GET /api/health": Example(lambda c, r: ("/api/health", {})),
    "GET /api/purposes": Example(lambda c, r: ("/api/purposes", {})),
    "POST /api/auth/login": Example(
        lambda c, r: ("/api/auth/login", {"json": {"username": "nobody", "password": "x"}})
    ),
    "GET /api/district": Example(lambda c, r: ("/api/district", {})),
    "GET /api/district/geojson/{level}": Example(lambda c, r: ("/api/district/geojson/town", {})),
    "GET /api/me": Example(lambda c, r: ("/api/me", {})),
    "POST /api/auth/logout": Example(lambda c, r: ("/api/auth/logout", {"headers": {}})),
    "GET /api/residents": Example(
        lambda c, r: ("/api/residents", {"params": {"limit": 5}}),
        lambda c, r: ("/api/residents", {"params": {"area": LINPING}}),
        out_is_empty_list=True,
    ),
    "GET /api/residents/{person_id}": Example(
        lambda c, r: (f"/api/residents/{c.person_id or r(_home_area(c))}", {"params": PURPOSE}),
        lambda c, r: (f"/api/residents/{r(LINPING)}", {"params": PURPOSE}),
    ),
    "GET /api/search": Example(
        lambda c, r: ("/api/search", {"params": {"q": "有限公司", **PURPOSE}}),
        lambda c, r: ("/api/search", {"params": {"q": "临平街道", "entities": "house", **PURPOSE}}),
        out_is_empty_list=True,
    ),
    "GET /api/me/data-access": Example(lambda c, r: ("/api/me/data-access", {})),
    "GET /api/audit": Example(lambda c, r: ("/api/audit", {"params": {"limit": 5}})),
    "POST /api/audit/verify": Example(lambda c, r: ("/api/audit/verify", {})),
    "GET /api/users": Example(lambda c, r: ("/api/users", {})),
    "POST /api/users": Example(
        lambda c, r: (
            "/api/users",
            {"json": {"username": f"new_{c.role}", "password": "Zhili-2019-new!"}},
        )
    ),
    "POST /api/users/{user_id}/role": Example(
        lambda c, r: ("/api/users/999999/role", {"json": {"role": "analyst", "scope": "330110"}})
    ),
    "POST /api/users/{user_id}/unlock": Example(lambda c, r: ("/api/users/999999/unlock", {})),
    "POST /api/keys": Example(
        lambda c, r: (
            "/api/keys",
            {"json": {"name": f"key_{c.role}", "role": "open311_client", "scope": "330110"}},
        )
    ),
}
# Admin routes aimed at a user id that does not exist answer 404 once allowed.
NOT_FOUND_WHEN_ALLOWED = {"POST /api/users/{user_id}/role", "POST /api/users/{user_id}/unlock"}


def api_routes() -> list[str]:
    keys = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                keys.extend(f"{m} {route.path}" for m in sorted(route.methods))
    return keys


def test_every_route_declares_an_action_and_has_an_example() -> None:
    routes = api_routes()
    assert routes, "no API routes found"
    missing_policy = [k for k in routes if k not in deps.ROUTE_ACTIONS]
    missing_example = [k for k in routes if k not in EXAMPLES]
    assert not missing_policy, f"routes without a declared action: {missing_policy}"
    assert not missing_example, f"routes without a matrix example: {missing_example}"


def expected(role: str, action: str) -> str:
    """'public', 'denied' (401/403) or the rule that allows it ('any', 'area', 'own')."""
    if action == "public":
        return "public"
    rules = ROLE_RULES.get(role, {})
    for a in action.split("|"):
        if a in rules:
            return rules[a]
    return "denied"


@pytest.mark.parametrize("route", sorted(EXAMPLES))
def test_matrix(route: str, server: str, callers, residents) -> None:
    method, _, _ = route.partition(" ")
    action = deps.ROUTE_ACTIONS[route]
    example = EXAMPLES[route]
    for role, caller in callers.items():
        if route == "POST /api/auth/logout":
            continue  # logging out would end the session the other routes need; tested below
        want = expected(role, action)
        path, kw = example.inside(caller, residents)
        r = caller.request(
            server, method, path, own=role == "citizen" and "residents/" in path, **kw
        )
        where = f"{role} {route} (inside)"
        if want == "denied":
            assert r.status_code == (401 if role == "anonymous" else 403), (
                f"{where}: {r.status_code} {r.text[:200]}"
            )
            continue
        if route == "POST /api/auth/login":
            assert r.status_code == 401  # bad credentials, whoever asks
            continue
        if route in NOT_FOUND_WHEN_ALLOWED:
            assert r.status_code == 404, f"{where}: {r.status_code} {r.text[:200]}"
            continue
        assert 200 <= r.status_code < 300, f"{where}: {r.status_code} {r.text[:200]}"
        covers_district = want == "area" and "330110".startswith(caller.scope or "x")
        if example.outside is not None and want in ("area", "own") and not covers_district:
            path, kw = example.outside(caller, residents)
            r = caller.request(server, method, path, **kw)
            where = f"{role} {route} (outside)"
            if example.out_is_empty_list:
                body = r.json()
                rows = body["items"] if "items" in body else body["results"]
                assert r.status_code == 200 and rows == [], f"{where}: {r.text[:200]}"
            else:
                assert r.status_code == 404, f"{where}: {r.status_code} {r.text[:200]}"


def test_logout_ends_the_session(server: str, accounts) -> None:
    import httpx

    from zhili.privacy.identity.demo import DEMO_PASSWORD

    user = accounts["analyst"]
    token = httpx.post(
        f"{server}/api/auth/login", json={"username": user.username, "password": DEMO_PASSWORD}
    ).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server}/api/me", headers=h).status_code == 200
    assert httpx.post(f"{server}/api/auth/logout", headers=h).status_code == 200
    assert httpx.get(f"{server}/api/me", headers=h).status_code == 401
