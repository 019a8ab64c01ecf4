"""A worker's verdict on a fire alarm: false (a burnt pan, steam, dust, a test). Recorded on
the alarm and on the event's timeline; a device that keeps raising false alarms gets a
maintenance task."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhili.devices.fire import GATEWAY
from zhili.devices.ingest import _event_in
from zhili.devices.maintenance import false_alarm_alert
from zhili.devices.models import Device, DeviceAlarm
from zhili.events.intake import prepare, write_batch
from zhili.events.models import Event, EventAction
from zhili.events.runtime import HubState
from zhili.events.workflow import load_event
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import NotFound


@dataclass(frozen=True)
class Verdict:
    event: str
    alarms: int
    devices: list[str]
    maintenance: list[str]  # maintenance events raised for devices that keep misfiring

    def as_dict(self) -> dict:
        return self.__dict__


def mark_false_alarm(
    session: Session,
    state: HubState,
    ctx: PrivacyContext,
    actor: Actor,
    code: str,
    note: str,
    now: dt.datetime | None = None,
) -> Verdict:
    """Mark the alarms behind an event (and the reports merged into it) as false."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    event = load_event(session, actor, code, "device.false_alarm")  # 404 outside one's area
    merged = select(Event.id).where(Event.incident_id == event.id)
    alarms = session.scalars(
        select(DeviceAlarm).where(
            or_(DeviceAlarm.event_id == event.id, DeviceAlarm.event_id.in_(merged))
        )
    ).all()
    if not alarms:
        raise NotFound(f"event {code} was not raised by a device alarm")
    for a in alarms:
        a.false_alarm = True
        a.false_alarm_by = actor.id
        a.false_alarm_at = now
        a.false_alarm_note = note or None
    session.add(
        EventAction(
            event_id=event.id,
            at=now,
            actor=actor.id,
            action="note",
            from_state=event.state,
            to_state=event.state,
            level=event.level,
            department=event.department,
            note=f"误报：{note}".rstrip("："),
        )
    )
    ctx.audit(
        session, actor, "device.false_alarm", resource=f"event:{code}", result_count=len(alarms)
    )
    session.flush()
    devices = sorted({a.device_id for a in alarms})
    drafts = []
    for dev in session.scalars(select(Device).where(Device.id.in_(devices))):
        alert = false_alarm_alert(session, dev, now)
        if alert is not None:
            drafts.append(prepare(state, GATEWAY, _event_in(alert), "device", alert.key))
    raised = [o.code for o in write_batch(session, state, ctx, drafts, now=now)] if drafts else []
    session.commit()
    return Verdict(code, len(alarms), devices, raised)
