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
    action: str | None = None  # the permission this example needs, where the path decides it
    outside_status: int = 404  # a report about a place outside one's area: 403 with why
    anonymous_status: int = 401  # Open311 answers a missing api_key with 403 (its spec)


def _home_area(c) -> str:
    return c.scope or "330110010248001"


XIECUN_GRID = "330110010248001"  # inside every area-scoped demo account's scope
LINPING_GRID = "330110001001001"
# Events the matrix acts on, made once per session (see the matrix_events fixture).
EVENTS: dict[str, str] = {}


def _event_for(c) -> str:
    return EVENTS["citizen" if c.role == "citizen" else "xiecun"]


def _seed_rules() -> list[dict]:
    from zhili.events.routing import seed_rules

    return [r.__dict__ for r in seed_rules()]


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
    "GET /api/event-categories": Example(lambda c, r: ("/api/event-categories", {})),
    "POST /api/events": Example(
        lambda c, r: (
            "/api/events",
            {"json": {"category": "urban.posters", "area_code": _home_area(c)}},
        ),
        lambda c, r: (
            "/api/events",
            {"json": {"category": "urban.posters", "area_code": LINPING_GRID}},
        ),
        outside_status=403,
    ),
    "POST /api/events/batch": Example(
        lambda c, r: (
            "/api/events/batch",
            {"json": {"events": [{"category": "urban.posters", "area_code": _home_area(c)}]}},
        ),
        # Outside one's area each item answers 403 on its own (tests/api/test_event_batch.py).
    ),
    "GET /api/events": Example(
        lambda c, r: ("/api/events", {"params": {"limit": 5}}),
        lambda c, r: ("/api/events", {"params": {"area": LINPING}}),
        out_is_empty_list=True,
    ),
    "GET /api/events/{code}": Example(
        lambda c, r: (f"/api/events/{_event_for(c)}", {}),
        lambda c, r: (f"/api/events/{EVENTS['linping' if c.role != 'citizen' else 'xiecun']}", {}),
    ),
    "POST /api/events/{code}/actions/{action}": Example(
        lambda c, r: (
            f"/api/events/{_event_for(c)}/actions/{'rate' if c.role == 'citizen' else 'note'}",
            {"json": {"note": "矩阵测试", **({"rating": 5} if c.role == "citizen" else {})}},
        ),
        lambda c, r: (
            f"/api/events/{EVENTS['xiecun']}/actions/rate"
            if c.role == "citizen"
            else f"/api/events/{EVENTS['linping']}/actions/note",
            {"json": {"note": "x", **({"rating": 1} if c.role == "citizen" else {})}},
        ),
        action="event.handle|event.rate",
    ),
    "POST /api/events/{code}/attachments": Example(
        lambda c, r: (
            f"/api/events/{_event_for(c)}/attachments",
            {"files": {"file": ("p.png", b"\x89PNG\r\n\x1a\n matrix", "image/png")}},
        ),
        lambda c, r: (
            f"/api/events/{EVENTS['linping']}/attachments",
            {"files": {"file": ("p.png", b"\x89PNG\r\n\x1a\n matrix", "image/png")}},
        ),
    ),
    "GET /api/events/{code}/attachments/{attachment_id}": Example(
        lambda c, r: (f"/api/events/{_event_for(c)}/attachments/999999", {}),
    ),
    "GET /api/event-stats": Example(lambda c, r: ("/api/event-stats", {"params": {"by": "town"}})),
    "GET /api/routing/rules": Example(lambda c, r: ("/api/routing/rules", {})),
    "PUT /api/routing/rules": Example(
        lambda c, r: ("/api/routing/rules", {"json": {"note": "矩阵测试", "rules": _seed_rules()}})
    ),
    "GET /open311/v2/discovery.{format}": Example(lambda c, r: ("/open311/v2/discovery.json", {})),
    "GET /open311/v2/services.{format}": Example(lambda c, r: ("/open311/v2/services.xml", {})),
    "GET /open311/v2/services/{service_code}.{format}": Example(
        lambda c, r: ("/open311/v2/services/urban.posters.json", {})
    ),
    "GET /open311/v2/requests.{format}": Example(lambda c, r: ("/open311/v2/requests.json", {})),
    "GET /open311/v2/requests/{service_request_id}.{format}": Example(
        lambda c, r: ("/open311/v2/requests/E99999999.json", {})
    ),
    "GET /open311/v2/tokens/{token}.{format}": Example(
        lambda c, r: ("/open311/v2/tokens/none.json", {})
    ),
    "POST /open311/v2/requests.{format}": Example(
        lambda c, r: (
            "/open311/v2/requests.json",
            {"data": {"service_code": "urban.posters", "address_id": XIECUN_GRID}},
        ),
        anonymous_status=403,
    ),
    "GET /api/me/notifications": Example(lambda c, r: ("/api/me/notifications", {})),
    "POST /api/workers/me/position": Example(
        lambda c, r: ("/api/workers/me/position", {"json": {"lon": 120.03, "lat": 30.38}})
    ),
    "GET /api/devices": Example(
        lambda c, r: ("/api/devices", {"params": {"limit": 5}}),
        lambda c, r: ("/api/devices", {"params": {"area": LINPING}}),
        out_is_empty_list=True,
    ),
    "GET /api/devices/stats": Example(lambda c, r: ("/api/devices/stats", {})),
    # The matrix's events were not raised by devices: once allowed, 404 (no alarm behind it).
    "POST /api/devices/alarms/{code}/false-alarm": Example(
        lambda c, r: (
            f"/api/devices/alarms/{_event_for(c)}/false-alarm",
            {"json": {"note": "矩阵"}},
        )
    ),
    # Smart community (docs/COMMUNITY.md). The matrix's server has no codes or cameras loaded:
    # once allowed, routes on a code, registration, building or camera answer 404.
    "GET /api/qr/registrations": Example(
        lambda c, r: ("/api/qr/registrations", {"params": {"status": "pending"}}),
        lambda c, r: ("/api/qr/registrations", {"params": {"area": LINPING}}),
        out_is_empty_list=True,
    ),
    "POST /api/qr/registrations/{registration_id}/verify": Example(
        lambda c, r: ("/api/qr/registrations/999999/verify", {"json": {}})
    ),
    "POST /api/qr/registrations/{registration_id}/reject": Example(
        lambda c, r: ("/api/qr/registrations/999999/reject", {"json": {"note": "矩阵"}})
    ),
    "POST /api/qr/registrations/{registration_id}/end": Example(
        lambda c, r: ("/api/qr/registrations/999999/end", {"json": {"note": "矩阵"}})
    ),
    "GET /api/qr/sheets/{building_id}": Example(lambda c, r: ("/api/qr/sheets/B9999999", {})),
    "GET /api/qr/codes/{token}": Example(lambda c, r: ("/api/qr/codes/no-such-code", {})),
    "GET /api/qr/codes/{token}/residents": Example(
        lambda c, r: ("/api/qr/codes/no-such-code/residents", {"params": PURPOSE})
    ),
    "POST /api/qr/codes/{token}/registrations": Example(
        lambda c, r: (
            "/api/qr/codes/no-such-code/registrations",
            {"json": {"name": "矩阵测试", "id_number": "11010519491231002X"}},
        )
    ),
    "POST /api/qr/codes/{token}/hazards": Example(
        lambda c, r: ("/api/qr/codes/no-such-code/hazards", {"json": {"description": "矩阵"}})
    ),
    "GET /api/cameras/coverage": Example(
        lambda c, r: (
            "/api/cameras/coverage",
            {
                "params": {
                    "building_id": "B9999999",
                    "floor_from": 3,
                    "floor_to": 5,
                    "start": "2019-07-01T08:00:00",
                }
            },
        )
    ),
    "POST /api/cameras/{camera_id}/thrown-object": Example(
        lambda c, r: (
            "/api/cameras/CAM-9999999/thrown-object",
            {"json": {"at": "2019-07-01T08:00:00", "floor_estimate": 3}},
        )
    ),
    "GET /api/community/residents/{person_id}/activity": Example(
        lambda c, r: (
            f"/api/community/residents/{c.person_id or r(_home_area(c))}/activity",
            {"params": PURPOSE},
        ),
        lambda c, r: (f"/api/community/residents/{r(LINPING)}/activity", {"params": PURPOSE}),
    ),
}
# Admin routes aimed at a user id that does not exist answer 404 once allowed.
NOT_FOUND_WHEN_ALLOWED = {
    "POST /api/users/{user_id}/role",
    "POST /api/users/{user_id}/unlock",
    "GET /api/events/{code}/attachments/{attachment_id}",
    "GET /open311/v2/requests/{service_request_id}.{format}",
    "GET /open311/v2/tokens/{token}.{format}",
    "POST /api/devices/alarms/{code}/false-alarm",
    "POST /api/qr/registrations/{registration_id}/verify",
    "POST /api/qr/registrations/{registration_id}/reject",
    "POST /api/qr/registrations/{registration_id}/end",
    "GET /api/qr/sheets/{building_id}",
    "GET /api/qr/codes/{token}",
    "GET /api/qr/codes/{token}/residents",
    "POST /api/qr/codes/{token}/registrations",
    "POST /api/qr/codes/{token}/hazards",
    "GET /api/cameras/coverage",
    "POST /api/cameras/{camera_id}/thrown-object",
}


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


