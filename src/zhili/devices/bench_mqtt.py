"""`zhili bench mqtt --broker amqtt|mosquitto`: device messages through a real broker.

One run, on a fresh tiny twin (scale 0.002) and a fresh SQLite database in a temporary folder:

1. the broker: the embedded amqtt in its own process (as `zhili serve` runs it), or a
   Mosquitto of our own on a free port with the password and ACL files `zhili devices
   credentials` writes; every simulated device logs in as itself;
2. the load: `devices` devices of the registry in a child process (traffic.py: heartbeats,
   measurements, gate passages), `messages` messages encoded before the clock starts;
3. **raw_broker_msgs_per_s**: those messages, publisher → broker → a plain subscriber that
   only counts them (the same MQTT client as the hub's link): the ceiling;
4. **msgs_per_s**: the same messages into the hub's ingest (topic, registry, JSON, schema,
   identity, liveness written, passages stored, thresholds watched), counted when the batch
   holding the last one has committed; both rates from the first publish to the last message;
5. **alarm_p99_ms**: for `alarm_seconds`, background telemetry at `background_rate` msg/s and
   `alarm_rate` alarms a second from fire devices: from the alarm's publish to the commit of
   its event, routed and dispatched to the nearest on-duty worker (the twin's workforce).
"""

from __future__ import annotations

import asyncio
import getpass
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from zhili.devices.topics import topic as topic_of

ROOT = "zb"
HUB_PASSWORD = "bench-hub-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError(f"the broker on port {port} did not start") from None
            time.sleep(0.1)


# -- the load, in a child process ----------------------------------------------------------


def _load(conn: Connection, port: int, devices: list, secrets: dict, credentials: dict) -> None:
    """The devices' side: connect, then do what the parent says; answer with figures."""
    asyncio.run(_load_main(conn, port, devices, secrets, credentials))


async def _load_main(
    conn: Connection, port: int, devices: list, secrets: dict, credentials: dict
) -> None:
    from zhili.devices.simulator import SimResult, connect_all
    from zhili.devices.traffic import Traffic, ack
    from zhili.devices.wire import publish_packet

    result = SimResult()

    def on_command(dev: Any, client: Any, payload: bytes) -> None:
        client.publish(topic_of(ROOT, dev.kind, dev.id, "cmd/ack"), ack(payload), qos=1)

    clients = await connect_all("127.0.0.1", port, ROOT, devices, secrets, result, on_command)
    traffic = Traffic(credentials, seed=11)
    loop = asyncio.get_running_loop()
    conn.send({"connected": len(clients), "refused": result.refused})
    packets: list[tuple[int, bytes, int]] = []
    while True:
        order = await loop.run_in_executor(None, conn.recv)
        what = order["do"]
        if what == "stop":
            break
        if what == "encode":
            pids = [0] * len(clients)
            packets = []
            channels: Counter = Counter()
            for i in range(order["messages"]):
                k = i % len(clients)
                m = traffic.next(clients[k][0])
                channels[m.channel] += 1
                pid = 0
                if m.qos:
                    pids[k] = pids[k] % 65535 + 1
                    pid = pids[k]
                packets.append(
                    (k, publish_packet(traffic.topic(ROOT, m), m.payload, m.qos, pid), m.qos)
                )
            conn.send({"encoded": len(packets), "channels": dict(channels)})
        elif what == "blast":
            started = time.time()
            for n, (k, data, qos) in enumerate(packets):
                c = clients[k][1]
                c.unacked += qos
                c.write_raw(data)
                if n % 256 == 255:
                    await asyncio.gather(*(c.drain(64 * 1024) for _, c in clients))
            await asyncio.gather(*(c.drain(0) for _, c in clients))
            conn.send({"started": started, "finished": time.time()})
        elif what == "paced":
            fire = [c for c in clients if c[0].id in order["alarming"]]
            sent: dict[str, float] = {}
            rate, alarm_rate, seconds = order["rate"], order["alarm_rate"], order["seconds"]
            t0 = time.monotonic()
            done = alarms = 0
            while (now := time.monotonic()) - t0 < seconds:
                due = int(rate * (now - t0)) - done
                for _ in range(max(0, due)):
                    dev, c = clients[done % len(clients)]
                    m = traffic.next(dev)
                    c.publish(traffic.topic(ROOT, m), m.payload, m.qos)
                    done += 1
                if int(alarm_rate * (now - t0)) > alarms:
                    dev, c = fire[alarms % len(fire)]
                    alarms += 1
                    m = traffic.alarm(dev, f"{dev.id}-bench-{alarms}")
                    sent[f"{dev.id}-bench-{alarms}"] = time.time()
                    c.publish(traffic.topic(ROOT, m), m.payload, 1)
                await asyncio.sleep(0.002)
            conn.send({"alarms": sent, "background": done})
    for _, c in clients:
        c.close()


def _cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (Linux /proc), 0 if unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the broker ----------------------------------------------------------------------------


