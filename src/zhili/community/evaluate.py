"""The S2 detectors against the twin's planted cases (truth/facts.json "s2": the pilot's
elderly residents who stop going out, and the flat with dozens of passages a day).

The detectors run as they would in service: once a day, at local midnight, over every day of
the gates' data that has a week of history before it; an alert's key (a person's quiet spell,
a flat's episode) is counted once however many daily runs raise it again.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.community.access import LOCAL_OFFSET
from zhili.community.anomaly import AccessAnomalyDetector
from zhili.community.welfare import WelfareCheckDetector
from zhili.hub.models import AccessDaily, AccessEvent


def data_days(session: Session) -> tuple[dt.date, dt.date] | None:
    """The first and last local day of gate data (raw or retained)."""
    lo = [
        session.scalar(select(func.min(AccessEvent.passed_at))),
        session.scalar(select(func.min(AccessDaily.day))),
    ]
    hi = [
        session.scalar(select(func.max(AccessEvent.passed_at))),
        session.scalar(select(func.max(AccessDaily.day))),
    ]
    days = [v.date() if isinstance(v, dt.datetime) else v for v in lo + hi if v is not None]
    if not days:
        return None
    firsts = [v.date() if isinstance(v, dt.datetime) else v for v in lo if v is not None]
    lasts = [v.date() if isinstance(v, dt.datetime) else v for v in hi if v is not None]
    return min(firsts), max(lasts)


def midnight_utc(day: dt.date) -> dt.datetime:
    """Local midnight at the start of `day`, as the naive UTC the event hub keeps."""
    return dt.datetime.combine(day, dt.time()) - LOCAL_OFFSET


def _score(flagged: set[str], planted: set[str]) -> dict:
    tp = len(flagged & planted)
    return {
        "planted": len(planted),
        "flagged": len(flagged),
        "true_positives": tp,
        "precision": round(tp / len(flagged), 4) if flagged else None,
        "recall": round(tp / len(planted), 4) if planted else None,
        "false_positives": sorted(flagged - planted),
    }


def evaluate(session: Session, twin: Path, quiet_days: int = 3, warmup: int = 7) -> dict:
    facts = json.loads((twin / "truth" / "facts.json").read_text("utf-8")).get("s2", {})
    span = data_days(session)
    if span is None:
        raise ValueError("no gate data: run `zhili hub load-twin` first")
    first, last = span
    runs = [first + dt.timedelta(days=i) for i in range(warmup, (last - first).days + 2)]
    welfare = WelfareCheckDetector(quiet_days=quiet_days)
    anomaly = AccessAnomalyDetector()
    persons: set[str] = set()
    flats: set[str] = set()
    welfare_keys: set[str] = set()
    anomaly_keys: set[str] = set()
    for day in runs:
        now = midnight_utc(day)
        for alert, pid in welfare.findings(session, now):
            persons.add(pid)
            welfare_keys.add(alert.key)
        for alert in anomaly.detect(session, now):
            flats.add(alert.entities[0][1])
            anomaly_keys.add(alert.key)
    planted_flat = facts.get("anomaly_house")
    return {
        "data": [first.isoformat(), last.isoformat()],
        "daily_runs": len(runs),
        "welfare": {
            "quiet_days": quiet_days,
            "alerts": len(welfare_keys),
            **_score(persons, set(facts.get("welfare_check", []))),
        },
        "anomaly": {
            "threshold": anomaly.threshold,
            "alerts": len(anomaly_keys),
            **_score(flats, {planted_flat} if planted_flat else set()),
        },
    }
