"""Modules raise warnings through one interface: with reasons, once per key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.events.conftest import Hub
from zhili.events.detectors import Alert, run_detector
from zhili.events.models import Event


class ArrearsRule:
    """A stand-in for the wage-arrears model: one enterprise, two signals."""

    name = "wages.test"

    def __init__(self, area: str) -> None:
        self.area = area

    def detect(self, session: Session, now: dt.datetime) -> Iterable[Alert]:
        yield Alert(
            key=f"wages:ME0001:{now:%Y-%m}",
            category="wages.arrears_warning",
            area_code=self.area,
            title="某建筑公司欠薪风险",
            reasons=("社保缴费人数三个月下降 40%", "工资专户余额低于一个月应发工资"),
            entities=(("enterprise", "ME0001"),),
        )


def test_a_detector_raises_each_warning_once_with_its_reasons(hub: Hub) -> None:
    now = dt.datetime(2026, 3, 2, 1, 0)
    rule = ArrearsRule(hub.grid)
    [first] = run_detector(hub.sessions, hub.state, hub.ctx, rule, now)
    [again] = run_detector(hub.sessions, hub.state, hub.ctx, rule, now)
    assert first.created and not again.created and first.code == again.code
    with hub.sessions() as s:
        e = s.scalar(select(Event).where(Event.code == first.code))
        assert e.channel == "model" and e.reporter_actor == "detector:wages.test"
        assert "社保缴费人数" in e.description and e.entities == [
            {"kind": "enterprise", "id": "ME0001"}
        ]
        assert e.department == "镇街劳动保障所"


def test_an_alert_without_reasons_is_refused() -> None:
    with pytest.raises(ValueError, match="reasons"):
        Alert(key="k", category="wages.arrears", area_code="330110", title="t", reasons=())
