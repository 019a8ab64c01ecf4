"""POST /api/events/batch through a running server: each item is checked, authorized against
its own place and written on its own; a bad item fails alone with its reason; an idempotent
resend of the whole batch creates nothing twice."""

from __future__ import annotations

XIECUN_GRID = "330110010248001"
LINPING_GRID = "330110001001001"


def _push(caller, server: str, items: list[dict]):
    return caller.request(server, "POST", "/api/events/batch", json={"events": items})


def test_a_bad_item_fails_alone_and_a_resend_creates_nothing_twice(server: str, callers) -> None:
    system = callers["department_system"]
    items = [
        {"category": "urban.posters", "area_code": XIECUN_GRID, "idempotency_key": "b-1"},
        {"category": "no.such_category", "area_code": XIECUN_GRID},
        {"category": "urban.posters", "lon": 200.0, "lat": 30.4},
        {"category": "urban.posters", "area_code": XIECUN_GRID, "idempotency_key": "b-4"},
        {"category": "urban.posters", "area_code": XIECUN_GRID, "idempotency_key": 7},
    ]
    r = _push(system, server, items)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["status"] for x in body["results"]] == [201, 422, 422, 201, 400]
    assert [x["index"] for x in body["results"]] == [0, 1, 2, 3, 4]
    assert (body["created"], body["replayed"], body["failed"]) == (2, 0, 3)
    assert "no.such_category" in body["results"][1]["error"]
    assert "lon" in body["results"][2]["error"]
    codes = [body["results"][i]["event"]["id"] for i in (0, 3)]
    assert codes[0] != codes[1]

    again = _push(system, server, items).json()
    assert [x["status"] for x in again["results"]] == [200, 422, 422, 200, 400]
    assert [again["results"][i]["event"]["id"] for i in (0, 3)] == codes

    commander = callers["district_commander"]
    for code in codes:
        r = commander.request(server, "GET", f"/api/events/{code}")
        assert r.status_code == 200, r.text
        assert r.json()["channel"] == "department"


def test_each_item_is_authorized_against_its_own_place(server: str, callers) -> None:
    gateway = callers["device_gateway"]  # scoped to the village of 谢村
    r = _push(
        gateway,
        server,
        [
            {"category": "urban.posters", "area_code": LINPING_GRID},
            {"category": "urban.posters", "area_code": XIECUN_GRID},
        ],
    )
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["status"] == 403 and "outside your area" in first["error"]
    assert second["status"] == 201 and second["event"]["id"].startswith("E")


def test_the_batch_itself_is_checked(server: str, callers) -> None:
    system = callers["department_system"]
    assert _push(system, server, []).status_code == 422
    many = [{"category": "urban.posters", "area_code": XIECUN_GRID}] * 501
    assert _push(system, server, many).status_code == 422
    citizen = callers["citizen"]
    r = _push(citizen, server, [{"category": "urban.posters", "area_code": XIECUN_GRID}])
    assert r.status_code == 403
