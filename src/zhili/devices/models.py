"""The device registry and what the hub keeps of device traffic.

`Device` is the registry (loaded from the twin, one row per physical device) with its
credential (a hash, never the password) and its liveness. `DeviceAlarm` is one fire alarm
with what the hub did about it (power cut, event, false alarm); `DeviceCommand` is one
command sent to a device with its acknowledgement and retries. `DeviceQuarantine` keeps
every payload the hub could not accept, with the reason, and `DeviceQuarantineCount` counts
them per day and reason (the counts outlive the purged payloads).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db.base import Base

BigId = BigInteger().with_variant(Integer, "sqlite")


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # SMK-0000001; MQTT username
    kind: Mapped[str] = mapped_column(String(24))  # smoke_detector, ev_charger, ...
    vendor: Mapped[str | None] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(String(15))  # the grid: scopes are prefixes
    compound_id: Mapped[str | None] = mapped_column(String(16))
    building_id: Mapped[str | None] = mapped_column(String(16))
    house_id: Mapped[str | None] = mapped_column(String(16))  # smoke detectors: the rented flat
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    power_cut: Mapped[bool] = mapped_column(Boolean, default=False)  # accepts a powerCut command
    role: Mapped[str | None] = mapped_column(String(16))  # cameras: facade, gate, ...
    facing: Mapped[str | None] = mapped_column(String(8))
    floor_from: Mapped[int | None] = mapped_column(SmallInteger)
    floor_to: Mapped[int | None] = mapped_column(SmallInteger)
    installed_on: Mapped[dt.date | None] = mapped_column(Date)
    # Mosquitto's PBKDF2-SHA512 format ($7$…), so the same hash serves the embedded broker
    # and a generated Mosquitto password file; the password itself is never stored.
    secret_hash: Mapped[str | None] = mapped_column(String(160))
    secret_issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12), default="new")  # new, online, offline
    last_seen: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_heartbeat: Mapped[dt.datetime | None] = mapped_column(DateTime)
    state: Mapped[dict | None] = mapped_column(JSON)  # deviceState, batteryLevel, last values

    __table_args__ = (
        Index("ix_devices_area_code", "area_code"),
        Index("ix_devices_status_last_seen", "status", "last_seen"),
    )


class DeviceAlarm(Base):
    """A fire alarm and what the hub did: the power cut, the event, the worker's verdict."""

    __tablename__ = "device_alarms"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    source_id: Mapped[str] = mapped_column(String(128))  # the Alert's id (or the hub's)
    trigger: Mapped[str] = mapped_column(String(24))  # smoke, overCurrent, overTemperature, ...
    level: Mapped[str] = mapped_column(String(8))  # warning | alarm
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)  # the device's clock
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    values: Mapped[dict | None] = mapped_column(JSON)
    # none (device cannot), device (it cut itself), command (we sent one), skipped (warning)
    power_cut: Mapped[str] = mapped_column(String(12))
    command_id: Mapped[str | None] = mapped_column(String(36))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    event_code: Mapped[str | None] = mapped_column(String(24))
    false_alarm: Mapped[bool] = mapped_column(Boolean, default=False)
    false_alarm_by: Mapped[str | None] = mapped_column(String(48))
    false_alarm_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    false_alarm_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # A QoS 1 redelivery of the same Alert is the same alarm.
        UniqueConstraint("device_id", "source_id", name="uq_device_alarms_source"),
        Index("ix_device_alarms_event_id", "event_id"),
    )


class DeviceCommand(Base):
    """A command to a device: its id is the idempotency key the device keeps (a retry with the
    same id is executed once), acknowledged on …/cmd/ack, retried with backoff, escalated."""

    __tablename__ = "device_commands"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("device_alarms.id"))
    command: Mapped[str] = mapped_column(String(24))  # powerCut
    state: Mapped[str] = mapped_column(String(12))  # sent, acked, failed, expired
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_try_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    acked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    result: Mapped[str | None] = mapped_column(String(64))  # the device's status / info
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_device_commands_state_next", "state", "next_try_at"),)


class DeviceQuarantine(Base):
    """A payload the hub could not accept, kept with why (raw device data: purged after the
    retention period, the counts stay)."""

    __tablename__ = "device_quarantine"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    topic: Mapped[str] = mapped_column(String(255))
    device_id: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # at most 8 KiB of it

    __table_args__ = (Index("ix_device_quarantine_at", "at"),)


class DeviceQuarantineCount(Base):
    __tablename__ = "device_quarantine_counts"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
