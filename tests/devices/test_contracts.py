"""The contracts without a broker: topics, the schemas (offline), the credentials and the
files for an external Mosquitto (checked against a real one where the binary is installed)."""

from __future__ import annotations

import getpass
import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from tests.conftest import need
from tests.devices.conftest import free_port, reachable
from typer.testing import CliRunner

from zhili.devices import topics
from zhili.devices.credentials import hash_secret, verify_secret
from zhili.devices.registry import read_secrets
from zhili.devices.validation import SCHEMAS, problem


def test_topic_layout() -> None:
    t = topics.parse("zhili", "zhili/v1/ev_charger/EVC-0000001/cmd/ack")
    assert (t.kind, t.device_id, t.channel) == ("ev_charger", "EVC-0000001", "cmd/ack")
    assert (
        topics.topic("zhili", "camera", "CAM-1", "heartbeat") == "zhili/v1/camera/CAM-1/heartbeat"
    )
    for bad in (
        "zhili/v2/camera/C/heartbeat",
        "other/v1/camera/C/heartbeat",
        "zhili/v1/toaster/C/heartbeat",
        "zhili/v1/camera/C/selfie",
        "zhili/v1/camera",
    ):
        with pytest.raises(topics.TopicError):
            topics.parse("zhili", bad)


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_schemas_resolve_inside_the_repository_only() -> None:
    ids = set()
    for path in SCHEMAS.glob("*.schema.json"):
        ids.add(json.loads(path.read_text("utf-8"))["$id"])
    for path in SCHEMAS.glob("*.schema.json"):
        for ref in _refs(json.loads(path.read_text("utf-8"))):
            # Inside the file, or one of the stored models by its $id: nothing is fetched.
            assert ref.startswith("#") or ref.split("#")[0] in ids, (path.name, ref)
    smart = {p.name for p in SCHEMAS.glob("*.schema.json") if not p.name.startswith("zhili-")}
    assert smart == {"Device.schema.json", "DeviceMeasurement.schema.json", "Alert.schema.json"}


def test_payloads_against_their_profiles() -> None:
    hb = {
        "id": "SMK-1",
        "type": "Device",
        "category": ["sensor"],
        "controlledProperty": ["smoke"],
        "deviceState": "ok",
        "batteryLevel": 0.8,
        "dateLastValueReported": "2019-03-01T08:00:00Z",
        "location": {"type": "Point", "coordinates": [120.3, 30.4]},
    }
    assert problem("heartbeat", hb) is None
    assert "batteryLevel" in problem("heartbeat", {**hb, "batteryLevel": 2})
    assert "dateLastValueReported" in problem("heartbeat", {**hb, "dateLastValueReported": "today"})
    assert problem("heartbeat", {**hb, "dateLastValueReported": "2019-03-01T08:00:00"})  # no zone
    assert "type" in problem("heartbeat", {**hb, "type": "Thing"})  # the Smart Data Model's enum
    m = {
        "id": "m1",
        "type": "DeviceMeasurement",
        "refDevice": "DBX-1",
        "controlledProperty": "current",
        "numValue": 12.5,
        "unit": "AMP",
        "dateObserved": "2019-03-01T16:00:00+08:00",
    }
    assert problem("measurement", m) is None and problem("measurement", [m, m]) is None
    assert problem("measurement", []) is not None
    assert problem("measurement", {**m, "numValue": "12"}) is not None
    assert problem("measurement", {**m, "controlledProperty": "mood"}) is not None
    a = {
        "id": "A1",
        "type": "Alert",
        "category": "security",
        "subCategory": "buildingFire",
        "severity": "critical",
        "dateIssued": "2019-03-01T08:00:00Z",
        "alertSource": "SMK-1",
        "data": {"trigger": "smoke"},
    }
    assert problem("alert", a) is None
    assert problem("alert", {**a, "severity": "apocalyptic"}) is not None  # the model's enum
    assert problem("alert", {**a, "data": {}}) is not None
    ack = {"id": str(uuid.uuid4()), "type": "DeviceCommandAck", "status": "ok"}
    assert problem("cmd/ack", ack) is None and problem("cmd/ack", {**ack, "id": "x"}) is not None


