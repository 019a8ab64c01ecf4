"""/api/devices: the registry in one's area, the ingest's counters (quarantine per reason),
and a worker's verdict that a fire alarm was false. See docs/DEVICES.md."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.api.deps import db, privacy, requires
from zhili.devices.alarms import mark_false_alarm
from zhili.devices.models import Device, DeviceAlarm, DeviceQuarantineCount
from zhili.devices.topics import KINDS
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.scope import scope_condition

router = APIRouter(prefix="/api", tags=["devices"])


@router.get("/devices")
def devices(
    kind: str | None = Query(default=None, pattern="^(" + "|".join(KINDS) + ")$"),
    status: str | None = Query(default=None, pattern=r"^(new|online|offline)$"),
    area: str | None = Query(default=None, pattern=r"^\d{6,15}$"),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    session: Session = Depends(db),
    current: Actor = Depends(requires("device.list", "GET /api/devices")),
) -> dict:
    """Devices in the caller's area (no personal data: a smoke detector names its flat's
    house id, not who lives there)."""
    where = [scope_condition(current, Device.area_code)]
    if area:
        where.append(Device.area_code.startswith(area, autoescape=True))
    if kind:
        where.append(Device.kind == kind)
    if status:
        where.append(Device.status == status)
    total = session.scalar(select(func.count()).select_from(Device).where(*where))
    rows = session.scalars(
        select(Device).where(*where).order_by(Device.id).limit(limit).offset(offset)
    ).all()
    return {
        "total": total,
        "items": [
            {
                "id": d.id,
                "kind": d.kind,
                "vendor": d.vendor,
                "area_code": d.area_code,
                "compound_id": d.compound_id,
                "building_id": d.building_id,
                "house_id": d.house_id,
                "lon": d.lon,
                "lat": d.lat,
                "power_cut": d.power_cut,
                "status": d.status,
                "last_seen": d.last_seen.isoformat() + "Z" if d.last_seen else None,
                "state": d.state,
            }
            for d in rows
        ],
    }


@router.get("/devices/stats")
def device_stats(
    request: Request,
    session: Session = Depends(db),
    _: Actor = Depends(requires("device.stats", "GET /api/devices/stats")),
) -> dict:
    """Counts only: devices by kind and status, alarms, quarantined payloads per reason (the
    payloads themselves stay with the operator: `zhili devices quarantine`)."""
    by_status = session.execute(
        select(Device.kind, Device.status, func.count()).group_by(Device.kind, Device.status)
    ).all()
    quarantine = session.execute(
        select(DeviceQuarantineCount.reason, func.sum(DeviceQuarantineCount.count)).group_by(
            DeviceQuarantineCount.reason
        )
    ).all()
    alarms = session.execute(
        select(DeviceAlarm.trigger, DeviceAlarm.false_alarm, func.count()).group_by(
            DeviceAlarm.trigger, DeviceAlarm.false_alarm
        )
    ).all()
    service = getattr(request.app.state, "devices", None)
    return {
        "devices": [{"kind": k, "status": s, "count": n} for k, s, n in by_status],
        "quarantined": {r: int(n) for r, n in quarantine},
        "alarms": [{"trigger": t, "false_alarm": f, "count": n} for t, f, n in alarms],
        "ingest": service.stats() if service is not None else {"broker": "not started"},
    }


class FalseAlarmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=500, description="What it was (steam, a test…)")


@router.post("/devices/alarms/{code}/false-alarm")
def false_alarm(
    code: str,
    request: Request,
    body: FalseAlarmIn | None = None,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(
        requires("device.false_alarm", "POST /api/devices/alarms/{code}/false-alarm")
    ),
) -> dict:
    """The worker on site found no fire: the event's device alarms are recorded as false."""
    state = request.app.state.events.state
    verdict = mark_false_alarm(session, state, ctx, current, code, (body or FalseAlarmIn()).note)
    return verdict.as_dict()
