"""The event hub's operational tables: one event model for every channel.

An `Event` is one report from one channel. Reports about one incident are merged: the later
ones point at the first (`incident_id`) and carry state `duplicate`; the incident's severity
follows its latest report. Every action is a row of `EventAction` (the timeline); the current
step's deadline is an `EventTimer` row, so deadlines survive restarts; the reporter's
notifications wait in `EventNotification`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db.base import Base

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for the long run.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The public id (also the Open311 service_request_id): E + yymmdd + sequence.
    code: Mapped[str] = mapped_column(String(24), unique=True)
    category: Mapped[str] = mapped_column(String(48))  # a leaf of the category tree
    family: Mapped[str] = mapped_column(String(24))  # the tree's first level (merging, rules)
    channel: Mapped[str] = mapped_column(String(16))  # grid, citizen, open311, device, ...
    state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[int] = mapped_column(SmallInteger, default=1)  # 1 routine .. 4 critical
    crowd_size: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(8))  # grid, village, town, district
    department: Mapped[str] = mapped_column(String(64))  # who must act now
    area_code: Mapped[str] = mapped_column(String(15))  # down to the grid: scopes are prefixes
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    # Who reported: the actor id ("user:12", "key:3", "open311:<key>") and, for a citizen,
    # their person id and contact (personal data: masked in every view but their own).
    reporter_actor: Mapped[str] = mapped_column(String(48))
    reporter_person: Mapped[str | None] = mapped_column(String(32))
    reporter_name: Mapped[str | None] = mapped_column(String(64))
    reporter_contact: Mapped[str | None] = mapped_column(String(128))
    external_id: Mapped[str | None] = mapped_column(String(64))  # the pushing system's own id
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    entities: Mapped[list | None] = mapped_column(JSON)  # linked master entities [{kind,id}]
    rule_version: Mapped[int] = mapped_column(Integer)
    deadline_hours: Mapped[float] = mapped_column(Float)
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime)  # when it happened / was seen
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # when the hub acknowledged it
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # resolution deadline
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    token: Mapped[str | None] = mapped_column(String(40))  # Open311 token

    __table_args__ = (
        UniqueConstraint("reporter_actor", "idempotency_key", name="uq_events_idempotency"),
    )


class EventAction(Base):
    """The timeline: every action on an event, with who, when and the state it moved."""

    __tablename__ = "event_actions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(48))
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(8))
    department: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class EventAttachment(Base):
    """A photo or file: the bytes on disk (DATA/attachments/<sha256>), the facts here."""

    __tablename__ = "event_attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(48))


class EventTimer(Base):
    """A deadline in the database: the escalation sweep fires those past due."""

    __tablename__ = "event_timers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(16))  # respond | resolve
    level: Mapped[str] = mapped_column(String(8))  # the level it was set for
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    fired: Mapped[bool] = mapped_column(Boolean, default=False)


class EventNotification(Base):
    """What the hub told whom: the reporter at every state change, the handler on dispatch."""

    __tablename__ = "event_notifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    recipient: Mapped[str] = mapped_column(String(64))  # actor id, person:<id>, dept:<name>
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(16))  # state, escalation, dispatch, overdue
    state: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RoutingVersion(Base):
    """A version of the routing rules: rules are never edited in place, a new version is made."""

    __tablename__ = "routing_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(48))
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class RoutingRule(Base):
    """category (a tree prefix) × level → the responsible department and deadlines."""

    __tablename__ = "routing_rules"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("routing_versions.version"))
    category: Mapped[str] = mapped_column(String(48))  # "urban" or "urban.road_damage"
    level: Mapped[str] = mapped_column(String(8))
    department: Mapped[str] = mapped_column(String(64))
    start: Mapped[bool] = mapped_column(Boolean, default=False)  # the level handling starts at
    respond_minutes: Mapped[int] = mapped_column(Integer)
    deadline_hours: Mapped[float] = mapped_column(Float)


class Worker(Base):
    """A grid worker (full- or part-time) with their last reported position and duty."""

    __tablename__ = "workers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # full_time | part_time
    role: Mapped[str] = mapped_column(String(32))
    grid_code: Mapped[str] = mapped_column(String(15))
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    position_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


Index("ix_events_area_state", Event.area_code, Event.state)
Index("ix_events_family_created", Event.family, Event.created_at)
# The merge lookup's two queries (merging.py), answered from the index alone (migration 0005).
Index(
    "ix_events_merge_point",
    Event.family,
    Event.lat,
    Event.lon,
    Event.created_at,
    Event.incident_id,
    Event.state,
    Event.area_code,
    Event.id,
)
Index("ix_events_merge_grid", Event.family, Event.area_code, Event.created_at)
Index("ix_events_state_due", Event.state, Event.due_at)
# Columns most events leave empty (a merged report's incident, a citizen's person id, an
# Open311 token) are indexed only where set: every intake insert skipped three index entries
# that no query reads (equality lookups imply IS NOT NULL; migration 0006).
for _name, _column in (
    ("ix_events_incident", Event.incident_id),
    ("ix_events_reporter_person", Event.reporter_person),
    ("ix_events_token", Event.token),
):
    Index(
        _name,
        _column,
        postgresql_where=_column.isnot(None),
        sqlite_where=_column.isnot(None),
    )
Index("ix_event_actions_event", EventAction.event_id)
Index("ix_event_attachments_event", EventAttachment.event_id)
Index("ix_event_timers_open", EventTimer.done_at, EventTimer.due_at)
Index("ix_event_timers_event", EventTimer.event_id)
Index("ix_event_notifications_recipient", EventNotification.recipient, EventNotification.id)
Index("ix_event_notifications_event", EventNotification.event_id)
Index("ix_routing_rules_version", RoutingRule.version, RoutingRule.category)
Index("ix_workers_grid", Worker.grid_code)
Index("ix_workers_user", Worker.user_id)
