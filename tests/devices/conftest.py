"""Devices against a real broker: the embedded amqtt (in its own process, as the server runs
it) on a free port, and Mosquitto at 127.0.0.1:1883 (required in CI). Each test gets its own
SQLite database, its own topic root (tests run in parallel against one Mosquitto) and fast
clocks (heartbeat, retries)."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import polars as pl
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import need
from tests.privacy.conftest import PG_ADMIN, _pg_reachable

from zhili.community.channels import attach as attach_community
from zhili.community.load import load_twin as load_community
from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.devices.broker_process import BrokerProcess
from zhili.devices.config import EMBEDDED, EXTERNAL, HUB_USER, MqttSettings
from zhili.devices.credentials import hash_secret, new_secret
from zhili.devices.ingest import DeviceIngest
from zhili.devices.registry import load_devices, read_secrets
from zhili.events.dispatch import WorkerIndex
from zhili.events.models import Worker
from zhili.events.runtime import HubState
from zhili.geo import get_layout
from zhili.privacy.context import PrivacyContext

MOSQUITTO = ("127.0.0.1", 1883)
WAIT = 20.0  # seconds a test waits for something to happen (no timing is asserted)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(what: Callable[[], Any], timeout: float = WAIT, message: str = "") -> Any:
    """Poll until `what()` is truthy; fail with the message after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {message or what}")
        time.sleep(0.05)


@dataclass
class FakeDevice:
    """A device on the broker: publishes as itself, receives its commands, acks if told to."""

    device_id: str
    kind: str
    root: str
    client: mqtt.Client
    ack: str | None = "ok"  # "ok", "failed", or None: never acknowledge
    commands: list[dict] = field(default_factory=list)

    def topic(self, channel: str) -> str:
        return f"{self.root}/v1/{self.kind}/{self.device_id}/{channel}"

    def send(self, channel: str, body: Any, raw: bytes | None = None) -> None:
        payload = raw if raw is not None else json.dumps(body).encode()
        self.client.publish(self.topic(channel), payload, qos=1).wait_for_publish(5)

    def on_command(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        body = json.loads(msg.payload)
        self.commands.append(body)
        if self.ack is not None:
            ack = {"id": body["id"], "type": "DeviceCommandAck", "status": self.ack}
            if self.ack == "failed":
                ack["info"] = "relay stuck"
            client.publish(self.topic("cmd/ack"), json.dumps(ack).encode(), qos=1)


@dataclass
class Rig:
    broker_kind: str  # amqtt | mosquitto
    sessions: sessionmaker[Session]
    state: HubState
    ctx: PrivacyContext
    ingest: DeviceIngest
    settings: MqttSettings
    secrets: dict[str, str]
    devices: pl.DataFrame
    broker: BrokerProcess | None
    hub_password: str | None
    clients: list[mqtt.Client] = field(default_factory=list)

    @property
    def root(self) -> str:
        return self.settings.root

    def connect(
        self, username: str | None, password: str | None, clean: bool = True
    ) -> tuple[mqtt.Client, Any]:
        """A client connected (or refused): (client, CONNACK reason)."""
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"t-{uuid.uuid4().hex[:10]}",
            clean_session=clean,
            protocol=mqtt.MQTTv311,
        )
        if username is not None:
            c.username_pw_set(username, password)
        done = threading.Event()
        result: list[Any] = []

        def connected(client, userdata, flags, reason, properties) -> None:  # type: ignore[no-untyped-def]
            result.append(reason)
            done.set()

        c.on_connect = connected
        c.connect(self.settings.host, self.settings.port, keepalive=30)
        c.loop_start()
        self.clients.append(c)
        if not done.wait(10):
            pytest.fail("no CONNACK")
        return c, result[0]

    def raw_client(self) -> mqtt.Client:
        """A client that may publish anything under the root (to inject malformed traffic):
        the hub's account on the embedded broker, anonymous on the test Mosquitto."""
        if self.broker_kind == "amqtt":
            c, reason = self.connect(HUB_USER, self.hub_password)
        else:
            c, reason = self.connect(None, None)
        assert not reason.is_failure, reason
        return c

    def device(self, device_id: str, ack: str | None = "ok") -> FakeDevice:
        kind = self.devices.filter(pl.col("device_id") == device_id)["kind"][0]
        user = device_id if self.broker_kind == "amqtt" else None
        c, reason = self.connect(user, self.secrets[device_id] if user else None)
        assert not reason.is_failure, reason
        dev = FakeDevice(device_id, kind, self.root, c, ack)
        subscribed = threading.Event()
        c.on_subscribe = lambda *a: subscribed.set()
        c.on_message = dev.on_command
        c.subscribe(dev.topic("cmd"), qos=1)
        assert subscribed.wait(5)
        return dev

    def pick(self, kind: str, n: int = 1, offset: int = 0) -> list[str]:
        """Devices of a kind in different compounds (fire reports of one place merge)."""
        df = self.devices.filter(pl.col("kind") == kind).unique("compound_id", keep="first")
        return df.sort("device_id")["device_id"][offset : offset + n].to_list()

    def add_worker(self, device_id: str, worker_id: int = 1) -> str:
        """An on-duty worker in the grid where the device's events land; returns the grid."""
        row = self.devices.filter(pl.col("device_id") == device_id).row(0, named=True)
        grid = self.state.locate(row["lon"], row["lat"])
        assert grid is not None
        with self.sessions() as s:
            s.add(
                Worker(
                    id=worker_id,
                    name=f"网格员{worker_id}",
                    kind="full_time",
                    role="网格员",
                    grid_code=grid,
                    on_duty=True,
                    lon=row["lon"] + 0.001,
                    lat=row["lat"],
                )
            )
            s.commit()
        self.state.dispatcher.update(
            worker_id, grid_code=grid, lon=row["lon"] + 0.001, lat=row["lat"], on_duty=True
        )  # type: ignore[attr-defined]
        return grid

    def load_community(self, twin: Path) -> None:
        """Places, QR codes and the gates' credential register (community load-twin)."""
        with self.sessions() as s:
            load_community(s, twin)

    def rows(self, model: Any, *where: Any) -> list[Any]:
        with self.sessions() as s:
            return list(s.scalars(select(model).where(*where)).all())


