"""`zhili simulate` on both brokers: the twin's devices, each logged in as itself, speak at a
set rate; everything they say passes the hub's checks (nothing quarantined), alarms open
events and the power-cut commands are acknowledged."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select
from tests.devices.conftest import Rig, wait_for

from zhili.devices.models import DeviceAlarm
from zhili.devices.simulator import gate_credentials, pick, simulate
from zhili.devices.traffic import Traffic, fleet
from zhili.hub.models import AccessEvent


def test_the_simulator_speaks_for_the_twins_devices(rig: Rig, twin_dir: Path) -> None:
    rig.load_community(twin_dir)
    with rig.sessions() as s:
        chosen = pick(fleet(s), 60, seed=3)
        credentials = gate_credentials(s, chosen)
    assert {d.kind for d in chosen} == {
        "smoke_detector",
        "ev_charger",
        "distribution_box",
        "gate_face",
        "gate_plate",
        "camera",
    }
    s = rig.settings
    result = asyncio.run(
        simulate(
            s.host, s.port, s.root, chosen, rig.secrets, Traffic(credentials, 3), 300, 3.0, 0.5, 3
        )
    ).as_dict()
    assert result["devices"] == 60 and result["refused"] == 0 and result["no_secret"] == 0
    assert result["messages"] >= 800 and result["alarms"] >= 4
    wait_for(
        lambda: sum(rig.ingest.stats()["accepted"].values()) >= result["messages"],
        message=f"all {result['messages']} messages taken",
    )
    stats = rig.ingest.stats()
    assert not stats["quarantined"], stats["quarantined"]
    assert stats["accepted"]["heartbeat"] and stats["accepted"]["measurement"]
    assert stats["accepted"]["access"] == result["by_channel"]["access"]
    with rig.sessions() as session:
        passages = session.scalar(select(func.count()).select_from(AccessEvent))
        named = session.scalar(
            select(func.count()).select_from(AccessEvent).where(AccessEvent.person_id.is_not(None))
        )
        alarms = session.scalar(select(func.count()).select_from(DeviceAlarm))
    assert passages >= result["by_channel"]["access"] and named == passages  # registered ids
    assert alarms >= 1  # fire devices' alarms (the rest were façade cameras' detections)
