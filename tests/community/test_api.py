"""S2, S3 and S5 end to end through the REST API of a running server, as the demo accounts
(the pilot 昌运里 lies in 谢村村第1网格, inside every area-scoped demo account): the smart
communities are loaded with `zhili community load-twin` (and the cameras with `zhili devices
load`) beside the running server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from zhili.community.models import CommunityPlace

PURPOSE = {"purpose_basis": "statutory_duty", "purpose_text": "出租房屋流动人口核查"}
CLI = [sys.executable, "-m", "zhili.cli"]


@pytest.fixture(scope="module")
def loaded(server: str, data_dir: Path) -> dict:
    """The communities (and the device registry, for the cameras) loaded into the server's
    store; a pilot flat and its building."""
    for group in ("community load-twin", "devices load"):
        done = subprocess.run(
            [*CLI, *group.split(), "--data", str(data_dir)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    facts = json.loads((data_dir / "twin" / "truth" / "facts.json").read_text("utf-8"))
    engine = create_engine(f"sqlite:///{data_dir / 'zhili.db'}")
    with Session(engine) as s:
        flats = s.scalars(
            select(CommunityPlace)
            .where(
                CommunityPlace.kind == "flat",
                CommunityPlace.compound_id == facts["pilot"]["compound_id"],
            )
            .order_by(CommunityPlace.id)
        ).all()
        flat = flats[-1]
        building = s.scalars(
            select(CommunityPlace).where(
                CommunityPlace.kind == "building", CommunityPlace.ref == flat.building_id
            )
        ).one()
        out = {
            "flat": flat.token,
            "flat_ref": flat.ref,
            "label": flat.label,
            "room": f"{flat.unit}-{flat.room}",
            "building": building.token,
            "building_id": building.ref,
            "facts": facts,
        }
    engine.dispose()
    return out


def test_s5_scan_register_verify_see_and_report(server: str, callers, loaded: dict) -> None:
    anonymous, officer = callers["anonymous"], callers["village_officer"]
    worker, housing = callers["grid_worker"], callers["department_handler"]
    r = anonymous.request(server, "GET", f"/api/qr/codes/{loaded['flat']}")
    assert r.status_code == 200 and r.json()["label"] == loaded["label"], r.text
    # A tenant scans the building's code and names the room; a rescan is not a second tenant.
    body = {"name": "陈租客", "id_number": "11010519491231002X", "phone": "13800138000"}
    r = anonymous.request(
        server,
        "POST",
        f"/api/qr/codes/{loaded['building']}/registrations",
        json={**body, "room": loaded["room"]},
    )
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    reg = r.json()["id"]
    r = anonymous.request(
        server, "POST", f"/api/qr/codes/{loaded['flat']}/registrations", json=body
    )
    assert r.status_code == 200 and r.json()["id"] == reg
    bad = {**body, "id_number": "110105194912310021"}
    r = anonymous.request(server, "POST", f"/api/qr/codes/{loaded['flat']}/registrations", json=bad)
    assert r.status_code == 422 and "check digit" in r.text
    # The officer's queue, the verification, and who is registered (purpose-bound).
    r = housing.request(server, "GET", "/api/qr/registrations")
    assert any(i["id"] == reg for i in r.json()["items"]), r.text
    r = officer.request(server, "POST", f"/api/qr/registrations/{reg}/verify", json={})
    assert r.status_code == 200 and r.json()["status"] == "verified", r.text
    r = officer.request(server, "GET", f"/api/qr/codes/{loaded['flat']}/residents")
    assert r.status_code == 428
    r = officer.request(server, "GET", f"/api/qr/codes/{loaded['flat']}/residents", params=PURPOSE)
    assert r.status_code == 200 and r.json()["registered"] >= 1, r.text
    assert any(i["name"] == "陈**" for i in r.json()["items"])
    r = worker.request(server, "GET", f"/api/qr/codes/{loaded['flat']}/residents", params=PURPOSE)
    assert r.status_code == 403
    # A hazard with a photo, into the event hub.
    r = worker.request(
        server,
        "POST",
        f"/api/qr/codes/{loaded['flat']}/hazards",
        json={"description": "楼道内电动车飞线充电"},
    )
    assert r.status_code == 201, r.text
    code, photos = r.json()["id"], r.json()["photos"]
    r = worker.request(
        server, "POST", photos, files={"file": ("p.jpg", b"\xff\xd8\xff photo", "image/jpeg")}
    )
    assert r.status_code == 201, r.text
    r = worker.request(server, "GET", f"/api/events/{code}")
    e = r.json()
    assert e["category"] == "public_order.rental_hazard" and e["address"] == loaded["label"]
    # The printable sheet.
    r = worker.request(server, "GET", f"/api/qr/sheets/{loaded['building_id']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text.count("<svg") >= 2 and loaded["label"] in r.text


def test_s3_cameras_and_a_thrown_object(server: str, callers, loaded: dict) -> None:
    commander, gateway = callers["district_commander"], callers["device_gateway"]
    r = commander.request(
        server,
        "GET",
        "/api/cameras/coverage",
        params={
            "building_id": loaded["building_id"],
            "floor_from": 8,
            "floor_to": 12,
            "start": "2019-07-03T14:20:00+08:00",
            "end": "2019-07-03T14:25:00+08:00",
        },
    )
    assert r.status_code == 200, r.text
    cov = r.json()
    assert cov["window"] == ["2019-07-03T06:20:00", "2019-07-03T06:25:00"]  # stored as UTC
    facade = [c for c in cov["clips"] if c["role"] == "facade"]
    assert facade, cov
    camera = facade[0]["device_id"]
    body = {"at": "2019-07-03T06:21:07Z", "floor_estimate": 10}
    r = gateway.request(server, "POST", f"/api/cameras/{camera}/thrown-object", json=body)
    assert r.status_code == 201, r.text
    again = gateway.request(server, "POST", f"/api/cameras/{camera}/thrown-object", json=body)
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    e = commander.request(server, "GET", f"/api/events/{r.json()['id']}").json()
    assert e["category"] == "public_order.thrown_object" and camera in e["description"]


def test_s2_detectors_and_activity(server: str, callers, data_dir: Path, loaded: dict) -> None:
    facts = loaded["facts"]["s2"]
    done = subprocess.run(
        [*CLI, "community", "detect", "--now", "2019-06-30T16:00:00", "--data", str(data_dir)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "community.welfare:" in done.stdout and "community.access_anomaly: 1 alerts" in done.stdout
    )
    commander = callers["district_commander"]
    items = commander.request(
        server, "GET", "/api/events", params={"family": "care", "limit": 500}
    ).json()["items"]
    assert any(i["category"] == "care.welfare_check" for i in items)
    items = commander.request(
        server, "GET", "/api/events", params={"family": "public_order", "limit": 500}
    ).json()["items"]
    assert any(i["category"] == "public_order.access_anomaly" for i in items)
    # The grid's officer looks at the elder's passages, for the visit.
    persons = pl.read_parquet(data_dir / "twin" / "truth" / "persons.parquet")
    planted = facts["welfare_check"][0]
    assert persons.filter(pl.col("person_id") == planted)["grid_code"][0].startswith("330110010248")
    r = callers["village_officer"].request(
        server,
        "GET",
        f"/api/community/residents/{planted}/activity",
        params={**PURPOSE, "until": "2019-06-30", "days": 14},
    )
    assert r.status_code == 200, r.text
    assert [d["passages"] for d in r.json()["days"]][-5:] == [0] * 5
