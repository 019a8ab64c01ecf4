"""Maintenance tasks (family maintenance 设备运维): a device that stopped sending (no message
for `missed` heartbeat periods) and a device that reports a fault, a low battery or
tampering, or keeps raising false alarms. They are raised through the detector interface
(events.detectors), with reasons, once per outage or fault and day. A device that comes back
closes its outage's task itself (`resolve_returned`): nobody needs to go and look any more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from zhili.devices.models import Device, DeviceAlarm
from zhili.devices.registry import DeviceInfo
from zhili.events.detectors import Alert, detector_actor
from zhili.events.lifecycle import COMPLETED, OPEN_STATES
from zhili.events.models import Event, EventAction
from zhili.events.notify import notify
from zhili.events.timers import finish
from zhili.privacy.context import PrivacyContext

KIND_ZH = {
    "smoke_detector": "烟感",
    "ev_charger": "充电桩",
    "distribution_box": "配电箱",
    "gate_face": "人脸门禁",
    "gate_plate": "车牌道闸",
    "camera": "摄像机",
}
STATE_ZH = {
    "fault": "设备故障",
    "lowBattery": "电量低",
    "tamper": "被拆或遮挡",
    "powerCut": "已断电",
}
LOW_BATTERY = 0.15
FALSE_ALARMS = 3  # within FALSE_ALARM_WINDOW: the device needs a look
FALSE_ALARM_WINDOW = dt.timedelta(days=30)


OFFLINE = "maintenance.device_offline"
OFFLINE_DETECTOR = "devices.offline"


class OfflineDetector:
    """Devices seen before that sent nothing for `offline_after`: marked offline, one task per
    outage (the key carries when it was last seen)."""

    name = OFFLINE_DETECTOR

    def __init__(self, heartbeat_s: float, missed: int) -> None:
        self.heartbeat_s, self.missed = heartbeat_s, missed

    def detect(self, session: Session, now: dt.datetime) -> Iterator[Alert]:
        cutoff = now - dt.timedelta(seconds=self.heartbeat_s * self.missed)
        rows = session.execute(
            select(
                Device.id, Device.kind, Device.area_code, Device.lon, Device.lat, Device.last_seen
            )
            .where(Device.status == "online", Device.active, Device.last_seen < cutoff)
            .order_by(Device.last_seen)
            .limit(2000)
        ).all()
        for r in rows:
            yield Alert(
                key=f"offline:{r.id}:{r.last_seen:%Y%m%dT%H%M%S}",
                category=OFFLINE,
                area_code=r.area_code,
                title=f"设备离线 {KIND_ZH.get(r.kind, r.kind)} {r.id}",
                reasons=(
                    f"最后一次消息 {r.last_seen:%Y-%m-%d %H:%M:%S} UTC",
                    f"心跳周期 {self.heartbeat_s:g} 秒，已超过 {self.missed} 个周期无消息",
                ),
                severity=2 if r.kind in ("smoke_detector", "ev_charger", "distribution_box") else 1,
                lon=r.lon,
                lat=r.lat,
                entities=(("device", r.id),),
            )
        if rows:  # committed with the events by run_detector
            session.execute(
                update(Device).where(Device.id.in_([r.id for r in rows])).values(status="offline")
            )


def returned(session: Session, seen: dict[str, dt.datetime]) -> dict[str, dt.datetime]:
    """Of the devices just heard from, those marked offline: they are back (and when)."""
    ids = sorted(seen)
    back: list[str] = []
    for i in range(0, len(ids), 500):
        back += session.scalars(
            select(Device.id).where(Device.id.in_(ids[i : i + 500]), Device.status == "offline")
        ).all()
    return {d: seen[d] for d in back}


def resolve_returned(
    session: Session, ctx: PrivacyContext, back: dict[str, dt.datetime], now: dt.datetime
) -> int:
    """Close the open outage tasks of devices that are back: the task's cause is gone. Its
    timers stop, the timeline says when the device came back, the worker it went to is told,
    and the act is audited. A task already replied to by a worker is closed the same way: the
    device is heard from again, whatever was done. Returns the tasks closed."""
    if not back:
        return 0
    actor = detector_actor(OFFLINE_DETECTOR)
    rows = session.scalars(
        select(Event).where(
            Event.reporter_actor == actor.id,
            Event.category == OFFLINE,
            Event.state.in_(OPEN_STATES),
            or_(
                *(Event.idempotency_key.startswith(f"offline:{d}:", autoescape=True) for d in back)
            ),
        )
    ).all()
    for e in rows:
        device = e.idempotency_key.split(":")[1]  # type: ignore[union-attr]
        note = (
            f"设备 {device} 已于 {back[device]:%Y-%m-%d %H:%M:%S} UTC 恢复在线，任务自动办结"
            "（the device is back online）"
        )
        before = e.state
        e.state, e.completed_at, e.updated_at = COMPLETED, now, now
        e.overdue = e.overdue or (e.due_at is not None and now > e.due_at)
        finish(session, e.id, now)
        session.add(
            EventAction(
                event_id=e.id,
                at=now,
                actor=actor.id,
                action="resolve",
                from_state=before,
                to_state=COMPLETED,
                level=e.level,
                department=e.department,
                note=note,
            )
        )
        if e.worker_id is not None:
            notify(
                session, e.id, f"worker:{e.worker_id}", "state", f"{e.code}：{note}", now, e.state
            )
        ctx.audit(session, actor, "event.resolve", resource=f"event:{e.code}", result_count=1)
    return len(rows)


def fault_alert(
    device: DeviceInfo, state: str, battery: float | None, day: dt.date
) -> Alert | None:
    """A heartbeat's deviceState or battery that needs someone: once per device, state and day."""
    if state == "ok" and (battery is None or battery < 0 or battery >= LOW_BATTERY):
        return None
    if state == "powerCut":
        return None  # the state after our own command, not a fault
    what = state if state != "ok" else "lowBattery"
    reasons = [f"设备报告状态 {what}（{STATE_ZH.get(what, what)}）"]
    if battery is not None and battery >= 0:
        reasons.append(f"电量 {battery:.0%}")
    return Alert(
        key=f"fault:{device.id}:{what}:{day:%Y%m%d}",
        category="maintenance.device_fault",
        area_code=device.area_code,
        title=f"设备故障 {KIND_ZH.get(device.kind, device.kind)} {device.id}："
        f"{STATE_ZH.get(what, what)}",
        reasons=tuple(reasons),
        severity=2 if device.kind in ("smoke_detector", "ev_charger", "distribution_box") else 1,
        lon=device.lon,
        lat=device.lat,
        entities=(("device", device.id),),
    )


def false_alarm_alert(session: Session, device: Device, now: dt.datetime) -> Alert | None:
    """A device with FALSE_ALARMS false alarms in the window is probably faulty (or dusty)."""
    n = session.scalar(
        select(func.count())
        .select_from(DeviceAlarm)
        .where(
            DeviceAlarm.device_id == device.id,
            DeviceAlarm.false_alarm,
            DeviceAlarm.received_at >= now - FALSE_ALARM_WINDOW,
        )
    )
    if not n or n < FALSE_ALARMS:
        return None
    return Alert(
        key=f"falsealarms:{device.id}:{now:%Y%m%d}",
        category="maintenance.device_fault",
        area_code=device.area_code,
        title=f"设备频繁误报 {KIND_ZH.get(device.kind, device.kind)} {device.id}",
        reasons=(f"{FALSE_ALARM_WINDOW.days} 天内误报 {n} 次，请检修或清洁",),
        severity=1,
        lon=device.lon,
        lat=device.lat,
        entities=(("device", device.id),),
    )
