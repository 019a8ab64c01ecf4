"""S2, first half: an elderly resident living alone who usually goes out and has not passed
the gates for N days (default 3) → a welfare-check task (care.welfare_check) for the grid.

Silence is only evidence where the gates are known to work: a resident counts only if their
compound's gates reported passages up to yesterday (a dead gate is a maintenance matter, not
a welfare one). Every alert says since when, how often the person usually passes, and how
likely such a quiet spell is by chance at that usual rate (Poisson: exp(-rate × days)).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.community.access import LOCAL_OFFSET, credentials, local_today, person_daily
from zhili.events.detectors import Alert
from zhili.hub.models import Resident
from zhili.privacy.masking import mask_name

CATEGORY = "care.welfare_check"


@dataclass
class WelfareCheckDetector:
    quiet_days: int = 3  # full local days without a passage that raise the check
    history_days: int = 28  # how far back the usual rate is taken
    name: str = "community.welfare"

    def __post_init__(self) -> None:
        if self.quiet_days < 1:
            raise ValueError("quiet_days must be at least 1")

    def detect(self, session: Session, now: dt.datetime) -> Iterator[Alert]:
        yield from (a for a, _ in self.findings(session, now))

    def findings(self, session: Session, now: dt.datetime) -> Iterator[tuple[Alert, str]]:
        """(alert, person_id) for every resident due a visit at `now` (naive UTC)."""
        today = local_today(now)
        yesterday = today - dt.timedelta(days=1)
        since = today - dt.timedelta(days=self.history_days + self.quiet_days)
        creds = credentials(session).filter(pl.col("person_id").is_not_null())
        alone = session.execute(
            select(Resident.person_id, Resident.name, Resident.grid_code).where(
                Resident.elderly_alone.is_(True)
            )
        ).all()
        covered = creds.filter(pl.col("person_id").is_in([p for p, _, _ in alone]))
        if covered.is_empty():
            return
        daily = person_daily(session, since, today, before=now + LOCAL_OFFSET)
        # What each compound's gates reported: first and last day with any passage.
        reported = (
            daily.join(creds.select("person_id", "compound_id"), on="person_id")
            .group_by("compound_id")
            .agg(pl.col("day").min().alias("first"), pl.col("day").max().alias("last"))
        )
        seen = {r["compound_id"]: (r["first"], r["last"]) for r in reported.iter_rows(named=True)}
        mine = daily.filter(pl.col("person_id").is_in(covered["person_id"].implode()))
        by_person: dict[str, list[tuple[dt.date, int]]] = {}
        for pid, day, n in mine.iter_rows():
            by_person.setdefault(pid, []).append((day, n))
        place = {r["person_id"]: r for r in covered.iter_rows(named=True)}
        for pid, name, grid in sorted(alone):
            flat = place.get(pid)
            if flat is None:
                continue  # not behind gates: silence says nothing
            first, last = seen.get(flat["compound_id"], (None, None))
            if last is None or last < yesterday:
                continue  # the compound's gates are silent: no evidence about the person
            days = [(d, n) for d, n in by_person.get(pid, []) if n > 0]
            last_day = max((d for d, _ in days), default=None)
            quiet = (today - last_day).days - 1 if last_day else (today - first).days
            if quiet < self.quiet_days:
                continue
            yield self._alert(pid, name, grid, flat, days, last_day, first, quiet, last), pid

    def usual_rate(
        self, days: list[tuple[dt.date, int]], last_day: dt.date, first: dt.date
    ) -> float:
        """Passages a day from the history window up to the last passage."""
        start = max(first, last_day - dt.timedelta(days=self.history_days - 1))
        span = (last_day - start).days + 1
        return sum(n for d, n in days if d >= start) / span

    def _alert(
        self,
        pid: str,
        name: str,
        grid: str,
        flat: dict,
        days: list[tuple[dt.date, int]],
        last_day: dt.date | None,
        first: dt.date,
        quiet: int,
        reported_until: dt.date,
    ) -> Alert:
        reasons = []
        if last_day is None:
            reasons.append(f"自门禁记录开始（{first}）起 {quiet} 天无通行记录")
            chance = None
        else:
            start = max(first, last_day - dt.timedelta(days=self.history_days - 1))
            span = (last_day - start).days + 1
            usual = self.usual_rate(days, last_day, first)
            chance = math.exp(-usual * quiet)
            reasons.append(
                f"最后一次通行 {last_day}，此后 {quiet} 天无通行记录"
                f"（no passage since {last_day + dt.timedelta(days=1)}, {quiet} days）"
            )
            reasons.append(
                f"平时每天通行 {usual:.1f} 次（{start} 至 {last_day}，{span} 天；"
                f"usual: {usual:.1f} a day）"
            )
            reasons.append(f"按平时频率，连续 {quiet} 天无通行的概率约 {chance:.2%}")
        reasons.append(
            f"所在小区门禁数据截至 {reported_until}，设备在报（the gates work: silence counts）"
        )
        reasons.append(f"登记为独居老人，住 {flat['compound_name'] or ''}{flat['house_label']}")
        return Alert(
            key=f"welfare:{pid}:{last_day or 'none'}",
            category=CATEGORY,
            area_code=grid,
            title=f"独居老人{mask_name(name)}已 {quiet} 天无出入记录，请上门探访",
            reasons=tuple(reasons),
            severity=3
            if quiet >= 2 * self.quiet_days or (chance is not None and chance < 1e-3)
            else 2,
            lon=flat["lon"],
            lat=flat["lat"],
            entities=(("person", pid),),
        )