def test_the_stored_hash_is_mosquittos_format() -> None:
    h = hash_secret("s3cret")
    assert h.startswith("$7$101$") and verify_secret("s3cret", h) and not verify_secret("x", h)
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        return
    with_tool = Path(f"/tmp/zhili-pw-{uuid.uuid4().hex}")
    try:
        subprocess.run([tool, "-c", "-b", str(with_tool), "dev", "s3cret"], check=True)
        theirs = with_tool.read_text().strip().split(":", 1)[1]
        assert verify_secret("s3cret", theirs) and not verify_secret("S3cret", theirs)
    finally:
        with_tool.unlink(missing_ok=True)


def test_mosquitto_files_confine_each_device(tmp_path: Path, twin_dir: Path) -> None:
    """`zhili devices load` and `zhili devices credentials --mosquitto --acl` against a
    Mosquitto of our own on a free port: the right password in, a wrong one out, and a device
    cannot publish on another device's topic."""
    import paho.mqtt.client as mqtt

    from zhili.cli import app

    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    need(Path(binary).exists(), "the mosquitto binary is not installed")
    data = tmp_path / "data"
    data.mkdir()
    (data / "twin").symlink_to(twin_dir)
    runner = CliRunner()
    r = runner.invoke(app, ["devices", "load", "--data", str(data)])
    assert r.exit_code == 0, r.output
    secrets = read_secrets(data / "keys" / "device-secrets.csv")
    assert (data / "keys" / "device-secrets.csv").stat().st_mode & 0o077 == 0
    pw, acl = tmp_path / "passwd", tmp_path / "acl"
    r = runner.invoke(
        app,
        [
            "devices",
            "credentials",
            "--data",
            str(data),
            "--mosquitto",
            str(pw),
            "--acl",
            str(acl),
            "--hub-password",
            "hub-pw",
            "--root",
            "zq",
        ],
    )
    assert r.exit_code == 0, r.output
    assert len(pw.read_text().splitlines()) == len(secrets) + 1
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {pw}\n"
        f"acl_file {acl}\npersistence false\n"
        # As root it would drop to the mosquitto user, who cannot read our 0600 files.
        f"user {getpass.getuser()}\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while not reachable("127.0.0.1", port):
            assert proc.poll() is None and time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.1)
        a, b = sorted(secrets)[:2]

        def connect(user: str | None, password: str | None) -> tuple[mqtt.Client, list]:
            c = mqtt.Client(
                mqtt.CallbackAPIVersion.VERSION2,
                client_id=uuid.uuid4().hex[:10],
                protocol=mqtt.MQTTv311,
            )
            if user:
                c.username_pw_set(user, password)
            got: list = []
            c.on_connect = lambda cl, ud, fl, reason, pr: got.append(reason)
            c.on_message = lambda cl, ud, msg: got.append(msg.topic)
            c.connect("127.0.0.1", port)
            c.loop_start()
            deadline = time.monotonic() + 5
            while not got and time.monotonic() < deadline:
                time.sleep(0.05)
            return c, got

        hub, got = connect("zhili-hub", "hub-pw")
        assert not got[0].is_failure
        hub.subscribe("zq/#", qos=1)
        dev, got_dev = connect(a, secrets[a])
        assert not got_dev[0].is_failure
        _, bad = connect(a, "wrong")
        assert bad[0].is_failure
        _, anon = connect(None, None)
        assert anon[0].is_failure
        time.sleep(0.3)  # the hub's subscription (Mosquitto answers in order on one socket)
        kind = "smoke_detector" if a.startswith("SMK") else "camera"
        dev.publish(f"zq/v1/{kind}/{b}/heartbeat", b"{}", qos=1).wait_for_publish(5)
        dev.publish(f"zq/v1/{kind}/{a}/heartbeat", b"{}", qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 5
        while f"zq/v1/{kind}/{a}/heartbeat" not in got and time.monotonic() < deadline:
            time.sleep(0.05)
        assert f"zq/v1/{kind}/{a}/heartbeat" in got
        assert f"zq/v1/{kind}/{b}/heartbeat" not in got  # the ACL dropped it
        for c in (hub, dev):
            c.loop_stop()
            c.disconnect()
    finally:
        proc.terminate()
        proc.wait(10)
