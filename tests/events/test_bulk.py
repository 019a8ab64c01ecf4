"""bulk.insert_rows writes what the ORM would: on PostgreSQL the rows go as one JSON document
(json_populate_recordset), so check the conversions there and on SQLite alike: NULL and nested
JSON, exact floats, times, text outside ASCII, scalar defaults left out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.privacy.conftest import sqlite_or_pg  # noqa: F401  (the backend fixture)
from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.db.pipeline import pipelined
from zhili.events.bulk import insert_rows
from zhili.events.models import Event, EventAction, EventTimer

NOW = dt.datetime(2026, 12, 6, 21, 30, 15, 123456)


def _event(i: int, **kw) -> dict:
    row = {
        "id": i,
        "code": f"E{i:08d}",
        "category": "urban.posters",
        "family": "urban",
        "channel": "department",
        "state": "received",
        "severity": 1,
        "crowd_size": None,
        "level": "grid",
        "department": "urban",
        "area_code": "330110010248001",
        "lon": 120.30123456789012,
        "lat": 30.41987654321098,
        "address": None,
        "title": '小广告 "引号" \\ 反斜杠',
        "description": "第一行\n第二行\t🙂",
        "reporter_actor": "key:1",
        "reporter_person": None,
        "reporter_name": None,
        "reporter_contact": None,
        "external_id": None,
        "idempotency_key": None,
        "incident_id": None,
        "worker_id": None,
        "entities": None,
        "rule_version": 1,
        "deadline_hours": 168.0,
        "reported_at": NOW,
        "created_at": NOW,
        "updated_at": NOW,
        "dispatched_at": None,
        "completed_at": None,
        "due_at": NOW + dt.timedelta(hours=168),
        "overdue": False,
        "rating": None,
        "token": None,
    }
    return {**row, **kw}


def test_bulk_rows_read_back_as_the_orm_would_write_them(sqlite_or_pg: str) -> None:  # noqa: F811
    upgrade(sqlite_or_pg)
    engine = make_engine(sqlite_or_pg)
    try:
        entities = [{"kind": "person", "id": "p-1"}, {"kind": "house", "id": "h/2"}]
        with make_sessionmaker(engine)() as session:
            conn = session.connection()
            with pipelined(conn):
                insert_rows(
                    conn,
                    Event.__table__,
                    [_event(1), _event(2, entities=entities, crowd_size=350)],
                )
                insert_rows(  # `note` left out: its default, ""
                    conn,
                    EventAction.__table__,
                    [
                        {
                            "event_id": 1,
                            "at": NOW,
                            "actor": "a",
                            "action": "report",
                            "from_state": None,
                            "to_state": "received",
                            "level": "grid",
                            "department": "urban",
                        }
                    ],
                )
                insert_rows(  # `fired` left out: its default, False
                    conn,
                    EventTimer.__table__,
                    [
                        {
                            "event_id": 2,
                            "kind": "resolve",
                            "level": "grid",
                            "due_at": NOW,
                            "done_at": None,
                        }
                    ],
                )
            session.commit()
        with make_sessionmaker(engine)() as session:
            one, two = session.scalars(select(Event).order_by(Event.id)).all()
            assert one.entities is None and two.entities == entities
            assert one.lon == 120.30123456789012 and one.lat == 30.41987654321098
            assert one.title == '小广告 "引号" \\ 反斜杠'
            assert one.description == "第一行\n第二行\t🙂"
            assert one.reported_at == NOW and one.due_at == NOW + dt.timedelta(hours=168)
            assert (two.crowd_size, one.crowd_size, one.overdue) == (350, None, False)
            action = session.scalars(select(EventAction)).one()
            assert (action.note, action.from_state, action.at) == ("", None, NOW)
            timer = session.scalars(select(EventTimer)).one()
            assert (timer.fired, timer.done_at) == (False, None)
    finally:
        engine.dispose()


@pytest.mark.parametrize("sqlite_or_pg", ["postgresql"], indirect=True)
def test_the_idempotency_lookup_probes_both_columns_on_postgresql(sqlite_or_pg: str) -> None:  # noqa: F811
    """A system pushing under one key: the lookup must probe (actor, key), not read every
    event of the actor and filter the keys (what IN lists got from PostgreSQL's planner)."""
    from sqlalchemy import text

    from zhili.events.intake import _REPLAYED_PG

    upgrade(sqlite_or_pg)
    engine = make_engine(sqlite_or_pg)
    try:
        with engine.begin() as conn:
            rows = [_event(i, idempotency_key=f"k{i}") for i in range(1, 3001)]
            insert_rows(conn, Event.__table__, rows)
            conn.execute(text("ANALYZE events"))
            keys = ["k17", "k2500", "missing"]
            params = {"actors": ["key:1"] * 3, "keys": keys}
            found = conn.execute(_REPLAYED_PG, params).all()
            assert sorted(r.idempotency_key for r in found) == ["k17", "k2500"]
            plan = "\n".join(
                r[0] for r in conn.execute(text("EXPLAIN " + _REPLAYED_PG.text), params)
            )
            assert "uq_events_idempotency" in plan, plan
            assert "idempotency_key)::text = q.key" in plan, plan
    finally:
        engine.dispose()
