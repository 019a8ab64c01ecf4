"""Benchmark: the device ingest's own costs, without a broker; prints one JSON line.

- validation_us: µs per payload (heartbeat; measurement with a location) for `jsonschema` on
  the flattened profile (what explains invalid payloads) and `jsonschema-rs` (what checks);
- process_us_per_msg_batch_<n>: µs per message of `DeviceIngest.process` on 30,000 messages of
  `zhili simulate`'s traffic from 200 devices of a tiny twin, on SQLite, in batches of n.

.venv/bin/python benchmarks/bench_device_ingest.py [--messages 30000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from zhili.community.channels import attach
from zhili.community.load import load_twin as load_community
from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.devices import validation
from zhili.devices.config import EXTERNAL, MqttSettings
from zhili.devices.ingest import DeviceIngest, Message
from zhili.devices.link import utcnow
from zhili.devices.registry import load_devices
from zhili.devices.simulator import gate_credentials, pick
from zhili.devices.traffic import Traffic, fleet
from zhili.events.dispatch import load_index
from zhili.events.runtime import HubState
from zhili.geo import get_layout
from zhili.privacy.context import PrivacyContext
from zhili.twin.generate import generate
from zhili.twin.spec import TwinSpec

HEARTBEAT = {
    "id": "SMK-0000001",
    "type": "Device",
    "category": ["sensor"],
    "controlledProperty": ["smoke"],
    "deviceState": "ok",
    "batteryLevel": 0.87,
    "rssi": -71,
    "dateLastValueReported": "2019-03-01T08:00:00Z",
}
MEASUREMENT = {
    "id": "DBX-0000003:1551427200",
    "type": "DeviceMeasurement",
    "refDevice": "DBX-0000003",
    "controlledProperty": "leakageCurrent",
    "numValue": 320,
    "unit": "4K",
    "dateObserved": "2019-03-01T16:00:00+08:00",
    "location": {"type": "Point", "coordinates": [120.1, 30.3]},
}


def _us(fn, n: int = 5000) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return round((time.perf_counter() - t) / n * 1e6, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=30_000)
    args = ap.parse_args()
    out: dict = {"bench": "device_ingest"}
    for name, channel, body in (
        ("heartbeat", "heartbeat", HEARTBEAT),
        ("measurement", "measurement", MEASUREMENT),
    ):
        slow, fast = validation.validator(channel), validation.compiled(channel)
        out[f"validation_us_jsonschema_{name}"] = _us(lambda: slow.is_valid(body))  # noqa: B023
        out[f"validation_us_jsonschema_rs_{name}"] = _us(lambda: fast.is_valid(body))  # noqa: B023
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        generate(TwinSpec(scale=0.002, seed=7), tmp / "twin")
        for batch in (25, 125, 500):
            url = f"sqlite:///{tmp / f'z{batch}.db'}"
            upgrade(url)
            sessions = make_sessionmaker(make_engine(url))
            with sessions() as s:
                load_devices(s, tmp / "twin", tmp / f"secrets{batch}.csv")
                s.commit()
                load_community(s, tmp / "twin")
            with sessions() as s:
                chosen = pick(fleet(s), 200, 11)
                credentials = gate_credentials(s, chosen)
                state = HubState(layout=get_layout(), dispatcher=load_index(s))
                state.book(s)
            settings = MqttSettings(mode=EXTERNAL, root="zb")
            ingest = DeviceIngest(sessions, state, PrivacyContext(keys_dir=tmp / "k"), settings)
            attach(ingest)
            with sessions() as s:
                ingest.cache.load(s)
            traffic = Traffic(credentials, 11)
            msgs = []
            for i in range(args.messages):
                m = traffic.next(chosen[i % len(chosen)])
                msgs.append(Message(traffic.topic("zb", m), m.payload, utcnow()))
            t = time.perf_counter()
            for i in range(0, len(msgs), batch):
                ingest.process(msgs[i : i + batch])
            us = (time.perf_counter() - t) / len(msgs) * 1e6
            out[f"process_us_per_msg_batch_{batch}"] = round(us, 1)
            out["quarantined"] = dict(ingest.stats()["quarantined"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
