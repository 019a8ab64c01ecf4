"""S4 end to end on both brokers: an alarm cuts the power where the device can (QoS 1,
idempotent command, acknowledged, retried, escalated), opens a fire event through intake on
the device channel, and the hub dispatches the nearest on-duty worker."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from tests.devices.conftest import Rig, wait_for

from zhili.devices.alarms import mark_false_alarm
from zhili.devices.commands import ACKED, EXPIRED, FAILED
from zhili.devices.models import DeviceAlarm, DeviceCommand
from zhili.events.models import Event, EventAction
from zhili.privacy.actors import Actor


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def alert(device_id: str, trigger: str, sub: str = "buildingFire", **data) -> dict:
    return {
        "id": f"{device_id}-{uuid.uuid4().hex[:8]}",
        "type": "Alert",
        "category": "security",
        "subCategory": sub,
        "severity": "critical",
        "dateIssued": now_iso(),
        "alertSource": device_id,
        "description": "测试告警",
        "data": {"trigger": trigger, **data},
    }


def event_of(rig: Rig, alarm: DeviceAlarm) -> Event:
    return rig.rows(Event, Event.id == alarm.event_id)[0]


def test_smoke_alarm_opens_an_event_and_dispatches_the_nearest_worker(rig: Rig) -> None:
    (dev_id,) = rig.pick("smoke_detector", offset=3)
    grid = rig.add_worker(dev_id)
    dev = rig.device(dev_id)
    body = alert(dev_id, "smoke")
    dev.send("alert", body)
    dev.send("alert", body)  # a QoS 1 redelivery: the same alarm, not a second one
    alarm = wait_for(
        lambda: next(iter(rig.rows(DeviceAlarm, DeviceAlarm.event_id.is_not(None))), None)
    )
    wait_for(lambda: rig.ingest.stats()["accepted"].get("alert") == 2)
    assert len(rig.rows(DeviceAlarm)) == 1 and len(rig.rows(Event, Event.family == "fire")) == 1
    assert alarm.power_cut == "none" and alarm.command_id is None  # a detector cannot cut
    assert not dev.commands
    e = event_of(rig, alarm)
    assert e.category == "fire.smoke_alarm" and e.channel == "device"
    assert e.reporter_actor == "gateway:mqtt"
    assert e.area_code == grid and e.level == "grid"
    assert e.state == "dispatched" and e.worker_id == 1  # the nearest on-duty worker
    assert {"kind": "device", "id": dev_id} in e.entities
    assert "设备不支持远程断电" in e.description


def test_charging_pile_alarm_cuts_power_and_the_device_acknowledges(rig: Rig) -> None:
    (dev_id,) = rig.pick("ev_charger")
    rig.add_worker(dev_id)
    dev = rig.device(dev_id, ack="ok")
    dev.send("alert", alert(dev_id, "chargerSmoke"))
    cmd = wait_for(
        lambda: next(iter(rig.rows(DeviceCommand, DeviceCommand.state == ACKED)), None),
        message="the acknowledged power cut",
    )
    assert dev.commands and dev.commands[0]["id"] == cmd.id
    assert dev.commands[0]["command"] == "powerCut" and dev.commands[0]["refDevice"] == dev_id
    # Resends (if the ack was slower than the first retry) carry the same id: executed once.
    assert {c["id"] for c in dev.commands} == {cmd.id}
    assert cmd.acked_at is not None and cmd.escalated_at is None
    alarm = wait_for(
        lambda: next(iter(rig.rows(DeviceAlarm, DeviceAlarm.event_id.is_not(None))), None)
    )
    assert alarm.power_cut == "command" and alarm.command_id == cmd.id
    e = event_of(rig, alarm)
    assert e.category == "fire.charging_pile" and e.state == "dispatched" and e.worker_id == 1
    assert cmd.id in e.description
    assert e.severity == 4  # "critical"


def test_a_device_that_cut_power_itself_gets_no_command(rig: Rig) -> None:
    (dev_id,) = rig.pick("ev_charger", offset=1)
    dev = rig.device(dev_id)
    dev.send("alert", alert(dev_id, "chargerSmoke", powerCutByDevice=True))
    alarm = wait_for(
        lambda: next(iter(rig.rows(DeviceAlarm, DeviceAlarm.event_id.is_not(None))), None)
    )
    assert alarm.power_cut == "device" and not rig.rows(DeviceCommand)
    assert "设备已自行断电" in event_of(rig, alarm).description


def test_power_cut_never_acknowledged_is_retried_then_escalated(rig: Rig) -> None:
    (dev_id,) = rig.pick("distribution_box")
    rig.add_worker(dev_id)
    dev = rig.device(dev_id, ack=None)  # receives, never confirms
    # The hub's own threshold watch: 85 °C at a distribution box is an alarm (≥ 80).
    reading = {
        "id": f"m-{uuid.uuid4().hex[:6]}",
        "type": "DeviceMeasurement",
        "refDevice": dev_id,
        "controlledProperty": "temperature",
        "numValue": 85.0,
        "unit": "CEL",
        "dateObserved": now_iso(),
    }
    dev.send(
        "measurement",
        [reading, {**reading, "controlledProperty": "current", "numValue": 20.0, "unit": "AMP"}],
    )
    cmd = wait_for(
        lambda: next(iter(rig.rows(DeviceCommand, DeviceCommand.escalated_at.is_not(None))), None),
        message="the escalation",
    )
    assert cmd.state == EXPIRED and cmd.attempts == rig.settings.attempts
    # Every send carried the same command id (the device executes it once).
    wait_for(lambda: len(dev.commands) >= rig.settings.attempts)
    assert {c["id"] for c in dev.commands} == {cmd.id}
    assert sorted(c["attempt"] for c in dev.commands)[:3] == [1, 2, 3]
    alarm = rig.rows(DeviceAlarm)[0]
    assert alarm.trigger == "overTemperature" and alarm.level == "alarm"
    assert alarm.values == {"temperature": 85.0}
    e = event_of(rig, alarm)
    assert e.category == "fire.distribution_box"
    assert e.severity == 4 and e.level == "village"  # the micro fire station takes over
    notes = [a.note for a in rig.rows(EventAction, EventAction.event_id == e.id)]
    assert any("未获设备确认" in n for n in notes), notes
    # A late acknowledgement is still recorded, and told on the timeline.
    dev.client.publish(
        dev.topic("cmd/ack"),
        f'{{"id": "{cmd.id}", "type": "DeviceCommandAck", "status": "ok"}}'.encode(),
        qos=1,
    )
    wait_for(lambda: rig.rows(DeviceCommand, DeviceCommand.state == ACKED))
    wait_for(
        lambda: any(
            "迟到确认" in a.note for a in rig.rows(EventAction, EventAction.event_id == e.id)
        )
    )


def test_a_failed_power_cut_is_escalated_at_once(rig: Rig) -> None:
    # Slow resends: on a loaded machine the fast ones could expire the command before the
    # device's "failed" arrives, and the escalation would be for no answer instead.
    rig.ingest.settings = dataclasses.replace(rig.ingest.settings, retry_s=30.0)
    (dev_id,) = rig.pick("ev_charger", offset=2)
    dev = rig.device(dev_id, ack="failed")
    dev.send("alert", alert(dev_id, "overTemperature", sub="fireRisk"))
    cmd = wait_for(
        lambda: next(iter(rig.rows(DeviceCommand, DeviceCommand.escalated_at.is_not(None))), None)
    )
    assert cmd.state == FAILED and cmd.result == "relay stuck"
    alarm = rig.rows(DeviceAlarm)[0]
    e = event_of(rig, alarm)
    assert e.severity == 4
    assert any("断电失败" in a.note for a in rig.rows(EventAction, EventAction.event_id == e.id))


def test_warnings_open_an_event_without_cutting_power(rig: Rig) -> None:
    (dev_id,) = rig.pick("distribution_box", offset=1)
    dev = rig.device(dev_id)
    reading = {
        "id": "m1",
        "type": "DeviceMeasurement",
        "refDevice": dev_id,
        "controlledProperty": "leakageCurrent",
        "numValue": 320,
        "unit": "4K",
        "dateObserved": now_iso(),
    }
    for _ in range(3):  # one warning, not three
        dev.send("measurement", reading)
    alarm = wait_for(
        lambda: next(iter(rig.rows(DeviceAlarm, DeviceAlarm.event_id.is_not(None))), None)
    )
    wait_for(lambda: rig.ingest.stats()["accepted"].get("measurement") == 3)
    assert len(rig.rows(DeviceAlarm)) == 1
    assert alarm.level == "warning" and alarm.power_cut == "skipped"
    assert not rig.rows(DeviceCommand) and event_of(rig, alarm).severity == 2


def test_false_alarms_are_recorded_and_a_misfiring_device_gets_a_task(rig: Rig) -> None:
    if rig.broker_kind != "amqtt":
        return  # the worker's verdict does not involve the broker
    (dev_id,) = rig.pick("smoke_detector", offset=4)
    grid = rig.add_worker(dev_id)
    dev = rig.device(dev_id)
    worker = Actor(id="user:w1", role="grid_worker", scope=grid)
    codes = []
    for i in range(3):
        dev.send("alert", alert(dev_id, "smoke"))
        alarm = wait_for(
            lambda i=i: (
                len(rig.rows(DeviceAlarm, DeviceAlarm.event_id.is_not(None))) == i + 1
                and rig.rows(DeviceAlarm, DeviceAlarm.event_id.is_not(None))[-1]
            )
        )
        code = event_of(rig, alarm).code
        with rig.sessions() as s:
            e = s.query(Event).filter(Event.code == code).one()
            target = e.code if e.incident_id is None else s.get(Event, e.incident_id).code
            verdict = mark_false_alarm(s, rig.state, rig.ctx, worker, target, "厨房油烟")
        codes.append(verdict)
    assert all(a.false_alarm and a.false_alarm_by == "user:w1" for a in rig.rows(DeviceAlarm))
    assert codes[-1].maintenance  # the third false alarm in 30 days
    task = rig.rows(Event, Event.category == "maintenance.device_fault")
    assert len(task) == 1 and "频繁误报" in task[0].title
    first = rig.rows(Event, Event.code == codes[0].event)[0]
    assert any(
        "误报：厨房油烟" in a.note for a in rig.rows(EventAction, EventAction.event_id == first.id)
    )
