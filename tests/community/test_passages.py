"""S1 over MQTT: a gate sends a credential id, a direction and a time; anything biometric is
refused (the ingest quarantines it) and never reaches a table; the register names the person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tests.community.conftest import Store
from zhili.community.channels import AccessChannel
from zhili.community.models import CommunityCredential
from zhili.community.passages import Refused, check
from zhili.devices.ingest import Rejected
from zhili.hub.models import AccessEvent


@dataclass(frozen=True)
class Gate:  # what the ingest passes: its DeviceInfo's fields that matter here
    id: str
    kind: str
    area_code: str


def test_biometric_fields_are_refused_by_name() -> None:
    ok = {
        "credentialId": "CR10000310",
        "direction": "out",
        "dateObserved": "2019-07-01T08:00:00+08:00",
    }
    assert check(ok)[0]["passed_at"] == dt.datetime(2019, 7, 1, 8, 0)
    assert check({**ok, "dateObserved": "2019-07-01T00:00:00Z"})[0]["passed_at"] == (
        dt.datetime(2019, 7, 1, 8, 0)  # UTC → local
    )
    for field in ("faceImage", "fingerprintTemplate", "featureVector", "photo"):
        with pytest.raises(Refused) as e:
            check({**ok, field: "AAAA"})
        assert e.value.reason == "biometric"
    with pytest.raises(Refused, match="unknown fields"):
        check({**ok, "temperature": 36.6})
    with pytest.raises(Refused, match="direction"):
        check({**ok, "direction": "up"})
    with pytest.raises(Refused, match="ISO"):
        check({**ok, "dateObserved": "yesterday"})
    with pytest.raises(Refused, match="1 to 50"):
        check([ok] * 51)


def test_the_handler_stores_passages_under_the_register(store: Store) -> None:
    with store.sessions() as s:
        cred = s.scalars(
            select(CommunityCredential).where(CommunityCredential.person_id.is_not(None)).limit(1)
        ).one()
    channel = AccessChannel()
    gate = Gate("GTF-TEST001", "gate_face", cred.grid_code)
    at = dt.datetime(2019, 7, 2, 1, 0)  # received 09:00 local
    body = [
        {
            "credentialId": cred.credential_id,
            "direction": "in",
            "dateObserved": "2019-07-02T08:59:00+08:00",
            "method": "人脸",
        },
        {"credentialId": "VISITOR-77", "direction": "out", "dateObserved": "2019-07-02T08:59:30Z"},
    ]
    item = channel.check(gate, body, at)  # type: ignore[arg-type]
    with pytest.raises(Rejected) as refused:
        channel.check(gate, {**body[0], "faceImage": "..."}, at)  # type: ignore[arg-type]
    assert refused.value.reason == "biometric"
    assert "gate_face" in channel.kinds and "smoke_detector" not in channel.kinds
    with store.sessions() as s:
        assert channel.write(s, store.state, [item], at) == []
        s.commit()
    with store.sessions() as s:
        rows = s.scalars(
            select(AccessEvent)
            .where(AccessEvent.device_id == "GTF-TEST001")
            .order_by(AccessEvent.id)
        ).all()
    assert [(r.credential_id, r.person_id, r.direction) for r in rows] == [
        (cred.credential_id, cred.person_id, "进"),
        ("VISITOR-77", None, "出"),
    ]
    # 08:59:30 UTC is 16:59:30 local, after the message arrived: clamped to its receipt.
    assert (
        rows[0].passed_at == dt.datetime(2019, 7, 2, 8, 59) and rows[1].grid_code == gate.area_code
    )
