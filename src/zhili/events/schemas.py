"""The one input shape every channel's report is turned into (REST, grid app, department push,
Open311, device alarms, detectors)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

CHANNELS = ("grid", "staff", "citizen", "open311", "department", "device", "model", "hotline")


class EntityRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=r"^(person|house|enterprise|vehicle|project|account|device)$")
    id: str = Field(min_length=1, max_length=40)


class EventIn(BaseModel):
    """A report. A location is required: a point (WGS-84) or an area code, or both."""

    model_config = ConfigDict(extra="forbid")
    category: str = Field(max_length=48, description="A leaf code, see /api/event-categories")
    title: str | None = Field(default=None, max_length=128)
    description: str = Field(default="", max_length=4000)
    lon: float | None = Field(default=None, ge=73, le=135)
    lat: float | None = Field(default=None, ge=3, le=54)
    area_code: str | None = Field(default=None, pattern=r"^\d{6}(\d{3}){0,3}$")
    address: str | None = Field(default=None, max_length=255)
    severity: int | None = Field(default=None, ge=1, le=4)
    crowd_size: int | None = Field(default=None, ge=0, le=1_000_000)
    reported_at: dt.datetime | None = None
    external_id: str | None = Field(default=None, max_length=64)
    entities: list[EntityRef] | None = Field(default=None, max_length=50)
    reporter_name: str | None = Field(default=None, max_length=64)
    reporter_contact: str | None = Field(default=None, max_length=128)