@pytest.fixture(scope="session")
def matrix_events(server: str, callers) -> dict[str, str]:
    """An event in 谢村 (inside every area-scoped account), one in 临平 (outside all but the
    district's), and the demo citizen's own, taken to the point where it can be rated."""
    commander = callers["district_commander"]
    for name, area in (("xiecun", XIECUN_GRID), ("linping", LINPING_GRID)):
        r = commander.request(
            server,
            "POST",
            "/api/events",
            json={"category": "wages.arrears", "area_code": area, "description": "矩阵"},
        )
        assert r.status_code == 201, r.text
        EVENTS[name] = r.json()["id"]
    r = callers["citizen"].request(
        server,
        "POST",
        "/api/events",
        own=True,
        json={"category": "services.property", "area_code": XIECUN_GRID},
    )
    assert r.status_code == 201, r.text
    EVENTS["citizen"] = code = r.json()["id"]
    steps = [("accept", {}), ("reply", {"note": "已处理"}), ("supervise", {}), ("close", {})]
    if r.json()["state"] == "received":
        steps.insert(0, ("dispatch", {}))
    for action, body in steps:
        r = commander.request(server, "POST", f"/api/events/{code}/actions/{action}", json=body)
        assert r.status_code == 200, (action, r.text)
    return EVENTS


@pytest.mark.parametrize("route", sorted(EXAMPLES))
def test_matrix(route: str, server: str, callers, residents, matrix_events) -> None:
    method, _, _ = route.partition(" ")
    example = EXAMPLES[route]
    action = example.action or deps.ROUTE_ACTIONS[route]
    for role, caller in callers.items():
        if route == "POST /api/auth/logout":
            continue  # logging out would end the session the other routes need; tested below
        want = expected(role, action)
        path, kw = example.inside(caller, residents)
        r = caller.request(
            server,
            method,
            path,
            own=role == "citizen" and ("residents/" in path or "events/" in path),
            **kw,
        )
        where = f"{role} {route} (inside)"
        if want == "denied":
            assert r.status_code == (example.anonymous_status if role == "anonymous" else 403), (
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
                assert r.status_code == example.outside_status, (
                    f"{where}: {r.status_code} {r.text[:200]}"
                )


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
