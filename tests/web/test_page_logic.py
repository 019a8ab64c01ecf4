"""Page logic without a browser: what each screen of a scope is sent, which actions a role and
state offer, where a login may redirect to and where each role lands."""

from __future__ import annotations

from zhili.privacy.actors import Actor
from zhili.web.live import Tick, _for_scope
from zhili.web.queues import actions_now, rank_nearby
from zhili.web.session import home_of, safe_next

TOWN = Actor(id="user:1", role="town_officer", scope="330110010")
GRID_WORKER = Actor(id="user:2", role="grid_worker", scope="330110010248001")
CITIZEN = Actor(id="user:3", role="citizen", person_id="P1")


def _event(code: str, area: str) -> list:
    # [code, lon, lat, severity, open, category, overdue, version, area, device]
    return [code, 120.0, 30.4, 2, 1, "care.hardship", 0, 1, area, 0]


def test_a_screen_is_sent_only_its_own_area() -> None:
    tick = Tick(
        events=[_event("E1", "330110010248001"), _event("E2", "330110001001001")],
        workers=[[7, 120.0, 30.4, 1, "330110010248001", 1], [8, 120.1, 30.5, 1, "330110001001", 0]],
    )
    town = _for_scope(tick, "330110010")
    assert [e[0] for e in town["e"]] == ["E1"] and [w[0] for w in town["w"]] == [7]
    assert len(town["e"][0]) == 9  # the area code is used to filter, not sent
    district = _for_scope(tick, "330110")
    assert len(district["e"]) == 2 and len(district["w"]) == 2
    assert _for_scope(tick, "") == {"e": [], "w": [], "t": _for_scope(tick, "")["t"]}


def test_actions_follow_the_state_machine_and_the_policy() -> None:
    assert actions_now(TOWN, "received")[:2] == ["dispatch", "reject"]
    assert "close" in actions_now(TOWN, "supervised")
    worker = actions_now(GRID_WORKER, "dispatched")
    assert "accept" in worker and "dispatch" not in worker and "close" not in worker
    assert actions_now(CITIZEN, "completed", own=True) == ["rate", "reopen"]
    assert actions_now(CITIZEN, "handling", own=True) == []
    assert actions_now(TOWN, "rated") == ["reopen"]


def test_login_redirects_stay_on_this_site() -> None:
    assert safe_next("/workbench?event=E1") == "/workbench?event=E1"
    for bad in ("https://example.com/", "//example.com/x", "", None, "javascript:alert(1)"):
        assert safe_next(bad) == "/"


def test_each_role_has_a_first_page() -> None:
    assert home_of(TOWN) == "/screen"
    assert home_of(GRID_WORKER) == "/mobile"
    assert home_of(CITIZEN) == "/citizen"
    assert home_of(Actor(id="user:4", role="auditor")) == "/audit"
    assert home_of(Actor(id="user:5", role="analyst", scope="330110")) == "/kpi"
    assert home_of(Actor(id="user:6", role="system_admin")) == "/"


def test_merge_candidates_put_the_same_grid_and_the_nearest_first() -> None:
    event = {"id": "E9", "area_code": "G1", "lon": 120.0, "lat": 30.0}

    def row(code: str, area: str, lon: float, at: str) -> dict:
        return {"id": code, "area_code": area, "lon": lon, "lat": 30.0, "reported_at": at}

    rows = [
        row("E1", "G2", 120.0001, "2026-01-03"),  # nearest, but another grid
        row("E2", "G1", 120.01, "2026-01-01"),
        row("E3", "G1", 120.001, "2026-01-02"),
        row("E9", "G1", 120.0, "2026-01-04"),  # itself
        {"id": "E4", "area_code": "G1", "lon": None, "lat": None, "reported_at": "2026-01-05"},
    ]
    assert [r["id"] for r in rank_nearby(event, rows)] == ["E3", "E2", "E4", "E1"]
