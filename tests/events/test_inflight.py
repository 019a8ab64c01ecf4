"""Batches in flight plan and commit in the order of their tickets; a batch sees the new
incidents and keys of the batches its reads could not see, and nothing it could."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from zhili.events.inflight import InFlight
from zhili.events.merging import Candidate

T0 = dt.datetime(2026, 3, 2, 1, 0)


def _incident(i: int) -> Candidate:
    return Candidate(i, "stability", "330110001001001", 120.0, 30.0, T0)


def _after(fn, *args) -> tuple[threading.Thread, list]:
    """Run fn(*args) on a thread; its result lands in the list."""
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn(*args)), daemon=True)
    t.start()
    return t, out


def test_a_batch_sees_what_uncommitted_batches_before_it_write() -> None:
    f = InFlight()
    a, b = f.ticket(), f.ticket()
    with f.plan(a) as planning:
        assert planning.incidents == [] and planning.busy == set()
        planning.mine.append(_incident(7))
        planning.my_keys.add(("dept:x", "k1"))
    with f.plan(b) as planning:  # a has planned, not committed
        assert planning.incidents == [_incident(7)]
        assert planning.busy == {("dept:x", "k1")}
    f.settle(a, committed=True)
    f.settle(b, committed=True)
    c = f.ticket()  # given after a committed: its reads see a's rows
    with f.plan(c) as planning:
        assert planning.incidents == [] and planning.busy == set()
    f.settle(c, committed=True)
    assert f.pending == 0


def test_a_reader_older_than_a_commit_still_sees_it() -> None:
    f = InFlight()
    a = f.ticket()
    b = f.ticket()  # given while a was uncommitted
    with f.plan(a) as planning:
        planning.mine.append(_incident(7))
    f.settle(a, committed=True)  # a commits before b plans: b's reads may predate it
    with f.plan(b) as planning:
        assert planning.incidents == [_incident(7)]
    f.settle(b, committed=True)
    assert f.pending == 0


def test_plans_and_commits_wait_for_the_batches_before() -> None:
    f = InFlight()
    a, b = f.ticket(), f.ticket()

    def plan_b() -> str:
        with f.plan(b):
            return "planned"

    t, out = _after(plan_b)
    time.sleep(0.1)
    assert out == []  # a has not planned yet
    with f.plan(a):
        pass
    t.join(5)
    assert out == ["planned"]
    t, out = _after(f.commit_turn, b)
    time.sleep(0.1)
    assert t.is_alive()  # a has not committed
    f.settle(a, committed=True)
    t.join(5)
    assert not t.is_alive()
    f.settle(b, committed=True)


def test_a_failed_batch_takes_its_turns_and_leaves_nothing() -> None:
    f = InFlight()
    a, b, c = f.ticket(), f.ticket(), f.ticket()
    with f.plan(a) as planning:
        planning.mine.append(_incident(7))
    # b fails before planning (say its reads failed): it still passes its turns in order
    t, _ = _after(f.settle, b, False)
    f.settle(a, committed=False)  # a rolls back: its incident never existed
    t.join(5)
    with f.plan(c) as planning:
        assert planning.incidents == []
    f.settle(c, committed=True)


def test_an_error_while_planning_still_lets_the_next_batch_plan() -> None:
    f = InFlight()
    a, b = f.ticket(), f.ticket()
    with pytest.raises(RuntimeError), f.plan(a) as planning:
        planning.mine.append(_incident(7))
        raise RuntimeError("bad batch")
    with f.plan(b) as planning:
        assert planning.incidents == []  # what a meant to write is not offered
    f.settle(a, committed=False)
    f.settle(b, committed=True)
