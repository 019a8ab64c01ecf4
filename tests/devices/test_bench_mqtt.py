"""`zhili bench mqtt` runs end to end on both brokers (small: the figures themselves are
measured by the command in docs/PERFORMANCE.md, not here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.conftest import need

from zhili.devices.bench_mqtt import run


@pytest.mark.parametrize("broker", ["amqtt", "mosquitto"])
def test_the_benchmark_counts_every_message_and_every_alarm(broker: str, twin_dir: Path) -> None:
    if broker == "mosquitto":
        need(
            shutil.which("mosquitto") is not None or Path("/usr/sbin/mosquitto").exists(),
            "the mosquitto binary is not installed",
        )
    f = run(
        broker, messages=3_000, devices=40, background_rate=200, alarm_seconds=2.0, twin=twin_dir
    )
    assert f["broker"] == broker and f["devices"] == 40 and f["refused"] == 0
    assert f["raw_received"] == 3_000 and f["processed"] == 3_000 and f["lost"] == 0
    assert not f["quarantined"] and sum(f["accepted"].values()) == 3_000
    assert f["msgs_per_s"] > 0 and f["raw_broker_msgs_per_s"] > 0
    assert f["alarms"] >= 15 and f["alarm_events"] == f["alarms"]
    assert f["alarms_dispatched"] == f["alarms"]  # the twin's workforce answers every one
    assert 0 < f["alarm_p99_ms"] < 10_000
