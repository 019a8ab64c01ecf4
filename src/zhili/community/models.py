"""What the hub keeps of a smart community (智慧小区): the places that carry police QR codes,
the property manager's credential register behind the gates, and the QR registration register
of tenants. Where the cameras look is the device registry's (devices/models.py: Device).

No biometric data anywhere: gates send credential ids; the vendor's terminal keeps the face or
fingerprint (S1).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db.base import Base

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for the long run.
BigId = BigInteger().with_variant(Integer, "sqlite")


class CommunityPlace(Base):
    """A building, or a rented dwelling (a flat, or a rented village house), with its QR code.

    The token is the only thing the printed code carries (`/qr/<token>`): 128 random bits, so
    a code cannot be guessed from a building's number; it stays the same on reload (codes are
    printed and stuck on doors) and is replaced only on purpose (`rotate_token`)."""

    __tablename__ = "community_places"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # building | flat
    ref: Mapped[str] = mapped_column(String(16), unique=True)  # building_id or house_id
    building_id: Mapped[str | None] = mapped_column(String(16))
    compound_id: Mapped[str | None] = mapped_column(String(16))  # None: a village house
    compound_name: Mapped[str | None] = mapped_column(String(64))
    grid_code: Mapped[str] = mapped_column(String(15))
    label: Mapped[str] = mapped_column(String(128))  # what the printed sheet says
    floors: Mapped[int | None] = mapped_column(SmallInteger)  # of the building
    unit: Mapped[int | None] = mapped_column(SmallInteger)
    floor: Mapped[int | None] = mapped_column(SmallInteger)
    room: Mapped[str | None] = mapped_column(String(16))
    rented: Mapped[bool] = mapped_column(Boolean, default=False)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    token_issued_at: Mapped[dt.datetime] = mapped_column(DateTime)


class CommunityCredential(Base):
    """The property manager's register behind the gates: a credential id and the flat it
    belongs to. Gate events carry only the credential id; this says whose flat it is."""

    __tablename__ = "community_credentials"
    credential_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    compound_id: Mapped[str] = mapped_column(String(16))
    compound_name: Mapped[str | None] = mapped_column(String(64))
    house_id: Mapped[str | None] = mapped_column(String(16))
    house_label: Mapped[str] = mapped_column(String(64))  # the register's room, 3-2-502
    person_id: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8))  # 业主 owner, 家属 family, 租户 tenant
    grid_code: Mapped[str] = mapped_column(String(15))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


class QrRegistration(Base):
    """A tenant's self-registration through a flat's (or building's) QR code: pending until
    an officer verifies or rejects it; a verified registration elsewhere ends it (moved)."""

    __tablename__ = "qr_registrations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("community_places.id"))
    grid_code: Mapped[str] = mapped_column(String(15))  # the place's: scopes are prefixes
    name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    person_id: Mapped[str | None] = mapped_column(String(32))  # the resident the id names
    status: Mapped[str] = mapped_column(String(10))  # pending, verified, rejected, moved
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    submitted_by: Mapped[str] = mapped_column(String(48))  # actor id (anonymous allowed)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(48))
    note: Mapped[str | None] = mapped_column(String(255))


Index("ix_community_places_building", CommunityPlace.building_id)
Index("ix_community_places_grid", CommunityPlace.grid_code)
Index("ix_community_credentials_house", CommunityCredential.house_id)
Index("ix_community_credentials_person", CommunityCredential.person_id)
Index("ix_qr_registrations_place", QrRegistration.place_id)
Index("ix_qr_registrations_grid_status", QrRegistration.grid_code, QrRegistration.status)
Index("ix_qr_registrations_id_number", QrRegistration.id_number)
