"""POST /api/events through a running server: the route reads its own request (for speed), so
check that it still answers like a declared FastAPI route: 422s with the body's locations,
the Idempotency-Key header, 401 before anything is read, and an OpenAPI entry that documents
the body and the header."""

from __future__ import annotations

import httpx

XIECUN_GRID = "330110010248001"


def _report(caller, server: str, **kw):
    return caller.request(server, "POST", "/api/events", **kw)


def test_a_bad_body_gets_fastapis_422_with_the_field(server: str, callers) -> None:
    system = callers["department_system"]
    cases = {
        "missing": ({"area_code": XIECUN_GRID}, ["body", "category"]),
        "extra": (
            {"category": "urban.posters", "area_code": XIECUN_GRID, "colour": "red"},
            ["body", "colour"],
        ),
        "range": ({"category": "urban.posters", "lon": 200.0, "lat": 30.4}, ["body", "lon"]),
    }
    for name, (body, loc) in cases.items():
        r = _report(system, server, json=body)
        assert r.status_code == 422, (name, r.text)
        assert r.json()["detail"][0]["loc"] == loc, name
    r = _report(system, server, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["type"] == "json_invalid"


def test_the_idempotency_key_header_makes_a_retry_answer_200(server: str, callers) -> None:
    system = callers["department_system"]
    body = {"category": "urban.posters", "area_code": XIECUN_GRID}
    first = _report(system, server, json=body, headers={"Idempotency-Key": "report-route-1"})
    assert first.status_code == 201, first.text
    again = _report(system, server, json=body, headers={"Idempotency-Key": "report-route-1"})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    r = _report(system, server, json=body, headers={"Idempotency-Key": "k" * 129})
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["detail"]


def test_the_caller_is_checked_before_the_body_is_read(server: str, callers) -> None:
    r = _report(callers["anonymous"], server, content=b"{not json")
    assert r.status_code == 401, r.text
    r = httpx.post(f"{server}/api/events", headers={"X-API-Key": "zk_nonsense"}, json={})
    assert r.status_code == 401 and "unknown API key" in r.text


def test_openapi_documents_the_body_and_the_header(server: str) -> None:
    doc = httpx.get(f"{server}/openapi.json").json()
    op = doc["paths"]["/api/events"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert "category" in schema["required"] and "lon" in schema["properties"]
    assert "$defs" not in str(schema), "an operation's schema cannot point into its own $defs"
    assert [p["name"] for p in op["parameters"]] == ["Idempotency-Key"]
    assert set(op["responses"]) >= {"200", "201"}


def test_a_report_past_the_size_limit_gets_413(server: str, callers) -> None:
    from zhili.api.events import MAX_REPORT_BYTES

    system = callers["department_system"]
    body = {"category": "urban.posters", "area_code": XIECUN_GRID, "description": "x" * 300_000}
    assert len(str(body)) > MAX_REPORT_BYTES
    r = _report(system, server, json=body)
    assert r.status_code == 413 and str(MAX_REPORT_BYTES) in r.json()["detail"], r.text
