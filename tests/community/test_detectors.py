"""S2: the welfare check and the access anomaly, raised through the event hub's detector
interface, each alert saying why; checked against the twin's planted cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from tests.community.conftest import AFTER_DATA, Store
from zhili.community.anomaly import AccessAnomalyDetector, robust_z
from zhili.community.evaluate import evaluate
from zhili.community.welfare import WelfareCheckDetector
from zhili.events.detectors import run_detector
from zhili.events.models import Event


def test_the_planted_silent_elder_gets_a_welfare_check(store: Store) -> None:
    planted = store.facts["s2"]["welfare_check"]
    with store.sessions() as s:
        found = list(WelfareCheckDetector().findings(s, AFTER_DATA))
    alerts = {pid: a for a, pid in found}
    assert set(planted) <= set(alerts)
    a = alerts[planted[0]]
    assert a.category == "care.welfare_check" and a.entities == (("person", planted[0]),)
    why = "\n".join(a.reasons)
    assert "no passage since 2019-06-26, 5 days" in why and "usual:" in why
    assert a.key == f"welfare:{planted[0]}:2019-06-25"
    assert "独居老人" in a.title and "5 天" in a.title


def test_the_quiet_days_are_configurable(store: Store) -> None:
    planted = set(store.facts["s2"]["welfare_check"])
    with store.sessions() as s:
        six = {pid for _, pid in WelfareCheckDetector(quiet_days=6).findings(s, AFTER_DATA)}
        five = {pid for _, pid in WelfareCheckDetector(quiet_days=5).findings(s, AFTER_DATA)}
    assert not planted & six and planted <= five
    with pytest.raises(ValueError):
        WelfareCheckDetector(quiet_days=0)


def test_silent_gates_are_no_evidence(store: Store) -> None:
    # A week after the data ends the gates themselves are silent: nobody is flagged for it.
    with store.sessions() as s:
        later = list(WelfareCheckDetector().findings(s, AFTER_DATA + dt.timedelta(days=7)))
    assert later == []


def test_a_replay_does_not_see_the_future(store: Store) -> None:
    # At midnight before 06-29 the planted elder had been quiet 3 days (26, 27, 28).
    planted = store.facts["s2"]["welfare_check"][0]
    with store.sessions() as s:
        found = {
            p: a for a, p in WelfareCheckDetector().findings(s, AFTER_DATA - dt.timedelta(days=2))
        }
    assert planted in found and "3 days" in "\n".join(found[planted].reasons)


def test_the_planted_busy_flat_is_an_anomaly(store: Store) -> None:
    flat = store.facts["s2"]["anomaly_house"]
    with store.sessions() as s:
        alerts = list(AccessAnomalyDetector().detect(s, AFTER_DATA))
        days = AccessAnomalyDetector(lookback_days=7).findings(s, AFTER_DATA)
    assert [a.entities for a in alerts] == [(("house", flat),)]
    a = alerts[0]
    assert a.category == "public_order.access_anomaly"
    # One episode: the key names its first day however late the run.
    assert a.key == f"access_anomaly:{flat}:2019-06-28"
    why = "\n".join(a.reasons)
    assert "稳健 z" in why and "own history" in why and "peers" in why
    assert sorted(f.day.day for f in days[flat]) == [28, 29, 30]
    assert all(f.own_z >= 5 and f.peer_z >= 5 for f in days[flat])


def test_robust_z_floors_sigma_by_poisson_noise() -> None:
    # A flat that always passes exactly twice: MAD 0, yet 4 passages are no outlier.
    z, med, mad = robust_z(4, np.array([2.0] * 10))
    assert (med, mad) == (2.0, 0.0) and z == pytest.approx(2 / np.sqrt(2))
    z, *_ = robust_z(40, np.array([2.0] * 10))
    assert z > 20


def test_detectors_raise_events_once_through_the_hub(store: Store) -> None:
    welfare = WelfareCheckDetector()
    anomaly = AccessAnomalyDetector()
    first = run_detector(store.sessions, store.state, store.ctx, welfare, AFTER_DATA)
    again = run_detector(store.sessions, store.state, store.ctx, welfare, AFTER_DATA)
    assert first and all(o.created for o in first) and not any(o.created for o in again)
    # The next night the same episode answers the same key: no second police event.
    one = run_detector(store.sessions, store.state, store.ctx, anomaly, AFTER_DATA)
    two = run_detector(
        store.sessions, store.state, store.ctx, anomaly, AFTER_DATA - dt.timedelta(days=1)
    )
    assert len(one) == 1 and one[0].created and [o.code for o in two] == [one[0].code]
    with store.sessions() as s:
        e = s.scalar(select(Event).where(Event.code == one[0].code))
        assert e.channel == "model" and e.reporter_actor == "detector:community.access_anomaly"
        assert e.department == "社区警务室" and e.family == "public_order"
        w = s.scalar(select(Event).where(Event.code == first[0].code))
        assert w.category == "care.welfare_check" and w.level == "grid"
        assert w.area_code.startswith(store.pilot["village_code"])


def test_recall_and_precision_against_the_twin(store: Store) -> None:
    with store.sessions() as s:
        r = evaluate(s, store.twin, quiet_days=4)
    assert r["welfare"]["recall"] == 1.0 and r["anomaly"]["recall"] == 1.0
    assert r["anomaly"]["precision"] == 1.0 and r["anomaly"]["alerts"] == 1
    assert r["welfare"]["precision"] >= 0.5
