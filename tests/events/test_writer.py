"""The intake writer's own connection: kept between batches, replaced when it is lost."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text

from tests.events.conftest import Hub
from zhili.events.intake import Draft, prepare
from zhili.events.models import Event
from zhili.events.schemas import EventIn
from zhili.events.writer import IntakeWriter


def _draft(hub: Hub) -> Draft:
    lon, lat = hub.point
    payload = EventIn(category="urban.road_damage", lon=lon, lat=lat)
    actor = hub.actor("grid_worker")
    return prepare(hub.state, actor, payload, "grid", uuid.uuid4().hex)


def _backend_pid(writer: IntakeWriter) -> int | None:
    conn = writer._connection()
    if conn.dialect.name != "postgresql":
        return None
    pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    conn.rollback()  # leave no transaction open for the writer's next batch to join
    return pid


def _lose(writer: IntakeWriter, hub: Hub) -> None:
    """The database drops the writer's connection (a restart, an idle timeout)."""
    conn = writer._connection()
    if conn.dialect.name == "postgresql":
        pid = _backend_pid(writer)
        with hub.sessions() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    else:  # SQLite has no server to drop it: close the driver's connection under it
        conn.connection.dbapi_connection.close()


def test_the_writer_keeps_its_connection_between_batches(hub: Hub) -> None:
    writer = IntakeWriter(hub.sessions, hub.state, hub.ctx)
    try:
        writer.commit([_draft(hub)])
        first = writer._connection()
        pid = _backend_pid(writer)
        writer.commit([_draft(hub), _draft(hub)])
        assert writer._connection() is first
        assert _backend_pid(writer) == pid
    finally:
        writer.release()
    with hub.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 3


def test_a_lost_connection_costs_no_report(hub: Hub) -> None:
    writer = IntakeWriter(hub.sessions, hub.state, hub.ctx)
    try:
        writer.commit([_draft(hub)])
        _lose(writer, hub)
        outcomes = writer.commit([_draft(hub), _draft(hub)])
        assert [o.created for o in outcomes] == [True, True]
    finally:
        writer.release()
    with hub.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 3