class _Broker:
    def __init__(self, kind: str, url: str, tmp: Path) -> None:
        self.kind, self.url, self.tmp = kind, url, tmp
        self.port = free_port()
        self._proc: subprocess.Popen | None = None
        self._amqtt: Any = None

    def start(self) -> None:
        from zhili.devices.config import HUB_USER
        from zhili.devices.credentials import hash_secret

        if self.kind == "amqtt":
            from zhili.devices.broker_process import BrokerProcess

            self._amqtt = BrokerProcess(
                self.url, {HUB_USER: hash_secret(HUB_PASSWORD)}, ROOT, port=self.port
            )
            self._amqtt.start()
            return
        from zhili.db import make_engine, make_sessionmaker
        from zhili.devices.credentials import mosquitto_acl, mosquitto_password_file, write_private

        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise RuntimeError("the mosquitto binary is not installed")
        engine = make_engine(self.url)
        with make_sessionmaker(engine)() as session:
            write_private(self.tmp / "passwd", mosquitto_password_file(session, HUB_PASSWORD))
        engine.dispose()
        write_private(self.tmp / "acl", mosquitto_acl(ROOT))
        conf = self.tmp / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous false\n"
            f"password_file {self.tmp / 'passwd'}\nacl_file {self.tmp / 'acl'}\n"
            "persistence false\nmax_queued_messages 1000000\n"
            f"user {getpass.getuser()}\n"
        )
        self._proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_port(self.port, self._proc)

    @property
    def pid(self) -> int | None:
        if self._amqtt is not None:
            return self._amqtt.pid
        return self._proc.pid if self._proc is not None else None

    def stop(self) -> None:
        if self._amqtt is not None:
            self._amqtt.stop()
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)


# -- the hub's side ------------------------------------------------------------------------


class _Counter:
    """The plain subscriber: counts what arrives under the root, and when the last did."""

    def __init__(self, port: int) -> None:
        self.port, self.count, self.last = port, 0, 0.0
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def _on(self, topic: str, payload: bytes) -> None:
        self.count += 1
        self.last = time.time()

    async def _main(self) -> None:
        from zhili.devices.config import HUB_USER
        from zhili.devices.wire import WireClient

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        c = await WireClient.open(
            "127.0.0.1",
            self.port,
            "zhili-bench-counter",
            HUB_USER,
            HUB_PASSWORD,
            on_message=self._on,
        )
        await c.subscribe(f"{ROOT}/#", qos=1)
        self._ready.set()
        await self._stop.wait()
        c.close()

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the counting subscriber did not subscribe")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)


