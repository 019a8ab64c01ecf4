"""Commands to devices: sent QoS 1 with an idempotent id, acknowledged on …/cmd/ack, resent
with exponential backoff, and escalated when the device never confirms or reports failure.

The id is the device's idempotency key: a device executes a command id once and acknowledges
every copy. The hub keeps every command in `device_commands`, so a resend survives a lost
packet, a device that was offline, a clean-session broker and a restart of the hub.
Escalation: the event goes to the highest severity and, from the grid, up to the village
(the community's micro fire station must cut the power by hand); its worker and department
are told.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.devices.config import MqttSettings
from zhili.devices.fire import GATEWAY
from zhili.devices.models import Device, DeviceAlarm, DeviceCommand
from zhili.devices.topics import topic
from zhili.events.lifecycle import OPEN_STATES
from zhili.events.models import Event, EventAction
from zhili.events.notify import notify
from zhili.events.runtime import HubState
from zhili.events.workflow import escalate_to
from zhili.privacy.context import PrivacyContext

log = logging.getLogger(__name__)
SENT, ACKED, FAILED, EXPIRED = "sent", "acked", "failed", "expired"
ESCALATOR = "system:devices"


@dataclass(frozen=True)
class Outgoing:
    """A command to publish once its row is committed."""

    topic: str
    payload: bytes


def new_command(
    session: Session,
    settings: MqttSettings,
    device_id: str,
    kind: str,
    alarm: DeviceAlarm,
    now: dt.datetime,
) -> tuple[DeviceCommand, Outgoing]:
    cmd = DeviceCommand(
        id=str(uuid.uuid4()),
        device_id=device_id,
        alarm_id=alarm.id,
        command="powerCut",
        state=SENT,
        attempts=1,
        created_at=now,
        sent_at=now,
        next_try_at=now + dt.timedelta(seconds=settings.retry_s),
    )
    session.add(cmd)
    return cmd, outgoing(settings, cmd, kind, alarm.source_id, now)


def outgoing(
    settings: MqttSettings, cmd: DeviceCommand, kind: str, alert: str | None, now: dt.datetime
) -> Outgoing:
    body: dict[str, Any] = {
        "id": cmd.id,
        "type": "DeviceCommand",
        "command": cmd.command,
        "refDevice": cmd.device_id,
        "dateIssued": now.isoformat(timespec="milliseconds") + "Z",
        "attempt": cmd.attempts,
    }
    if alert:
        body["refAlert"] = alert
    return Outgoing(topic(settings.root, kind, cmd.device_id, "cmd"), orjson.dumps(body))


def acknowledge(
    session: Session, device_id: str, ack: dict[str, Any], now: dt.datetime
) -> str | None:
    """Apply a device's acknowledgement; returns a quarantine reason if it names no command of
    this device. A repeated acknowledgement changes nothing."""
    cmd = session.get(DeviceCommand, ack["id"])
    if cmd is None or cmd.device_id != device_id:
        return "unknown_command"
    if cmd.state == ACKED:
        return None
    late = cmd.state == EXPIRED
    cmd.acked_at = now
    cmd.result = (ack.get("info") or ack["status"])[:64]
    cmd.state = ACKED if ack["status"] == "ok" else FAILED
    if late and cmd.state == ACKED and cmd.alarm_id is not None:
        # Escalated already; the people on their way should know the power is off now.
        alarm = session.get(DeviceAlarm, cmd.alarm_id)
        event = _target_event(session, alarm)
        if event is not None:
            _note(session, event, f"设备迟到确认：断电指令 {cmd.id} 已执行", now)
    return None


def due(
    session: Session, settings: MqttSettings, now: dt.datetime
) -> tuple[list[Outgoing], list[DeviceCommand]]:
    """Resend what is due (backoff doubles each time); give up after `attempts` sends.
    Returns what to publish after commit, and the commands to escalate."""
    out: list[Outgoing] = []
    rows = session.scalars(
        select(DeviceCommand)
        .where(DeviceCommand.state == SENT, DeviceCommand.next_try_at <= now)
        .order_by(DeviceCommand.next_try_at)
        .limit(500)
    ).all()
    kinds = _kinds(session, {c.device_id for c in rows})
    for cmd in rows:
        if cmd.attempts >= settings.attempts:
            cmd.state = EXPIRED
            cmd.next_try_at = None
            continue
        cmd.attempts += 1
        cmd.sent_at = now
        cmd.next_try_at = now + dt.timedelta(seconds=settings.retry_s * 2 ** (cmd.attempts - 1))
        alert = session.scalar(select(DeviceAlarm.source_id).where(DeviceAlarm.id == cmd.alarm_id))
        out.append(outgoing(settings, cmd, kinds[cmd.device_id], alert, now))
    pending = session.scalars(
        select(DeviceCommand)
        .where(DeviceCommand.state.in_((EXPIRED, FAILED)), DeviceCommand.escalated_at.is_(None))
        .limit(500)
    ).all()
    return out, list(pending)


def _kinds(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Device.id, Device.kind).where(Device.id.in_(ids))).all())


def escalate(
    session: Session,
    state: HubState,
    ctx: PrivacyContext,
    cmd: DeviceCommand,
    now: dt.datetime,
) -> bool:
    """Escalate the event of a command that failed or was never acknowledged. False if its
    event is not written yet (tried again at the next tick)."""
    alarm = session.get(DeviceAlarm, cmd.alarm_id) if cmd.alarm_id is not None else None
    event = _target_event(session, alarm)
    if alarm is not None and event is None:
        return False
    cmd.escalated_at = now
    if event is None:
        return True
    if cmd.state == FAILED:
        why = f"设备报告断电失败（{cmd.result}）"
    else:
        why = f"断电指令发送 {cmd.attempts} 次均未获设备确认"
    note = f"{why}：请立即到场人工断电（指令 {cmd.id}）"
    event.severity = 4
    event.updated_at = now
    if event.state in OPEN_STATES and event.level == "grid":
        # The grid worker alone cannot cut a building's power: the village's micro fire
        # station takes over, with the village's deadlines.
        escalate_to(session, state, event, "village", ESCALATOR, now, note)
    else:
        _note(session, event, note, now, action="urge")
        notify(
            session,
            event.id,
            f"dept:{event.department}",
            "urge",
            f"督办 {event.code}：{note}",
            now,
            event.state,
        )
    if event.worker_id is not None:
        notify(
            session,
            event.id,
            f"worker:{event.worker_id}",
            "urge",
            f"{event.code}：{note}",
            now,
            event.state,
        )
    ctx.audit(
        session, GATEWAY, "device.command_escalated", resource=f"event:{event.code}", result_count=1
    )
    log.warning(
        "power cut %s on %s not confirmed: event %s escalated", cmd.id, cmd.device_id, event.code
    )
    return True


def _target_event(session: Session, alarm: DeviceAlarm | None) -> Event | None:
    """The alarm's event, or the incident it was merged into (where the people are)."""
    if alarm is None or alarm.event_id is None:
        return None
    event = session.get(Event, alarm.event_id)
    if event is not None and event.incident_id is not None:
        event = session.get(Event, event.incident_id)
    return event


def _note(
    session: Session, event: Event, note: str, now: dt.datetime, action: str = "note"
) -> None:
    session.add(
        EventAction(
            event_id=event.id,
            at=now,
            actor=ESCALATOR,
            action=action,
            from_state=event.state,
            to_state=event.state,
            level=event.level,
            department=event.department,
            note=note,
        )
    )


Publish = Callable[[Outgoing], None]