@contextmanager
def _database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend != "postgresql":
        yield f"sqlite:///{tmp_path / 'zhili.db'}"
        return
    need(_pg_reachable(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    name = f"zhili_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["amqtt", "mosquitto", "amqtt+postgresql"])
def rig(request: pytest.FixtureRequest, tmp_path: Path, twin_dir: Path) -> Iterator[Rig]:
    """The embedded broker and Mosquitto on SQLite; the embedded broker on PostgreSQL too."""
    kind, _, backend = request.param.partition("+")
    if kind == "mosquitto":
        need(reachable(*MOSQUITTO), "Mosquitto is not reachable at 127.0.0.1:1883")
    with _database(backend or "sqlite", tmp_path) as url:
        yield from _rig(kind, url, tmp_path, twin_dir)


def _rig(kind: str, url: str, tmp_path: Path, twin_dir: Path) -> Iterator[Rig]:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        load_devices(s, twin_dir, tmp_path / "secrets.csv")
        s.commit()
    secrets = read_secrets(tmp_path / "secrets.csv")
    devices = pl.read_parquet(twin_dir / "truth" / "devices.parquet")
    state = HubState(layout=get_layout(), dispatcher=WorkerIndex.from_rows([]))
    ctx = PrivacyContext(keys_dir=tmp_path / "keys")
    root = f"zt{uuid.uuid4().hex[:8]}"
    fast = {
        "root": root,
        "heartbeat_s": 0.5,
        "missed_heartbeats": 2,
        "retry_s": 0.2,
        "attempts": 3,
        "tick_s": 0.1,
    }
    broker, hub_password = None, None
    if kind == "amqtt":
        hub_password = new_secret()
        port = free_port()  # the embedded broker in its own process, as `zhili serve` runs it
        broker = BrokerProcess(url, {HUB_USER: hash_secret(hub_password)}, root, port=port)
        broker.start()
        settings = MqttSettings(
            mode=EMBEDDED, port=port, username=HUB_USER, password=hub_password, **fast
        )  # type: ignore[arg-type]
    else:
        settings = MqttSettings(mode=EXTERNAL, host=MOSQUITTO[0], port=MOSQUITTO[1], **fast)  # type: ignore[arg-type]
    ingest = DeviceIngest(sessions, state, ctx, settings)
    attach_community(ingest)
    ingest.start()
    assert ingest.link is not None and ingest.link.subscribed.is_set()
    r = Rig(kind, sessions, state, ctx, ingest, settings, secrets, devices, broker, hub_password)
    yield r
    for c in r.clients:
        c.loop_stop()
        c.disconnect()
    ingest.stop()
    if broker is not None:
        broker.stop()
    engine.dispose()
