"""Ingest against both brokers: schema validation, quarantine with reasons and counts,
credentials refused, heartbeats → maintenance tasks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from tests.devices.conftest import Rig, wait_for

from zhili.devices.models import Device, DeviceQuarantine, DeviceQuarantineCount
from zhili.events.models import Event, EventAction, EventTimer


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def heartbeat(device_id: str, state: str = "ok", battery: float = 0.9) -> dict:
    return {
        "id": device_id,
        "type": "Device",
        "category": ["sensor"],
        "controlledProperty": ["smoke"],
        "deviceState": state,
        "batteryLevel": battery,
        "dateLastValueReported": now_iso(),
    }


def quarantined(rig: Rig) -> dict[str, list[DeviceQuarantine]]:
    out: dict[str, list[DeviceQuarantine]] = {}
    for q in rig.rows(DeviceQuarantine):
        out.setdefault(q.reason, []).append(q)
    return out


def test_valid_heartbeat_marks_the_device_online(rig: Rig) -> None:
    (dev_id,) = rig.pick("smoke_detector")
    dev = rig.device(dev_id)
    dev.send("heartbeat", heartbeat(dev_id))
    d = wait_for(
        lambda: next(iter(rig.rows(Device, Device.id == dev_id, Device.status == "online")), None),
        message="the heartbeat",
    )
    assert d.last_heartbeat is not None and d.state["deviceState"] == "ok"
    assert not rig.rows(DeviceQuarantine)


def test_malformed_payloads_are_quarantined_with_reasons_and_counted(rig: Rig) -> None:
    smoke, box = rig.pick("smoke_detector")[0], rig.pick("distribution_box")[0]
    dev = rig.device(smoke)
    dev.send("heartbeat", None, raw=b"{not json")  # bad JSON
    dev.send("heartbeat", {**heartbeat(smoke), "batteryLevel": 7})  # schema: battery in 0..1
    dev.send("heartbeat", heartbeat("SMK-9999999"))  # names another device
    dev.send("alert", {"id": "a1", "type": "Alert"})  # schema: required fields missing
    raw = rig.raw_client()
    topic = f"{rig.root}/v1/smoke_detector/SMK-7777777/heartbeat"  # not in the registry
    raw.publish(topic, b'{"id": "SMK-7777777"}', qos=1).wait_for_publish(5)
    wrong_kind = f"{rig.root}/v1/ev_charger/{box}/heartbeat"  # a box on a charger's topic
    raw.publish(wrong_kind, b"{}", qos=1).wait_for_publish(5)
    raw.publish(f"{rig.root}/v2/x", b"{}", qos=1).wait_for_publish(5)  # not our layout
    want = {"bad_json": 1, "schema": 2, "device_mismatch": 1, "unknown_device": 1, "wrong_topic": 2}
    got = wait_for(
        lambda: (q := quarantined(rig)) and {k: len(v) for k, v in q.items()} == want and q,
        message=f"quarantine {want}",
    )
    assert "batteryLevel" in got["schema"][0].detail or "batteryLevel" in got["schema"][1].detail
    assert got["bad_json"][0].payload == b"{not json"
    assert got["unknown_device"][0].device_id == "SMK-7777777"
    with rig.sessions() as s:
        counts = dict(
            s.execute(select(DeviceQuarantineCount.reason, DeviceQuarantineCount.count)).all()
        )
    assert counts == want
    assert rig.ingest.stats()["quarantined"] == want
    # Nothing of it touched the registry.
    assert not rig.rows(Device, Device.status == "online")


def test_credentials_refused_on_the_embedded_broker(rig: Rig) -> None:
    if rig.broker_kind != "amqtt":
        return  # the shared test Mosquitto allows anonymous clients; see test_mosquitto_files
    smoke, other = rig.pick("smoke_detector", 2)
    _, reason = rig.connect(smoke, "wrong password")
    assert reason.is_failure
    _, reason = rig.connect("SMK-7777777", "whatever")  # unknown device
    assert reason.is_failure
    _, reason = rig.connect(None, None)  # anonymous
    assert reason.is_failure
    _, reason = rig.connect(smoke, rig.secrets[smoke], clean=False)  # persistent session
    assert reason.is_failure
    # The right password works; publishing as another device is refused, and quarantined.
    dev = rig.device(smoke)
    dev.client.publish(f"{rig.root}/v1/smoke_detector/{other}/heartbeat", b"{}", qos=1)
    q = wait_for(lambda: quarantined(rig).get("topic_denied"), message="topic_denied")
    assert q[0].device_id == smoke
    assert not rig.rows(Device, Device.id == other, Device.status == "online")


def test_missing_heartbeats_raise_a_maintenance_task(rig: Rig) -> None:
    (dev_id,) = rig.pick("smoke_detector", offset=1)
    dev = rig.device(dev_id)
    dev.send("heartbeat", heartbeat(dev_id))
    wait_for(lambda: rig.rows(Device, Device.id == dev_id, Device.status == "online"))
    # Then silence: after two missed periods the supervisor raises the task, once.
    events = wait_for(
        lambda: rig.rows(Event, Event.category == "maintenance.device_offline"),
        message="the device_offline task",
    )
    assert len(events) == 1
    e = events[0]
    assert dev_id in e.title and e.channel == "model" and "心跳周期" in e.description
    assert e.entities == [{"kind": "device", "id": dev_id}]
    assert rig.rows(Device, Device.id == dev_id, Device.status == "offline")
    # Back online: the outage's task closes itself, its timers stop, the timeline says why.
    dev.send("heartbeat", heartbeat(dev_id))
    wait_for(
        lambda: rig.rows(Event, Event.id == e.id, Event.state == "completed"),
        message="the outage's task closed",
    )
    (resolved,) = rig.rows(
        EventAction, EventAction.event_id == e.id, EventAction.action == "resolve"
    )
    assert resolved.to_state == "completed" and "恢复在线" in resolved.note
    assert resolved.actor == "detector:devices.offline"
    assert not rig.rows(EventTimer, EventTimer.event_id == e.id, EventTimer.done_at.is_(None))
    # Silent again: a new outage is a new task, open.
    wait_for(
        lambda: len(rig.rows(Event, Event.category == "maintenance.device_offline")) == 2,
        message="the second outage",
    )
    second = rig.rows(Event, Event.category == "maintenance.device_offline", Event.id != e.id)
    assert second[0].state != "completed"


def test_a_faulty_heartbeat_raises_a_fault_task_once_a_day(rig: Rig) -> None:
    (dev_id,) = rig.pick("smoke_detector", offset=2)
    dev = rig.device(dev_id)
    for _ in range(3):
        dev.send("heartbeat", heartbeat(dev_id, state="ok", battery=0.05))
    events = wait_for(lambda: rig.rows(Event, Event.category == "maintenance.device_fault"))
    wait_for(lambda: rig.ingest.stats()["accepted"].get("heartbeat") == 3)
    assert len(rig.rows(Event, Event.category == "maintenance.device_fault")) == 1
    assert "电量低" in events[0].title and events[0].channel == "device"
