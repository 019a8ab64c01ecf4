"""The smart community over MQTT, on both brokers: gate passages (S1) and cameras'
thrown-object detections (S3) reach the hub through the device ingest; what the community
refuses is quarantined with its reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from sqlalchemy import select
from tests.devices.conftest import Rig, wait_for
from tests.devices.test_ingest import quarantined

from zhili.community.models import CommunityCredential
from zhili.devices.models import Device
from zhili.events.models import Event
from zhili.hub.models import AccessEvent


def local_iso(minutes_ago: int = 0) -> str:
    t = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    return t.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")


def test_gate_passages_over_mqtt_are_stored_under_the_register(rig: Rig, twin_dir: Path) -> None:
    rig.load_community(twin_dir)
    with rig.sessions() as s:
        cred = s.scalars(
            select(CommunityCredential).where(CommunityCredential.person_id.is_not(None)).limit(1)
        ).one()
    (gate_id,) = rig.pick("gate_face")
    gate = rig.device(gate_id)
    gate.send(
        "access",
        [
            {"credentialId": cred.credential_id, "direction": "out", "dateObserved": local_iso(1)},
            {"credentialId": "VISITOR-01", "direction": "in", "dateObserved": local_iso()},
        ],
    )
    rows = wait_for(
        lambda: len(got := rig.rows(AccessEvent, AccessEvent.device_id == gate_id)) == 2 and got,
        message="the two passages",
    )
    by_cred = {r.credential_id: r for r in rows}
    assert by_cred[cred.credential_id].person_id == cred.person_id
    assert by_cred[cred.credential_id].direction == "出"
    assert by_cred["VISITOR-01"].person_id is None
    assert rig.rows(Device, Device.id == gate_id, Device.status == "online")
    # A face image is refused by name and never stored; a smoke detector sends no passages.
    gate.send(
        "access",
        {"credentialId": "CR1", "direction": "in", "dateObserved": local_iso(), "faceImage": "x"},
    )
    (smoke_id,) = rig.pick("smoke_detector", offset=4)
    rig.device(smoke_id).send("access", {"credentialId": "CR10000001", "direction": "in"})
    q = wait_for(
        lambda: (got := quarantined(rig)).get("biometric") and got.get("unsupported") and got,
        message="biometric and unsupported in quarantine",
    )
    assert q["biometric"][0].device_id == gate_id and q["unsupported"][0].device_id == smoke_id
    assert len(rig.rows(AccessEvent)) == 2
    stats = rig.ingest.stats()
    assert stats["accepted"]["access"] == 1
    assert stats["quarantined"]["biometric"] == 1


def detection(camera_id: str, floor: int | None = 12, n: int = 1) -> dict:
    data: dict = {"trigger": "thrownObject"}
    if floor is not None:
        data["floorEstimate"] = floor
    return {
        "id": f"{camera_id}-det-{n}",
        "type": "Alert",
        "category": "security",
        "subCategory": "suspiciousAction",
        "severity": "high",
        "dateIssued": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "alertSource": camera_id,
        "data": data,
    }


def test_a_cameras_thrown_object_detection_opens_an_event(rig: Rig, twin_dir: Path) -> None:
    rig.load_community(twin_dir)
    facade = rig.devices.filter(pl.col("role") == "facade").sort("device_id")
    camera_id = facade["device_id"][0]
    building = facade["building_id"][0]
    cam = rig.device(camera_id)
    body = detection(camera_id)
    cam.send("alert", body)
    cam.send("alert", body)  # a QoS 1 redelivery: the same detection, the same event
    events = wait_for(
        lambda: rig.rows(Event, Event.category == "public_order.thrown_object"),
        message="the thrown-object event",
    )
    e = events[0]
    assert e.channel == "device" and e.entities == [{"kind": "device", "id": camera_id}]
    assert "约 12 层" in e.title and "调取" in e.description
    assert f"{camera_id}" in e.description
    wait_for(lambda: rig.ingest.stats()["accepted"].get("alert") == 2)
    assert len(rig.rows(Event, Event.category == "public_order.thrown_object")) == 1
    assert not quarantined(rig)
    assert rig.rows(Device, Device.id == camera_id, Device.building_id == building)
    # An estimate above the roof is taken as the top floors, and says so.
    other = facade["device_id"][1]
    rig.device(other).send("alert", detection(other, floor=99, n=2))
    high = wait_for(
        lambda: rig.rows(Event, Event.category == "public_order.thrown_object", Event.id != e.id),
        message="the above-the-roof detection's event",
    )
    assert "高于楼顶" in high[0].description
    # A detection that is not one (a fire trigger from a camera) is quarantined as schema.
    cam.send("alert", {**body, "id": "x-2", "data": {"trigger": "smoke"}})
    q = wait_for(lambda: quarantined(rig).get("schema"), message="the schema refusal")
    assert q[0].device_id == camera_id and "trigger" in q[0].detail
