"""The Open311 GeoReport v2 API against the real server: discovery, services, service
definitions, POSTing a request, reading it back (JSON and XML), filters, tokens, the error
format, and that no reporter data reaches the public side. The read side is also checked with
the `georeport` client from PyPI (it cannot POST, so POSTs go through httpx forms)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.routing import APIRoute
from georeport import GeoReport

from zhili.api import deps, open311
from zhili.events.categories import tree
from zhili.hub.overview import layout_for
from zhili.privacy.policy import ROLE_RULES

PATH = "/open311/v2"


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float
    grid: str
    community: str  # the public address: town + village or community


@pytest.fixture(scope="module")
def base(server: str) -> str:
    return server + PATH


@pytest.fixture(scope="module")
def api_key(server: str, callers) -> str:
    r = callers["security_admin"].request(
        server,
        "POST",
        "/api/keys",
        json={"name": "open311_test_app", "role": "open311_client", "scope": "330110"},
    )
    assert r.status_code == 201, r.text
    return r.json()["key"]


@pytest.fixture(scope="module")
def place(data_dir: Path) -> Callable[[int], Place]:
    """A point in the i-th of a few grids of 仓前街道, where no other test reports (so that
    our reports merge with each other only where a test wants it)."""
    layout = layout_for(data_dir)
    towns = dict(zip(layout.towns["code"], layout.towns["name"], strict=True))
    villages = dict(zip(layout.villages["code"], layout.villages["name"], strict=True))
    first = layout.grids["code"].to_list().index("330110012001001")

    def at(i: int) -> Place:
        g = first + 4 * i
        lon, lat = layout.sample_points(np.array([g]), np.random.default_rng(i))
        grid = str(layout.grids["code"][g])
        assert grid.startswith("330110012"), grid
        return Place(float(lon[0]), float(lat[0]), grid, towns[grid[:9]] + villages[grid[:12]])

    return at


@pytest.fixture(scope="module")
def resident(truth) -> dict[str, str]:
    """A real resident of the twin: their phone and ID number are what the scans look for."""
    p = truth("persons").drop_nulls("phone").row(0, named=True)
    return {"phone": p["phone"], "id_number": p["id_number"]}


def post(base: str, fmt: str = "json", headers: dict | None = None, **form) -> httpx.Response:
    return httpx.post(f"{base}/requests.{fmt}", data=form, headers=headers or {}, timeout=30)


def report(base: str, api_key: str, p: Place, code: str = "services.property", **form) -> dict:
    r = post(base, api_key=api_key, service_code=code, lat=p.lat, long=p.lon, **form)
    assert r.status_code == 201, r.text
    return r.json()[0]


def xml(r: httpx.Response) -> ET.Element:
    assert r.headers["content-type"] == "text/xml; charset=utf-8", r.headers
    assert r.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(r.content)


def as_list(v) -> list:
    return v if isinstance(v, list) else [v]  # xmltodict gives one child as a dict


def assert_open311_error(r: httpx.Response, status: int, fmt: str = "json") -> str:
    """The spec's error shape (never FastAPI's {"detail": ...}); returns the description."""
    assert r.status_code == status, r.text
    if fmt == "json":
        assert r.headers["content-type"] == "application/json; charset=utf-8"
        body = r.json()
        assert isinstance(body, list) and set(body[0]) == {"code", "description"}, body
        assert body[0]["code"] == status
        return body[0]["description"]
    root = xml(r)
    assert root.tag == "errors"
    assert root.find("error/code").text == str(status)
    return root.find("error/description").text or ""


def test_discovery_in_both_formats(base: str) -> None:
    r = httpx.get(f"{base}/discovery.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    d = r.json()
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(d)
    (endpoint,) = d["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith(PATH)
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml(httpx.get(f"{base}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert root.findtext("changeset") == d["changeset"]


def test_services_are_the_public_categories(base: str) -> None:
    t = tree()
    public = {c.code: c for c in t.public()}
    services = httpx.get(f"{base}/services.json").json()
    assert [s["service_code"] for s in services] == list(public)
    for s in services:
        c = public[s["service_code"]]
        assert isinstance(s["service_code"], str)
        assert s["service_name"] == c.zh
        assert s["group"] == t.families[c.family].zh
        assert s["type"] == "realtime" and isinstance(s["metadata"], bool)
        assert c.zh in s["keywords"] and c.en in s["keywords"]
    assert "criminal.theft" not in {s["service_code"] for s in services}
    english = httpx.get(f"{base}/services.json", params={"lang": "en"}).json()
    assert english[0]["service_name"] == public[english[0]["service_code"]].en
    root = xml(httpx.get(f"{base}/services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == list(public)
    assert {s.findtext("metadata") for s in root.findall("service")} <= {"true", "false"}


def test_service_definitions(base: str) -> None:
    d = httpx.get(f"{base}/services/urban.road_damage.json").json()
    assert d["service_code"] == "urban.road_damage"
    (a,) = d["attributes"]
    assert a["code"] == "crowd_size" and a["datatype"] == "number"
    assert a["variable"] is True and a["required"] is False and a["order"] == 1
    assert httpx.get(f"{base}/services/services.property.json").json()["attributes"] == []
    root = xml(httpx.get(f"{base}/services/urban.road_damage.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "crowd_size"
    # metadata says whether a definition has attributes
    meta = {s["service_code"]: s["metadata"] for s in httpx.get(f"{base}/services.json").json()}
    assert meta["urban.road_damage"] is True and meta["services.property"] is False
    for code in ("nope", "criminal.theft"):  # unknown, and a category closed to the public
        assert_open311_error(httpx.get(f"{base}/services/{code}.json"), 404)
        assert_open311_error(httpx.get(f"{base}/services/{code}.xml"), 404, "xml")


def test_post_then_read_back_open_in_json_and_xml(base: str, api_key: str, place) -> None:
    p = place(11)
    r = post(
        base,
        "xml",
        api_key=api_key,
        service_code="services.property",
        lat=str(p.lat),
        long=str(p.lon),
        description="小区电梯停运两天",
        account_id="app-42",
    )
    assert r.status_code == 201, r.text
    root = xml(r)
    assert root.tag == "service_requests"
    sid = root.findtext("request/service_request_id")
    token = root.findtext("request/token")
    assert sid and sid.startswith("E") and token
    assert root.findtext("request/account_id") == "app-42"
    assert "办理" in (root.findtext("request/service_notice") or "")

    (one,) = httpx.get(f"{base}/requests/{sid}.json").json()
    assert one["service_request_id"] == sid and isinstance(one["service_request_id"], str)
    assert one["status"] == "open"
    assert one["service_code"] == "services.property" and one["service_name"] == "物业服务"
    assert one["description"] == "小区电梯停运两天"
    assert one["agency_responsible"]
    assert one["lat"] == round(p.lat, 3) and one["long"] == round(p.lon, 3)
    assert one["address"] == p.community and one["address_id"] == p.grid[:12]
    for k in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert one[k].endswith("+08:00"), one[k]
    assert one["expected_datetime"] > one["requested_datetime"]

    root = xml(httpx.get(f"{base}/requests/{sid}.xml"))
    (req,) = root.findall("request")
    assert req.findtext("status") == "open" and req.findtext("service_request_id") == sid
    assert req.findtext("lat") == str(round(p.lat, 3))

    listed = httpx.get(f"{base}/requests.json").json()
    assert sid in [x["service_request_id"] for x in listed]
    mine = [x for x in listed if x["service_request_id"] == sid]
    assert mine == [one]

    (t,) = httpx.get(f"{base}/tokens/{token}.json").json()
    assert t == {"service_request_id": sid, "token": token}
    root = xml(httpx.get(f"{base}/tokens/{token}.xml"))
    assert root.findtext("request/service_request_id") == sid
    assert_open311_error(httpx.get(f"{base}/tokens/{'0' * 32}.json"), 404)
    assert_open311_error(httpx.get(f"{base}/requests/E99999999.xml"), 404, "xml")


def test_the_georeport_client_reads_both_formats(base: str, api_key: str, place) -> None:
    sid = report(base, api_key, place(12), description="georeport 客户端")["service_request_id"]
    public = [c.code for c in tree().public()]
    for fmt in ("json", "xml"):
        client = GeoReport(base, output_format=fmt)
        services = as_list(client.get_service_list())
        assert [s["service_code"] for s in services] == public
        d = client.get_service_definition("urban.road_damage")
        assert d["service_code"] == "urban.road_damage"
        one = client.get_service_request(sid)
        assert one["service_request_id"] == sid and one["status"] == "open"
        assert one["description"] == "georeport 客户端"
        listed = as_list(client.get_service_requests(service_request_id=sid))
        assert [x["service_request_id"] for x in listed] == [sid]
        opened = as_list(
            client.get_service_requests(status="open", service_code="services.property")
        )
        assert sid in {x["service_request_id"] for x in opened}
        assert {x["status"] for x in opened} == {"open"}


def test_no_personal_data_on_the_public_side(
    server: str, base: str, api_key: str, place, resident, callers
) -> None:
    p = place(13)
    email = "zhang.wei.311@example.com"
    device = "device-7f3a9c-311"
    sid = report(
        base,
        api_key,
        p,
        first_name="伟",
        last_name="张",
        email=email,
        phone=resident["phone"],
        device_id=device,
        address_string="昌运里5幢2单元301室",
        description=(
            f"我是张伟，电话 {resident['phone']}，身份证 {resident['id_number']}，"
            f"邮箱 {email}，楼道堆满杂物"
        ),
    )["service_request_id"]
    anonymous = callers["anonymous"]  # scans every body for real ID numbers and phones
    bodies = [
        anonymous.request(server, "GET", f"{PATH}/requests.json").text,
        anonymous.request(server, "GET", f"{PATH}/requests.xml").text,
        anonymous.request(server, "GET", f"{PATH}/requests/{sid}.json").text,
        anonymous.request(server, "GET", f"{PATH}/requests/{sid}.xml").text,
        anonymous.request(
            server, "GET", f"{PATH}/requests.json", params={"service_request_id": sid}
        ).text,
    ]
    for body in bodies:
        assert sid in body
        for secret in (
            resident["phone"],
            resident["id_number"],
            email,
            device,
            "张伟",
            "5幢",
            "301室",
            "app-",
        ):
            assert secret not in body, (secret, body[:400])
    (one,) = httpx.get(f"{base}/requests/{sid}.json").json()
    assert mask(resident["phone"]) in one["description"] and "楼道堆满杂物" in one["description"]
    assert one["address"] == p.community
    # Staff see that a reporter left details, masked (reading them unmasked is audited). (A
    # free-text description reaches staff as written, so this report's has no identifiers.)
    sid = report(
        base,
        api_key,
        place(22),
        first_name="伟",
        last_name="张",
        email=email,
        phone=resident["phone"],
        address_string="昌运里5幢2单元301室",
        description="楼道堆满杂物",
    )["service_request_id"]
    r = callers["district_commander"].request(server, "GET", f"/api/events/{sid}")
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["channel"] == "open311" and e["reporter"]["actor"] == "key"
    assert e["reporter"]["name"] == "张*"
    contact = e["reporter"]["contact"]
    assert "****" in contact and resident["phone"] not in contact and email not in contact
    assert e["address"] == "昌运里5幢2单元301室"  # staff keep the citizen's own words


def mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def test_filters(base: str, api_key: str, place) -> None:
    a = report(base, api_key, place(14), "services.education")["service_request_id"]
    b = report(base, api_key, place(15), "transit.service")["service_request_id"]

    def ids(**params) -> list[str]:
        r = httpx.get(f"{base}/requests.json", params=params)
        assert r.status_code == 200, r.text
        return [x["service_request_id"] for x in r.json()]

    got = ids(service_code="services.education")
    assert a in got and b not in got
    got = ids(service_code="services.education,transit.service")
    assert {a, b} <= set(got)
    assert a in ids(status="open") and a not in ids(status="closed")
    assert a in ids(status="open,closed")
    # service_request_id overrides every other filter
    assert ids(service_request_id=f"{a},{b}", status="closed", service_code="x") == [b, a]
    assert ids(service_request_id="E99999999") == []
    # the window: the last 90 days by default; explicit dates with offsets or Z
    assert a not in ids(start_date="2020-01-01T00:00:00Z", end_date="2020-03-01T00:00:00Z")
    assert a not in ids(end_date="2099-01-01T00:00:00Z")  # the 90 days before it
    today = httpx.get(f"{base}/requests/{a}.json").json()[0]["requested_datetime"][:10]
    assert a in ids(start_date=f"{today}T00:00:00+08:00")
    assert a in ids(start_date=today)  # a date alone is China midnight
    # newest first
    listed = ids()
    assert listed.index(b) < listed.index(a)
    for bad, why in (
        ({"start_date": "2020-01-01T00:00:00Z", "end_date": "2021-01-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2021-01-01T00:00:00Z", "end_date": "2020-01-01T00:00:00Z"}, "before"),
        ({"start_date": "yesterday"}, "W3C"),
        ({"status": "pending"}, "open or closed"),
    ):
        assert why in assert_open311_error(httpx.get(f"{base}/requests.json", params=bad), 400)


def test_closed_with_the_handlers_note(
    server: str, base: str, api_key: str, place, callers
) -> None:
    sid = report(base, api_key, place(16), "services.mobility")["service_request_id"]
    commander = callers["district_commander"]
    state = commander.request(server, "GET", f"/api/events/{sid}").json()["state"]
    steps = [("reject", {"note": "已由公交公司答复，详询 0571-86001234"})]
    if state != "received":
        steps.insert(0, ("transfer", {"note": "转交公交公司", "department": "区公交集团"}))
    for action, body in steps:
        r = commander.request(server, "POST", f"/api/events/{sid}/actions/{action}", json=body)
        assert r.status_code == 200, (action, r.text)
    (one,) = httpx.get(f"{base}/requests/{sid}.json").json()
    assert one["status"] == "closed"
    assert one["status_notes"] == "已由公交公司答复，详询 ****"  # a phone in a note is scrubbed
    assert one["updated_datetime"] >= one["requested_datetime"]
    got = [
        x["service_request_id"]
        for x in httpx.get(f"{base}/requests.json", params={"status": "closed"}).json()
    ]
    assert sid in got
    root = xml(httpx.get(f"{base}/requests/{sid}.xml"))
    assert root.findtext("request/status") == "closed"


def test_a_merged_report_is_closed_and_points_at_its_incident(
    base: str, api_key: str, place
) -> None:
    p = place(17)
    first = report(base, api_key, p, "urban.exposed_garbage")["service_request_id"]
    second = report(base, api_key, p, "urban.exposed_garbage")
    assert first in second["service_notice"]
    (one,) = httpx.get(f"{base}/requests/{second['service_request_id']}.json").json()
    assert one["status"] == "closed" and first in one["status_notes"]


def test_address_id_and_the_crowd_attribute(
    server: str, base: str, api_key: str, place, callers
) -> None:
    p = place(18)
    r = post(
        base,
        api_key=api_key,
        service_code="public_order.noise",
        address_id=p.grid[:12],
        address_string="广场",
        **{"attribute[crowd_size]": "40"},
    )
    assert r.status_code == 201, r.text
    sid = r.json()[0]["service_request_id"]
    e = callers["district_commander"].request(server, "GET", f"/api/events/{sid}").json()
    assert e["area_code"] == p.grid[:12] and e["crowd_size"] == 40
    assert e["level"] in ("town", "district")  # a crowd of 30 or more lifts it at once
    (one,) = httpx.get(f"{base}/requests/{sid}.json").json()
    assert one["lat"] is None and one["address"] == p.community
    for attrs, why in (
        ({"attribute[crowd_size]": "many"}, "whole number"),
        ({"attribute[colour]": "red"}, "no attribute"),
    ):
        r = post(
            base, api_key=api_key, service_code="public_order.noise", address_id=p.grid, **attrs
        )
        assert why in assert_open311_error(r, 400)
    r = post(
        base,
        api_key=api_key,
        service_code="services.property",  # no attributes at all
        address_id=p.grid,
        **{"attribute[crowd_size]": "3"},
    )
    assert "no attribute" in assert_open311_error(r, 400)


def test_post_errors(server: str, base: str, api_key: str, place, callers) -> None:
    p = place(19)
    ok = {"service_code": "services.property", "lat": p.lat, "long": p.lon}
    # the key: missing, wrong, or a system role that may not submit (403, in the asked format)
    assert "api_key" in assert_open311_error(post(base, "xml", **ok), 403, "xml")
    assert_open311_error(post(base, api_key="zk_nope", **ok), 403)
    dept_key = callers["department_system"].headers["X-API-Key"]
    assert "may not" in assert_open311_error(post(base, api_key=dept_key, **ok), 403)
    # the service
    assert_open311_error(post(base, api_key=api_key, lat=p.lat, long=p.lon), 400)
    assert_open311_error(post(base, api_key=api_key, **{**ok, "service_code": "nope"}), 404)
    assert_open311_error(
        post(base, api_key=api_key, **{**ok, "service_code": "criminal.theft"}), 404
    )
    # the location
    bare = {"service_code": "services.property"}
    assert "location" in assert_open311_error(post(base, api_key=api_key, **bare), 400)
    assert "address_string" in assert_open311_error(
        post(base, api_key=api_key, address_string="临平路1号", **bare), 400
    )
    assert_open311_error(post(base, api_key=api_key, lat=p.lat, **bare), 400)
    assert_open311_error(post(base, api_key=api_key, lat="north", long=p.lon, **bare), 400)
    assert_open311_error(post(base, api_key=api_key, lat=39.9, long=116.4, **bare), 400)
    assert_open311_error(post(base, api_key=api_key, address_id="330110999999", **bare), 400)
    assert_open311_error(post(base, api_key=api_key, address_id="x", **bare), 400)
    assert_open311_error(post(base, api_key=api_key, description="长" * 4001, **ok), 400)
    # formats and paths
    assert_open311_error(post(base, "yaml", api_key=api_key, **ok), 404, "xml")
    assert_open311_error(httpx.get(f"{base}/services.html"), 404, "xml")
    assert_open311_error(httpx.get(f"{base}/nothing.json"), 404)
    assert_open311_error(httpx.get(f"{base}/nothing"), 404, "xml")
    assert_open311_error(httpx.put(f"{base}/services.json"), 405)
    assert_open311_error(httpx.post(f"{base}/services.json", data=ok), 404)
    # the key as a header works too, for clients that send it so
    r = post(base, headers={"X-API-Key": api_key}, **ok)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json; charset=utf-8"


def test_retry_with_an_idempotency_key_makes_one_request(base: str, api_key: str, place) -> None:
    p = place(20)
    form = {"api_key": api_key, "service_code": "services.property", "lat": p.lat, "long": p.lon}
    headers = {"Idempotency-Key": "open311-retry-1"}
    first = post(base, headers=headers, **form)
    again = post(base, headers=headers, **form)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]


def test_a_citizens_token_makes_the_report_their_own(
    server: str, base: str, api_key: str, place, callers
) -> None:
    citizen = callers["citizen"]
    p = place(21)
    r = post(
        base,
        headers=citizen.headers,
        api_key=api_key,
        service_code="services.social_security",
        lat=p.lat,
        long=p.lon,
    )
    assert r.status_code == 201, r.text
    sid = r.json()[0]["service_request_id"]
    mine = citizen.request(server, "GET", "/api/events", own=True).json()["items"]
    assert sid in [e["id"] for e in mine]
    r = post(
        base,
        headers={"Authorization": "Bearer not-a-token"},
        api_key=api_key,
        service_code="services.social_security",
        lat=p.lat,
        long=p.lon,
    )
    assert_open311_error(r, 403)


def test_every_role_gets_what_the_policy_says(
    server: str, base: str, api_key: str, place, callers
) -> None:
    """The Open311 routes × every demo role, expected answers from ROLE_RULES: reading is for
    anonymous callers and Open311 apps, submitting for Open311 apps; everyone else gets 403
    (the spec's status for a missing or wrong key, so an anonymous POST gets 403 too)."""
    p = place(23)
    created = report(base, api_key, p)
    sid, token = created["service_request_id"], created["token"]
    form = {"service_code": "services.property", "lat": p.lat, "long": p.lon}
    examples = {
        "GET /discovery.{format}": ("GET", "/discovery.json", {}),
        "GET /services.{format}": ("GET", "/services.xml", {}),
        "GET /services/{service_code}.{format}": ("GET", "/services/urban.road_damage.json", {}),
        "GET /requests.{format}": ("GET", "/requests.json", {}),
        "GET /requests/{service_request_id}.{format}": ("GET", f"/requests/{sid}.xml", {}),
        "GET /tokens/{token}.{format}": ("GET", f"/tokens/{token}.json", {}),
        "POST /requests.{format}": ("POST", "/requests.json", {"data": form}),
    }
    routes = {
        f"{m} {route.path.removeprefix(PATH)}"
        for route in open311.router.routes
        if isinstance(route, APIRoute)
        for m in route.methods
    }
    assert routes == set(examples)  # every API route of the router has an example here
    for route, (method, path, kw) in examples.items():
        action = deps.ROUTE_ACTIONS[route.replace(" ", f" {PATH}", 1)]
        for role, caller in callers.items():
            r = caller.request(server, method, PATH + path, **kw)
            if action in ROLE_RULES.get(role, {}):
                assert 200 <= r.status_code < 300, (role, route, r.text)
            else:
                assert_open311_error(r, 403, path.rsplit(".", 1)[-1])
