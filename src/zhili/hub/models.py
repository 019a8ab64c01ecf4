"""Operational copies of hub data the services serve (until fusion lands, from the twin).

`Resident` is the master person as the hub will hold it after fusion (issue #3); today it is
loaded from the twin's truth by `zhili hub load-twin`, so that the privacy layer guards real
routes over realistic data from the start. `AccessEvent` is raw movement data (gate passages)
that the retention job aggregates and deletes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db.base import Base


class Resident(Base):
    __tablename__ = "residents"
    person_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255))
    migrant: Mapped[bool] = mapped_column(Boolean)
    elderly_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    # Area codes down to the grid (15 digits): scopes are prefixes of this.
    grid_code: Mapped[str] = mapped_column(String(15))


class AccessEvent(Base):
    __tablename__ = "access_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(32))
    credential_id: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[str | None] = mapped_column(String(32))
    grid_code: Mapped[str] = mapped_column(String(15))
    direction: Mapped[str] = mapped_column(String(4))
    passed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AccessDaily(Base):
    """What retention keeps of movement data: passages per person and day, no times."""

    __tablename__ = "access_daily"
    person_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(15))
    passages: Mapped[int] = mapped_column(Integer)


Index("ix_residents_grid", Resident.grid_code)
Index("ix_access_events_at", AccessEvent.passed_at)
