"""What the twin's devices say in a day, as payloads on their topics (docs/DEVICES.md): the
simulator's and the MQTT benchmark's traffic.

Each device speaks as its kind does: smoke detectors beat and report smoke density; charging
piles and distribution boxes report current, temperature (and leakage) as one list of
measurements, below the hub's thresholds; gates send passages of the credentials registered
at their compound (a credential id, a direction, a time: never a face or a fingerprint);
cameras beat. Alarms are separate (`alarm`): a fire device's Alert, or a façade camera's
thrown-object detection. Times are now: the hub takes them as live traffic.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.devices.models import Device
from zhili.devices.topics import topic

FIRE = ("smoke_detector", "ev_charger", "distribution_box")
GATES = ("gate_face", "gate_plate")
HEARTBEAT_SHARE = {  # of a device's messages; the rest are measurements or passages
    "smoke_detector": 0.5,
    "ev_charger": 0.25,
    "distribution_box": 0.25,
    "gate_face": 0.2,
    "gate_plate": 0.2,
    "camera": 1.0,
}
PROPERTIES = {
    "smoke_detector": ["sensor"],
    "ev_charger": ["sensor", "actuator", "meter"],
    "distribution_box": ["sensor", "actuator", "meter"],
    "gate_face": ["sensor"],
    "gate_plate": ["sensor"],
    "camera": ["multimedia"],
}
CONTROLLED = {
    "smoke_detector": ["smoke"],
    "ev_charger": ["current", "temperature"],
    "distribution_box": ["current", "temperature", "leakageCurrent"],
    "gate_face": ["occupancy"],
    "gate_plate": ["occupancy"],
    "camera": ["image"],
}
TRIGGERS = {
    "smoke_detector": ["smoke"],
    "ev_charger": ["chargerSmoke", "overTemperature"],
    "distribution_box": ["overCurrent", "overTemperature", "leakage"],
}


@dataclass(frozen=True)
class SimDevice:
    id: str
    kind: str
    compound_id: str | None
    role: str | None
    building_id: str | None
    floors: int | None = None  # a façade camera's highest floor in view


@dataclass
class Message:
    device: SimDevice
    channel: str
    payload: bytes
    qos: int


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fleet(session: Session) -> list[SimDevice]:
    """Every active device of the registry."""
    rows = session.execute(
        select(
            Device.id,
            Device.kind,
            Device.compound_id,
            Device.role,
            Device.building_id,
            Device.floor_to,
        )
        .where(Device.active)
        .order_by(Device.id)
    ).all()
    return [SimDevice(*r) for r in rows]


@dataclass
class Traffic:
    """Payloads for the given devices. `credentials`: compound → credential ids registered
    there (the gates' passages); a gate whose compound has none only beats."""

    credentials: dict[str, list[str]] = field(default_factory=dict)
    seed: int = 7
    _n: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def topic(self, root: str, m: Message) -> str:
        return topic(root, m.device.kind, m.device.id, m.channel)

    def next(self, dev: SimDevice) -> Message:
        """The device's next ordinary message (telemetry, a heartbeat or passages)."""
        r = self.rng.random()
        if dev.kind in GATES and r >= HEARTBEAT_SHARE[dev.kind]:
            creds = self.credentials.get(dev.compound_id or "")
            if creds:
                return Message(dev, "access", self._passages(dev, creds), 1)
        if r < HEARTBEAT_SHARE[dev.kind] or dev.kind in GATES or dev.kind == "camera":
            return Message(dev, "heartbeat", self.heartbeat(dev), 0)
        return Message(dev, "measurement", self._measurement(dev), 0)

    def heartbeat(self, dev: SimDevice, state: str = "ok") -> bytes:
        body = {
            "id": dev.id,
            "type": "Device",
            "category": PROPERTIES[dev.kind],
            "controlledProperty": CONTROLLED[dev.kind],
            "deviceState": state,
            "rssi": -self.rng.randint(55, 95),
            "dateLastValueReported": now_iso(),
        }
        if dev.kind == "smoke_detector":
            body["batteryLevel"] = round(self.rng.uniform(0.3, 1.0), 2)
        return orjson.dumps(body)

    def _measurement(self, dev: SimDevice) -> bytes:
        at, rng = now_iso(), self.rng
        self._n += 1
        values = {
            "smoke_detector": [("smoke", round(rng.uniform(0.0, 2.0), 2), "P1")],
            "ev_charger": [
                ("current", round(rng.uniform(0.0, 30.0), 1), "AMP"),
                ("temperature", round(rng.uniform(20.0, 45.0), 1), "CEL"),
            ],
            "distribution_box": [
                ("current", round(rng.uniform(3.0, 45.0), 1), "AMP"),
                ("temperature", round(rng.uniform(20.0, 50.0), 1), "CEL"),
                ("leakageCurrent", round(rng.uniform(5.0, 120.0)), "4K"),
            ],
        }[dev.kind]
        return orjson.dumps(
            [
                {
                    "id": f"{dev.id}:{prop}:{self._n}",
                    "type": "DeviceMeasurement",
                    "refDevice": dev.id,
                    "controlledProperty": prop,
                    "numValue": value,
                    "unit": unit,
                    "dateObserved": at,
                }
                for prop, value, unit in values
            ]
        )

    def _passages(self, dev: SimDevice, creds: list[str]) -> bytes:
        local = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)
        method = "plate" if dev.kind == "gate_plate" else self.rng.choice(["face", "card"])
        return orjson.dumps(
            [
                {
                    "credentialId": self.rng.choice(creds),
                    "direction": self.rng.choice(["in", "out"]),
                    "dateObserved": local.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
                    "method": method,
                }
                for _ in range(self.rng.choice([1, 1, 1, 2, 3]))
            ]
        )

    def alarm(self, dev: SimDevice, alarm_id: str | None = None) -> Message:
        """A fire device's Alert, or a façade camera's thrown-object detection (QoS 1)."""
        self._n += 1
        alarm_id = alarm_id or f"{dev.id}-sim-{self.seed}-{self._n}"
        if dev.kind == "camera":
            body = {
                "id": alarm_id,
                "type": "Alert",
                "category": "security",
                "subCategory": "suspiciousAction",
                "severity": "high",
                "dateIssued": now_iso(),
                "alertSource": dev.id,
                "data": {
                    "trigger": "thrownObject",
                    "floorEstimate": self.rng.randint(1, max(1, dev.floors or 6)),
                },
            }
            return Message(dev, "alert", orjson.dumps(body), 1)
        trigger = self.rng.choice(TRIGGERS[dev.kind])
        body = {
            "id": alarm_id,
            "type": "Alert",
            "category": "security",
            "subCategory": "buildingFire" if "moke" in trigger else "fireRisk",
            "severity": "critical" if "moke" in trigger else "high",
            "dateIssued": now_iso(),
            "alertSource": dev.id,
            "description": "模拟告警（zhili simulate）",
            "data": {"trigger": trigger, "powerCutByDevice": False},
        }
        return Message(dev, "alert", orjson.dumps(body), 1)


def ack(command: bytes) -> bytes:
    """A device's acknowledgement of the hub's command: executed."""
    body = orjson.loads(command)
    return orjson.dumps({"id": body["id"], "type": "DeviceCommandAck", "status": "ok"})


__all__ = ["FIRE", "GATES", "Message", "SimDevice", "Traffic", "ack", "fleet"]
