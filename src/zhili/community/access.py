"""Daily activity from the gates (S1, S2): passages per resident and per flat and day.

Raw passages (`access_events`) live only for the retention period; retention
(privacy/retention.py) turns older ones into daily counts per person (`access_daily`) and
deletes them. Activity is the sum of both, so a day reads the same before and after retention
(also a day the cutoff splits: part raw, part counted).

Gates stamp local time (Asia/Shanghai, as the twin's export and retention's day boundaries
do); the event hub keeps naive UTC, so a detector's `now` (UTC) is moved to local time first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.community.models import CommunityCredential
from zhili.hub.models import AccessDaily, AccessEvent, Resident
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import NotFound, Resource, authorize, can
from zhili.privacy.purpose import Purpose

LOCAL_OFFSET = dt.timedelta(hours=8)  # Asia/Shanghai has no daylight saving
DAILY_SCHEMA = {"person_id": pl.Utf8, "day": pl.Date, "passages": pl.Int64}


def local_today(now_utc: dt.datetime) -> dt.date:
    """The local calendar day a UTC instant falls on (days are counted in local time)."""
    return (now_utc + LOCAL_OFFSET).date()


def _as_date(value: object) -> dt.date:
    # SQLite's date() answers text, PostgreSQL's a date.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def person_daily(
    session: Session,
    since: dt.date,
    until: dt.date,
    person_ids: Collection[str] | None = None,
    before: dt.datetime | None = None,
) -> pl.DataFrame:
    """Passages per person and local day in [since, until], raw and retained counts summed;
    with `before` (local time) nothing from that instant on (a replay sees no future)."""
    start = dt.datetime.combine(since, dt.time())
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
    if before is not None:
        end = min(end, before)
        until = min(
            until,
            before.date() - dt.timedelta(days=1) if before.time() == dt.time() else before.date(),
        )
    day = func.date(AccessEvent.passed_at)
    raw = (
        select(AccessEvent.person_id, day, func.count())
        .where(
            AccessEvent.passed_at >= start,
            AccessEvent.passed_at < end,
            AccessEvent.person_id.is_not(None),
        )
        .group_by(AccessEvent.person_id, day)
    )
    kept = select(AccessDaily.person_id, AccessDaily.day, AccessDaily.passages).where(
        AccessDaily.day >= since, AccessDaily.day <= until
    )
    if person_ids is not None:
        ids = list(person_ids)
        if not ids:
            return pl.DataFrame(schema=DAILY_SCHEMA)
        raw = raw.where(AccessEvent.person_id.in_(ids))
        kept = kept.where(AccessDaily.person_id.in_(ids))
    rows = [(p, _as_date(d), int(n)) for p, d, n in session.execute(raw)]
    rows += [(p, _as_date(d), int(n)) for p, d, n in session.execute(kept)]
    if not rows:
        return pl.DataFrame(schema=DAILY_SCHEMA)
    frame = pl.DataFrame(rows, schema=DAILY_SCHEMA, orient="row")
    return frame.group_by("person_id", "day").agg(pl.col("passages").sum()).sort("person_id", "day")


def credentials(session: Session) -> pl.DataFrame:
    """The gates' register: credential → flat, compound and person."""
    rows = session.execute(
        select(
            CommunityCredential.credential_id,
            CommunityCredential.compound_id,
            CommunityCredential.compound_name,
            CommunityCredential.house_id,
            CommunityCredential.house_label,
            CommunityCredential.person_id,
            CommunityCredential.grid_code,
            CommunityCredential.lon,
            CommunityCredential.lat,
        )
    ).all()
    schema = {
        "credential_id": pl.Utf8,
        "compound_id": pl.Utf8,
        "compound_name": pl.Utf8,
        "house_id": pl.Utf8,
        "house_label": pl.Utf8,
        "person_id": pl.Utf8,
        "grid_code": pl.Utf8,
        "lon": pl.Float64,
        "lat": pl.Float64,
    }
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def flat_daily(session: Session, since: dt.date, until: dt.date) -> pl.DataFrame:
    """Passages per flat and day (every registered resident's passages), zeros included for
    the days the flat's compound reported anything: a quiet day is a 0, not a missing row."""
    creds = credentials(session).filter(
        pl.col("house_id").is_not_null() & pl.col("person_id").is_not_null()
    )
    daily = person_daily(session, since, until)
    per = (
        daily.join(creds.select("person_id", "house_id"), on="person_id", how="inner")
        .group_by("house_id", "day")
        .agg(pl.col("passages").sum())
    )
    flats = creds.group_by("house_id").agg(
        pl.col("compound_id").first(), pl.col("person_id").n_unique().alias("size")
    )
    days = (
        per.join(flats.select("house_id", "compound_id"), on="house_id")
        .select("compound_id", "day")
        .unique()
    )
    grid = flats.join(days, on="compound_id", how="inner")
    return (
        grid.join(per, on=["house_id", "day"], how="left")
        .with_columns(pl.col("passages").fill_null(0))
        .sort("house_id", "day")
    )


@dataclass(frozen=True)
class Activity:
    person_id: str
    days: list[dict]  # [{"day": "2019-06-30", "passages": 2}, ...] oldest first, zeros kept
    total: int
    per_day: float


def resident_activity(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    person_id: str,
    purpose: Purpose | None,
    until: dt.date,
    days: int = 14,
) -> Activity:
    """One resident's passages a day: movement data, so a person read (purpose, audited); a
    citizen may see their own."""
    row = session.get(Resident, person_id)
    if row is None:
        raise NotFound(f"no person {person_id}")
    resource = Resource(kind="person", id=person_id, area=row.grid_code, owner_person=person_id)
    own = can(actor, "person.read_self")
    action = "person.read_self" if own else "person.read"
    authorize(actor, action, resource, None if own else purpose)
    since = until - dt.timedelta(days=days - 1)
    daily = person_daily(session, since, until, [person_id])
    counts = {d: int(n) for d, n in zip(daily["day"], daily["passages"], strict=True)}
    series = [
        {
            "day": (since + dt.timedelta(days=i)).isoformat(),
            "passages": counts.get(since + dt.timedelta(days=i), 0),
        }
        for i in range(days)
    ]
    total = sum(counts.values())
    ctx.audit(
        session,
        actor,
        action,
        resource=f"person:{person_id}/activity",
        subjects=[person_id],
        purpose=None if own else purpose,
        result_count=days,
    )
    session.commit()
    return Activity(person_id, series, total, round(total / days, 2))
