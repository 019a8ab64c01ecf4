"""Fire (S4): what makes an alarm, and the event it opens.

An alarm comes from a device's own Alert (a smoke detector, an EV charging pile's smoke alarm,
a distribution box's warning), or from the hub comparing a measurement with the thresholds in
data/thresholds.yaml. Either way it becomes one `DeviceAlarm`, a power-cut command where the
device supports it and has not cut by itself (commands.py), and one event of the fire family,
reported through the hub's intake on the device channel by the device gateway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from zhili.devices.registry import DeviceInfo
from zhili.events.schemas import EntityRef, EventIn
from zhili.privacy.actors import Actor

_DATA = Path(__file__).parent / "data"
# The device gateway the hub itself runs: MQTT alarms reach intake as its reports (channel
# "device", permission device.report across the district).
GATEWAY = Actor(id="gateway:mqtt", role="device_gateway", scope="330110", display_name="设备网关")
FIRE_KINDS = {
    "smoke_detector": "fire.smoke_alarm",
    "ev_charger": "fire.charging_pile",
    "distribution_box": "fire.distribution_box",
}
TRIGGER_ZH = {
    "smoke": "烟雾报警",
    "chargerSmoke": "充电桩烟雾报警",
    "overCurrent": "过流",
    "overTemperature": "超温",
    "leakage": "漏电",
}
_SEVERITY = {"informational": 1, "low": 2, "medium": 2, "high": 3, "critical": 4}


@dataclass(frozen=True)
class Threshold:
    prop: str
    trigger: str
    warning: float
    alarm: float

    def level(self, value: float) -> str | None:
        if value >= self.alarm:
            return "alarm"
        if value >= self.warning:
            return "warning"
        return None


@dataclass(frozen=True)
class Thresholds:
    by_kind: dict[str, dict[str, Threshold]]
    realarm: dt.timedelta


@cache
def thresholds(path: Path | None = None) -> Thresholds:
    raw = yaml.safe_load((path or _DATA / "thresholds.yaml").read_text("utf-8"))
    by_kind = {
        kind: {
            prop: Threshold(prop, t["trigger"], float(t["warning"]), float(t["alarm"]))
            for prop, t in props.items()
        }
        for kind, props in raw.items()
        if isinstance(props, dict)
    }
    return Thresholds(by_kind, dt.timedelta(minutes=int(raw["realarm_minutes"])))


@dataclass
class AlarmIn:
    """An alarm before it is written: from a device's Alert or from a threshold."""

    device: DeviceInfo
    source_id: str
    trigger: str
    level: str  # warning | alarm
    issued_at: dt.datetime
    severity: int
    values: dict[str, float] = field(default_factory=dict)
    cut_by_device: bool = False
    description: str = ""

    @property
    def category(self) -> str:
        return FIRE_KINDS[self.device.kind]

    def power_cut_plan(self) -> str:
        """none: the device cannot; device: it already did; command: we send one; skipped: a
        warning does not cut anybody's power."""
        if not self.device.power_cut:
            return "none"
        if self.cut_by_device:
            return "device"
        return "command" if self.level == "alarm" else "skipped"


def from_alert(device: DeviceInfo, alert: dict[str, Any], issued_at: dt.datetime) -> AlarmIn:
    data = alert.get("data") or {}
    severity = _SEVERITY.get(alert.get("severity", "high"), 3)
    level = "alarm" if alert["subCategory"] == "buildingFire" or severity >= 3 else "warning"
    return AlarmIn(
        device=device,
        source_id=str(alert["id"]),
        trigger=data["trigger"],
        level=level,
        issued_at=issued_at,
        severity=max(severity, 3) if level == "alarm" else 2,
        values={k: float(v) for k, v in (data.get("values") or {}).items()},
        cut_by_device=bool(data.get("powerCutByDevice", False)),
        description=str(alert.get("description", ""))[:500],
    )


class ThresholdWatch:
    """The hub's own watch on measurements: one alarm per crossing, again only when the level
    rises or `realarm` has passed (a box at 85 °C reporting every 10 s is one alarm)."""

    def __init__(self, limits: Thresholds | None = None) -> None:
        self.limits = limits or thresholds()
        self._raised: dict[tuple[str, str], tuple[str, dt.datetime]] = {}

    def check(
        self,
        device: DeviceInfo,
        prop: str,
        value: float,
        observed: dt.datetime,
        pending: dict[tuple[str, str], tuple[str, dt.datetime]],
    ) -> AlarmIn | None:
        """An alarm if this value starts or raises an episode. What it raised goes to
        `pending` (the batch's), kept by `remember` only once the batch is committed."""
        t = self.limits.by_kind.get(device.kind, {}).get(prop)
        if t is None:
            return None
        level = t.level(value)
        if level is None:
            return None
        key = (device.id, t.trigger)
        prev = pending.get(key) or self._raised.get(key)
        if prev is not None:
            prev_level, at = prev
            rises = prev_level == "warning" and level == "alarm"
            if not rises and observed - at < self.limits.realarm:
                return None
        pending[key] = (level, observed)
        limit = t.alarm if level == "alarm" else t.warning
        return AlarmIn(
            device=device,
            source_id=f"zhili:{t.trigger}:{level}:{observed:%Y%m%dT%H%M%S}",
            trigger=t.trigger,
            level=level,
            issued_at=observed,
            severity=3 if level == "alarm" else 2,
            values={prop: value},
            description=f"{prop} {value:g} ≥ {limit:g}",
        )

    def remember(self, pending: dict[tuple[str, str], tuple[str, dt.datetime]]) -> None:
        self._raised.update(pending)
        if len(self._raised) > 200_000:  # old episodes: forget the oldest half
            keep = sorted(self._raised.items(), key=lambda kv: kv[1][1])[100_000:]
            self._raised = dict(keep)


def event_for(alarm: AlarmIn, power_cut: str, command_id: str | None) -> EventIn:
    d = alarm.device
    cut = {
        "none": "设备不支持远程断电",
        "device": "设备已自行断电",
        "command": f"已下发断电指令 {command_id}",
        "skipped": "预警级别，未断电",
    }[power_cut]
    lines = [
        f"触发：{TRIGGER_ZH.get(alarm.trigger, alarm.trigger)}（{alarm.trigger}，{alarm.level}）",
        f"设备：{d.id}",
        f"断电：{cut}",
    ]
    if alarm.values:
        lines.append("数值：" + "，".join(f"{k}={v:g}" for k, v in sorted(alarm.values.items())))
    if alarm.description:
        lines.append(f"说明：{alarm.description}")
    lines.append(f"告警编号：{alarm.source_id}")
    entities = [EntityRef(kind="device", id=d.id)]
    if d.house_id:
        entities.append(EntityRef(kind="house", id=d.house_id))
    return EventIn(
        category=alarm.category,
        title=f"{TRIGGER_ZH.get(alarm.trigger, alarm.trigger)} {d.id}"[:128],
        description="\n".join(lines),
        lon=d.lon,
        lat=d.lat,
        area_code=d.area_code,
        severity=alarm.severity,
        reported_at=alarm.issued_at,
        external_id=alarm.source_id[:64],
        entities=entities,
    )
