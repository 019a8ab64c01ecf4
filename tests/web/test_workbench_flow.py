"""The dispatcher's workbench in a real browser: an event's point on the small map drawn from
our own geometry (no tile layer, nothing fetched beyond 127.0.0.1), a double-clicked action
that acts once, and a report merged into another incident from the page."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.web.conftest import ARTIFACTS
from tests.web.test_role_pages import GRID, _token, grid_point  # noqa: F401 (fixture)


def _report(server: str, token: str, point: tuple[float, float], text: str) -> str:
    r = httpx.post(
        f"{server}/api/events",
        headers={"Authorization": f"Bearer {token}"},
        # care: a family whose reports the hub does not merge by itself
        json={"category": "care.hardship", "description": text, "lon": point[0], "lat": point[1]},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _event(server: str, token: str, code: str) -> dict:
    r = httpx.get(f"{server}/api/events/{code}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_dispatcher_sees_the_map_and_merges_two_events(
    visit,
    server: str,
    grid_point,  # noqa: F811
) -> None:
    worker = _token(server, "grid_xiecun_001")
    incident = _report(server, worker, grid_point, "独居老人家中断粮")
    report = _report(server, worker, grid_point, "同一位老人，邻居再次反映")
    commander = _token(server, "commander")
    assert _event(server, commander, report)["state"] in ("received", "dispatched")

    bench = visit("commander", f"/workbench?event={report}")
    b = bench.page
    b.get_by_test_id("event-code").wait_for()
    # The map: our towns, the event's grid outlined, its point; no tiles from anywhere.
    b.wait_for_selector("[data-testid=event-map][data-drawn='1']", state="attached")
    box = b.get_by_test_id("event-map")
    assert box.locator(".leaflet-container").count() == 1
    assert box.locator("path.zhili-event-point").count() == 1
    assert box.locator("path.zhili-event-grid").count() == 1
    assert box.get_attribute("data-grid") == GRID
    assert box.locator(".leaflet-tile, .leaflet-tile-container img").count() == 0
    assert any(u.endswith(f"/web/geo/grid/{GRID}.json") for u in bench.requests)
    assert all(u.startswith(server) or u.startswith(("data:", "blob:")) for u in bench.requests)
    box.screenshot(path=str(ARTIFACTS / "page-workbench-map.png"))

    # A double-click acts once: the button spins and its siblings wait while it runs.
    b.get_by_test_id("note").fill("已电话联系家属")
    b.get_by_test_id("act-note").dblclick()
    b.get_by_text("已电话联系家属").first.wait_for()
    b.wait_for_selector("[data-testid=act-note]:not([disabled])")

    # Merge: the other open event of the village is offered; picked, the report closes.
    b.get_by_test_id(f"merge-candidate-{incident}").click()
    expect(b.get_by_test_id("merge-into")).to_have_value(incident)
    b.get_by_test_id("act-merge").dblclick()
    b.wait_for_selector("[data-testid=state][data-state=duplicate]")
    b.wait_for_selector("[data-testid=event-map][data-drawn='1']", state="attached")
    bench.shot("page-workbench-merged")

    seen = _event(server, commander, incident)
    assert seen["merged_reports"] == [report]
    assert [s["action"] for s in seen["timeline"]].count("merge") == 1
    merged = _event(server, commander, report)
    assert merged["incident"] == incident
    steps = [s["action"] for s in merged["timeline"]]
    assert steps.count("note") == 1 and steps.count("merge") == 1
