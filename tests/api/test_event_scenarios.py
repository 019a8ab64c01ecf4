"""S6 and S7 end to end through the REST API of a running server, as the demo accounts.

S6: a grid worker reports something abnormal from the phone (with a photo and the phone's
position); it goes up the chain grid → village → town → district, each level with its own
department and deadline, and the reporter hears of every step.
S7: 9:00 a grid worker reports dozens gathering; 9:30 another report says 300-400; the reports
merge into one incident that escalates to the district at once; one cross-department search
finds the bankrupt developer's construction guarantee deposit; the plan is recorded; the
incident is closed, visited and rated, and both reporters are told.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from zhili.geo import get_layout

XIECUN_GRID = "330110010248001"


def _point_in(grid_code: str, seed: int = 5) -> tuple[float, float]:
    layout = get_layout()
    index = layout.grids["code"].to_list().index(grid_code)
    lon, lat = layout.sample_points(np.array([index]), np.random.default_rng(seed))
    return float(lon[0]), float(lat[0])


def _act(caller, server: str, code: str, action: str, **body) -> dict:
    r = caller.request(server, "POST", f"/api/events/{code}/actions/{action}", json=body)
    assert r.status_code == 200, (caller.role, action, r.text)
    return r.json()


def test_s6_a_grid_report_goes_up_the_chain(server: str, callers) -> None:
    worker = callers["grid_worker"]
    lon, lat = _point_in(XIECUN_GRID)
    r = worker.request(
        server, "POST", "/api/workers/me/position", json={"lon": lon, "lat": lat, "on_duty": True}
    )
    assert r.status_code == 200, r.text
    r = worker.request(
        server,
        "POST",
        "/api/events",
        headers={"Idempotency-Key": "s6-phone-1"},
        json={
            "category": "governance.safety_hazard",
            "lon": lon,
            "lat": lat,
            "description": "村道边废弃厂房外墙开裂，有倒塌风险",
        },
    )
    assert r.status_code == 201, r.text
    code = r.json()["id"]
    assert (r.json()["level"], r.json()["department"]) == ("grid", "网格员")
    # The phone retries (no answer in the rain): the same event, not a second one.
    again = worker.request(
        server,
        "POST",
        "/api/events",
        headers={"Idempotency-Key": "s6-phone-1"},
        json={"category": "governance.safety_hazard", "lon": lon, "lat": lat},
    )
    assert again.status_code == 200 and again.json()["id"] == code
    photo = worker.request(
        server,
        "POST",
        f"/api/events/{code}/attachments",
        files={"file": ("wall.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg")},
    )
    assert photo.status_code == 201, photo.text
    # Beyond the grid's means: up to the village, the town, the district.
    _act(worker, server, code, "escalate", note="需要专业鉴定")
    _act(callers["village_officer"], server, code, "escalate", note="需镇街协调住建部门")
    _act(callers["town_officer"], server, code, "escalate", note="涉及多部门，报区级")
    detail = callers["district_commander"].request(server, "GET", f"/api/events/{code}").json()
    ups = [(t["level"], t["department"]) for t in detail["timeline"] if t["action"] == "escalate"]
    assert ups == [
        ("village", "村(社区)综治中心"),
        ("town", "镇街社会治理中心"),
        ("district", "区社会治理综合指挥中心"),
    ]
    assert detail["due_at"] and detail["attachments"][0]["content_type"] == "image/jpeg"
    # Each level got its own deadline; the reporter was told at every step.
    told = worker.request(server, "GET", "/api/me/notifications").json()["items"]
    assert sum(1 for n in told if n["event"] == code and n["kind"] == "escalation") == 3
    # A part-time worker may report but not handle; the village sees it in its queue.
    queue = (
        callers["village_officer"]
        .request(server, "GET", "/api/events", params={"open": "true", "limit": 500})
        .json()
    )
    assert code in [e["id"] for e in queue["items"]]


def _developer_name(data_dir: Path, twin_dir: Path) -> str:
    s7 = json.loads((twin_dir / "truth" / "facts.json").read_text("utf-8"))["s7"]
    truth = pl.read_parquet(twin_dir / "truth" / "links.parquet")
    market = truth.filter(
        (pl.col("entity_id") == s7["developer_id"]) & (pl.col("entity_type") == "enterprise")
    )
    lake = data_dir / "lake"
    links = pl.read_parquet(lake / "master" / "enterprise_links.parquet")
    master = links.join(market, on=["source", "record_id", "role"])["master_id"].mode()[0]
    con = duckdb.connect(str(lake / "master" / "search.duckdb"), read_only=True)
    name = con.execute("SELECT label FROM masters WHERE master_id = ?", [master]).fetchone()[0]
    con.close()
    return name


def test_s7_the_mass_gathering(server: str, callers, data_dir: Path, twin_dir: Path) -> None:
    lon, lat = _point_in(XIECUN_GRID, seed=11)
    nine = dt.datetime(2019, 3, 4, 1, 0)  # 9:00 in Hangzhou
    first = callers["grid_worker"].request(
        server,
        "POST",
        "/api/events",
        json={
            "category": "stability.mass_gathering",
            "lon": lon,
            "lat": lat,
            "crowd_size": 40,
            "reported_at": nine.isoformat(),
            "description": "数十人聚集在街道办门口",
        },
    )
    assert first.status_code == 201, first.text
    incident = first.json()["id"]
    assert first.json()["level"] == "town"  # dozens: straight to the town
    second = callers["part_time_grid_worker"].request(
        server,
        "POST",
        "/api/events",
        json={
            "category": "stability.mass_gathering",
            "lon": lon + 0.0002,
            "lat": lat,
            "crowd_size": 350,
            "reported_at": (nine + dt.timedelta(minutes=30)).isoformat(),
            "description": "聚集人数已达三四百人，系某楼盘业主，开发商破产无法交房",
        },
    )
    assert second.status_code == 201, second.text
    assert second.json()["state"] == "duplicate" and second.json()["incident"] == incident
    commander = callers["district_commander"]
    seen = commander.request(server, "GET", f"/api/events/{incident}").json()
    assert (seen["level"], seen["crowd_size"], seen["severity"]) == ("district", 350, 4)
    assert seen["merged_reports"] == [second.json()["id"]]
    # One cross-department search, for this incident, from the developer to its deposit.
    name = _developer_name(data_dir, twin_dir)
    found = commander.request(
        server,
        "GET",
        "/api/search",
        params={
            "q": name,
            "purpose_basis": "statutory_duty",
            "purpose_case": incident,
            "purpose_text": "处置群体性聚集",
        },
    )
    assert found.status_code == 200, found.text
    text = json.dumps(found.json(), ensure_ascii=False)
    assert "工程建设保证金" in text
    _act(commander, server, incident, "dispatch", note="区住建局、街道、公安到场")
    _act(commander, server, incident, "accept", note="现场接待业主代表")
    _act(
        commander,
        server,
        incident,
        "note",
        note="方案：动用该项目在银行的工程建设保证金，协调续建交房",
    )
    _act(commander, server, incident, "reply", note="业主代表接受方案，人群散去")
    _act(commander, server, incident, "supervise")
    _act(commander, server, incident, "close")
    _act(commander, server, incident, "return_visit", note="回访业主代表")
    _act(commander, server, incident, "rate", rating=5)
    final = commander.request(server, "GET", f"/api/events/{incident}").json()
    assert final["state"] == "rated"
    actions = [t["action"] for t in final["timeline"]]
    assert actions[:3] == ["report", "merge", "escalate"] and actions[-1] == "rate"
    for who in ("grid_worker", "part_time_grid_worker"):
        told = callers[who].request(server, "GET", "/api/me/notifications").json()["items"]
        assert any(n["state"] == "completed" for n in told), who
