"""`zhili simulate`: the twin's devices as live MQTT traffic at a set rate.

Devices are picked from the registry (every kind represented), and each connects as itself
with its own password from `zhili devices load`'s secrets file, so the broker's credentials
and topic rules apply as they would to the real ones. They publish what traffic.py makes
(telemetry and heartbeats at QoS 0; passages, alarms and acknowledgements at QoS 1), at
`rate` messages a second in all, paced every 5 ms; every `alarm_every` seconds one fire
device raises an alarm (or a façade camera sees a thrown object), and devices that can cut
their power execute the hub's command and acknowledge it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.community.models import CommunityCredential
from zhili.devices.topics import COMMAND, topic
from zhili.devices.traffic import FIRE, GATES, SimDevice, Traffic, ack
from zhili.devices.wire import MqttError, WireClient

log = logging.getLogger(__name__)
TICK = 0.005
POWER_CUT = ("ev_charger", "distribution_box")


@dataclass
class SimResult:
    devices: int = 0
    refused: int = 0
    no_secret: int = 0
    sent: Counter = field(default_factory=Counter)
    alarms: int = 0
    commands: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        total = sum(self.sent.values())
        return {
            "devices": self.devices,
            "refused": self.refused,
            "no_secret": self.no_secret,
            "messages": total,
            "by_channel": dict(self.sent),
            "alarms": self.alarms,
            "commands_acknowledged": self.commands,
            "seconds": round(self.seconds, 2),
            "msgs_per_s": round(total / self.seconds, 1) if self.seconds else 0.0,
        }


def pick(fleet: list[SimDevice], n: int, seed: int = 7) -> list[SimDevice]:
    """Up to n devices, every kind in proportion (and at least a few of each)."""
    if n >= len(fleet):
        return list(fleet)
    rng = random.Random(seed)
    by_kind: dict[str, list[SimDevice]] = {}
    for d in fleet:
        by_kind.setdefault(d.kind, []).append(d)
    out: list[SimDevice] = []
    for devs in by_kind.values():
        share = max(min(len(devs), max(2, n // 20)), round(n * len(devs) / len(fleet)))
        out += rng.sample(devs, min(len(devs), share))
    rng.shuffle(out)
    return out[:n] if len(out) > n else out


def gate_credentials(session: Session, devices: list[SimDevice]) -> dict[str, list[str]]:
    """The registered credentials of the compounds whose gates are simulated."""
    compounds = sorted({d.compound_id for d in devices if d.kind in GATES and d.compound_id})
    out: dict[str, list[str]] = {}
    for i in range(0, len(compounds), 500):
        rows = session.execute(
            select(CommunityCredential.compound_id, CommunityCredential.credential_id).where(
                CommunityCredential.compound_id.in_(compounds[i : i + 500])
            )
        ).all()
        for c, cred in rows:
            out.setdefault(c, []).append(cred)
    return out


async def connect_all(
    host: str,
    port: int,
    root: str,
    devices: list[SimDevice],
    secrets: dict[str, str],
    result: SimResult,
    on_command: Callable[[SimDevice, WireClient, bytes], None] | None = None,
    concurrency: int = 50,
) -> list[tuple[SimDevice, WireClient]]:
    """Each device connected as itself; those that can cut power listen for commands."""
    gate = asyncio.Semaphore(concurrency)

    async def one(dev: SimDevice) -> tuple[SimDevice, WireClient] | None:
        secret = secrets.get(dev.id)
        if secret is None:
            result.no_secret += 1
            return None
        async with gate:
            holder: list[WireClient] = []

            def message(t: str, payload: bytes) -> None:
                if on_command is not None and holder:
                    on_command(dev, holder[0], payload)

            try:
                client = await WireClient.open(
                    host, port, f"sim-{dev.id}", dev.id, secret, on_message=message
                )
                holder.append(client)
                if dev.kind in POWER_CUT and on_command is not None:
                    await client.subscribe(topic(root, dev.kind, dev.id, COMMAND), qos=1)
            except (OSError, MqttError, TimeoutError) as exc:
                result.refused += 1
                log.warning("simulated %s not connected: %s", dev.id, exc)
                return None
            return dev, client

    got = await asyncio.gather(*(one(d) for d in devices))
    return [g for g in got if g is not None]


async def simulate(
    host: str,
    port: int,
    root: str,
    devices: list[SimDevice],
    secrets: dict[str, str],
    traffic: Traffic,
    rate: float,
    duration: float,
    alarm_every: float = 60.0,
    seed: int = 7,
) -> SimResult:
    result = SimResult()

    def on_command(dev: SimDevice, client: WireClient, payload: bytes) -> None:
        try:
            client.publish(topic(root, dev.kind, dev.id, "cmd/ack"), ack(payload), qos=1)
            result.commands += 1
            result.sent["cmd/ack"] += 1
        except (MqttError, ValueError) as exc:
            log.warning("simulated %s could not acknowledge: %s", dev.id, exc)

    clients = await connect_all(host, port, root, devices, secrets, result, on_command)
    result.devices = len(clients)
    if not clients:
        return result
    rng = random.Random(seed)
    alarming = [c for c in clients if c[0].kind in FIRE or c[0].role == "facade"]
    t0 = time.monotonic()
    sent, next_alarm = 0, t0 + alarm_every if alarm_every > 0 else float("inf")
    while (now := time.monotonic()) - t0 < duration:
        due = int(rate * (now - t0)) - sent
        for _ in range(max(0, due)):
            dev, client = clients[rng.randrange(len(clients))]
            m = traffic.next(dev)
            try:
                client.publish(traffic.topic(root, m), m.payload, m.qos)
            except MqttError:
                continue  # a dropped connection: its device stays silent, as a real one
            result.sent[m.channel] += 1
        sent += max(0, due)
        if now >= next_alarm and alarming:
            next_alarm += alarm_every
            dev, client = alarming[rng.randrange(len(alarming))]
            m = traffic.alarm(dev)
            client.publish(traffic.topic(root, m), m.payload, 1)
            result.sent["alert"] += 1
            result.alarms += 1
        if sent % 1000 < max(1, due):
            await asyncio.gather(*(c.drain() for _, c in clients))
        await asyncio.sleep(TICK)
    result.seconds = time.monotonic() - t0
    # Let the last alarms' commands arrive and be acknowledged, and the broker take them.
    await asyncio.sleep(1.0 if result.alarms else 0.0)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(c.unacked > 0 for _, c in clients):
        await asyncio.sleep(0.05)
    for _, c in clients:
        c.close()
    return result


__all__ = ["SimResult", "connect_all", "gate_credentials", "pick", "simulate"]
