"""Two intake writers on PostgreSQL (inflight.py): a batch planned while the one before it is
still uncommitted merges into that batch's incident, hands back a retry of a key it is
writing instead of racing it into the unique index, and commits after it; under load every
report is answered once, one incident per place, and the audit chain holds."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import wait

import pytest
from sqlalchemy import func, select

from tests.events.conftest import Hub
from zhili.events.inflight import InFlight
from zhili.events.intake import Draft, prepare, write_in_turn
from zhili.events.models import Event
from zhili.events.schemas import EventIn
from zhili.events.writer import IntakeWriter
from zhili.privacy.audit.verify import verify

pytestmark = pytest.mark.parametrize("sqlite_or_pg", ["postgresql"], indirect=True)


def _gathering(hub: Hub, crowd: int, key: str | None = None) -> Draft:
    lon, lat = hub.point
    payload = EventIn(category="stability.mass_gathering", lon=lon, lat=lat, crowd_size=crowd)
    return prepare(hub.state, hub.actor("grid_worker"), payload, "grid", key)


def _in_thread(hub: Hub, f: InFlight, drafts: list[Draft]) -> tuple[threading.Thread, list]:
    """A second writer: its batch written, committed and settled on a thread of its own."""
    out: list = []
    ticket = f.ticket()

    def run() -> None:
        with hub.sessions() as s:
            out.extend(write_in_turn(s, hub.state, hub.ctx, drafts, turn=(f, ticket)))
            s.commit()
        f.settle(ticket, committed=True)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_a_report_merges_into_an_incident_not_yet_committed(hub: Hub) -> None:
    f = InFlight()
    first = f.ticket()
    with hub.sessions() as a:
        [made] = write_in_turn(a, hub.state, hub.ctx, [_gathering(hub, 40)], turn=(f, first))
        assert made is not None and made.state != "duplicate"
        t, out = _in_thread(hub, f, [_gathering(hub, 350)])
        time.sleep(0.5)
        assert t.is_alive()  # planned and inserted; its merge waits for the first commit
        a.commit()
    f.settle(first, committed=True)
    t.join(20)
    [joined] = out
    assert joined.state == "duplicate" and joined.incident_code == made.code
    with hub.sessions() as s:
        incident = s.scalar(select(Event).where(Event.code == made.code))
        assert (incident.crowd_size, incident.level) == (350, "district")
        assert s.scalar(select(func.count()).where(Event.incident_id == incident.id)) == 1


def test_a_retry_of_a_key_in_flight_is_handed_back_then_answered(hub: Hub) -> None:
    f = InFlight()
    first = f.ticket()
    with hub.sessions() as a:
        [made] = write_in_turn(a, hub.state, hub.ctx, [_gathering(hub, 10, "k-1")], turn=(f, first))
        t, out = _in_thread(hub, f, [_gathering(hub, 10, "k-1")])
        time.sleep(0.3)
        a.commit()
    f.settle(first, committed=True)
    t.join(20)
    assert out == [None]  # handed back, not inserted a second time (no unique violation)
    later = f.ticket()  # given after the first committed: its reads see it
    with hub.sessions() as s:
        [again] = write_in_turn(
            s, hub.state, hub.ctx, [_gathering(hub, 10, "k-1")], turn=(f, later)
        )
        s.commit()
    f.settle(later, committed=True)
    assert again is not None and (again.code, again.created) == (made.code, False)


def test_two_writers_under_load_answer_every_report_once(hub: Hub) -> None:
    writer = IntakeWriter(hub.sessions, hub.state, hub.ctx, max_batch=15, writers=2)
    assert writer.writers == 2 and writer.inflight is not None
    keys = [uuid.uuid4().hex for _ in range(120)]
    drafts = [_gathering(hub, 20 + i, k) for i, k in enumerate(keys)]
    drafts += [_gathering(hub, 500, k) for k in keys[::4]]  # retries, some while in flight
    writer.start()
    try:
        futures = [writer.submit(d) for d in drafts]
        _, waiting = wait(futures, timeout=120)
    finally:
        writer.stop()
    assert not waiting
    outcomes = [fut.result() for fut in futures]
    by_key = {}
    for d, o in zip(drafts, outcomes, strict=True):
        by_key.setdefault(d.idempotency_key, set()).add(o.code)
    assert all(len(codes) == 1 for codes in by_key.values())  # a retry gets the first's event
    assert writer.batches > 8 and writer.inflight.overlapped > 0  # two writers at once
    with hub.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == len(keys)
        incidents = s.scalars(select(Event.code).where(Event.incident_id.is_(None))).all()
        assert len(incidents) == 1  # one gathering, however the batches overlapped
        assert verify(s, hub.ctx.public_key).ok