def _wait_count(get: Any, n: int, stall: float = 5.0) -> bool:
    """Wait until `get()` reaches n; False once it has not moved for `stall` seconds."""
    seen, since = get(), time.monotonic()
    while seen < n:
        time.sleep(0.01)
        now = get()
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since > stall:
            return False
    return True


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def run(
    broker: str = "amqtt",
    messages: int = 60_000,
    devices: int = 200,
    background_rate: float = 1_000.0,
    alarm_rate: float = 10.0,
    alarm_seconds: float = 20.0,
    twin: Path | None = None,
) -> dict[str, Any]:
    """One run; `twin`: a generated twin to use instead of generating the tiny one."""
    from sqlalchemy import select

    from zhili.community.channels import attach as attach_community
    from zhili.community.load import load_twin as load_community
    from zhili.db import make_engine, make_sessionmaker
    from zhili.db.migrate import upgrade
    from zhili.devices.config import EXTERNAL, HUB_USER, MqttSettings
    from zhili.devices.ingest import DeviceIngest
    from zhili.devices.models import Device
    from zhili.devices.registry import load_devices, read_secrets
    from zhili.devices.simulator import gate_credentials, pick
    from zhili.devices.traffic import FIRE, fleet
    from zhili.events.dispatch import load_index
    from zhili.events.runtime import HubState
    from zhili.events.workers import load_workers
    from zhili.geo import get_layout
    from zhili.privacy.context import PrivacyContext
    from zhili.twin.generate import generate
    from zhili.twin.spec import TwinSpec

    figures: dict[str, Any] = {"bench": "mqtt", "broker": broker, "cpus": os.cpu_count()}
    figures["load_before"] = round(os.getloadavg()[0], 2)  # others' work skews the figures
    with tempfile.TemporaryDirectory(prefix="zhili-bench-mqtt-") as name:
        tmp = Path(name)
        if twin is None:
            generate(TwinSpec(scale=0.002, seed=7), tmp / "twin")
        else:
            (tmp / "twin").symlink_to(Path(twin).resolve())
        url = f"sqlite:///{tmp / 'zhili.db'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions() as s:
            load_devices(s, tmp / "twin", tmp / "secrets.csv")
            s.commit()
            load_community(s, tmp / "twin")
            load_workers(s, tmp / "twin")
        with sessions() as s:
            chosen = pick(fleet(s), devices, seed=11)
            credentials = gate_credentials(s, chosen)
            state = HubState(layout=get_layout(), dispatcher=load_index(s))
            state.book(s)
            # Alarms from fire devices the district's map places (intake refuses a point
            # outside it; a few of the twin's devices sit on the raster's edge).
            places = s.execute(
                select(Device.id, Device.lon, Device.lat).where(
                    Device.id.in_([d.id for d in chosen if d.kind in FIRE])
                )
            ).all()
            alarming = sorted(i for i, lon, lat in places if state.locate(lon, lat) is not None)
        secrets = read_secrets(tmp / "secrets.csv")
        b = _Broker(broker, url, tmp)
        b.start()
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        load = ctx.Process(target=_load, args=(child, b.port, chosen, secrets, credentials))
        load.start()
        ingest: DeviceIngest | None = None
        try:
            hello = parent.recv()
            figures["devices"], figures["refused"] = hello["connected"], hello["refused"]
            parent.send({"do": "encode", "messages": messages})
            encoded = parent.recv()
            figures["messages"], figures["sent"] = encoded["encoded"], encoded["channels"]
            # Raw: the broker alone, to a subscriber that only counts.
            counter = _Counter(b.port)
            counter.start()
            broker_cpu = _cpu_s(b.pid)
            parent.send({"do": "blast"})
            sent = parent.recv()
            got = _wait_count(lambda: counter.count, messages)
            broker_cpu = _cpu_s(b.pid) - broker_cpu
            counter.stop()
            # CPU per message does not depend on what else the machine runs: the rate one
            # idle core would give is its inverse.
            figures["broker_cpu_us_per_msg"] = round(broker_cpu / messages * 1e6, 1)
            figures["raw_broker_msgs_per_s"] = round(
                counter.count / (counter.last - sent["started"])
            )
            figures["raw_received"] = counter.count
            figures["raw_lost"] = messages - counter.count
            figures["publish_msgs_per_s"] = round(messages / (sent["finished"] - sent["started"]))
            if not got:
                figures["raw_note"] = "not every message reached the subscriber"
            # The hub's ingest, the same messages.
            settings = MqttSettings(
                mode=EXTERNAL, port=b.port, username=HUB_USER, password=HUB_PASSWORD, root=ROOT
            )
            ingest = DeviceIngest(sessions, state, PrivacyContext(keys_dir=tmp / "keys"), settings)
            attach_community(ingest)
            marks: dict[str, float] = {}
            dispatched: set[str] = set()
            last = [0.0]

            def observe(processed: int, alarms: list) -> None:
                t = time.time()
                last[0] = t
                for _device, source_id, outcome in alarms:
                    marks[source_id] = t
                    if outcome.worker_id is not None or outcome.incident_code is not None:
                        dispatched.add(source_id)

            ingest.observer = observe
            ingest.start()
            hub_cpu = time.process_time()
            parent.send({"do": "blast"})
            sent = parent.recv()
            got = _wait_count(lambda: ingest.processed, messages)  # type: ignore[union-attr]
            hub_cpu = time.process_time() - hub_cpu
            figures["ingest_cpu_us_per_msg"] = round(hub_cpu / messages * 1e6, 1)
            figures["ingest_msgs_per_core_s"] = round(messages / hub_cpu) if hub_cpu else None
            figures["msgs_per_s"] = round(ingest.processed / (last[0] - sent["started"]))
            figures["processed"] = ingest.processed
            figures["lost"] = messages - ingest.processed
            stats = ingest.stats()
            figures["accepted"] = stats["accepted"]
            figures["quarantined"] = stats["quarantined"]
            if not got:
                figures["note"] = "not every message reached the ingest"
            # Alarms under background telemetry.
            base = ingest.processed
            parent.send(
                {
                    "do": "paced",
                    "rate": background_rate,
                    "alarm_rate": alarm_rate,
                    "seconds": alarm_seconds,
                    "alarming": alarming,
                }
            )
            paced = parent.recv()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not set(paced["alarms"]) <= set(marks):
                time.sleep(0.05)
            lat = [(marks[k] - t0) * 1000 for k, t0 in paced["alarms"].items() if k in marks]
            figures["alarm_p99_ms"] = round(_p(lat, 0.99), 1)
            figures["alarm_p50_ms"] = round(statistics.median(lat), 1) if lat else None
            figures["alarm_max_ms"] = round(max(lat), 1) if lat else None
            figures["alarms"] = len(paced["alarms"])
            figures["alarm_events"] = len(lat)
            figures["alarms_dispatched"] = len(dispatched & set(paced["alarms"]))
            figures["background_msgs_per_s"] = round(paced["background"] / alarm_seconds)
            figures["background_processed"] = ingest.processed - base
            parent.send({"do": "stop"})
        finally:
            if ingest is not None:
                ingest.stop()
            load.join(10)
            if load.is_alive():
                load.terminate()
            b.stop()
            engine.dispose()
    return figures


__all__ = ["run"]
