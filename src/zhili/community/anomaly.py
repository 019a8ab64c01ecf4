"""S2, second half: a flat whose passages in a day are far outside both its own history and its
peers' (same compound, same registered household size) → public_order.access_anomaly for the
police (a flat with dozens of passages a day: subletting as a dormitory, a group rental, a
gambling den...).

Robust statistics, not a fixed count: for the day's count x,
    own   z = (x - median of the flat's previous days) / sigma
    peers z = (x - median of the peers that day) / sigma
with sigma = max(1.4826 · MAD, sqrt(max(median, 1))): the MAD scaled to a standard deviation,
floored by the Poisson noise a count of that size has anyway (a flat that always passes
exactly twice has MAD 0, and three passages must not look like an outlier). A flat is
abnormal on a day when both z reach the threshold (default 5). One alert per episode: the key
names the episode's first abnormal day, so the days that follow do not raise it again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from zhili.community.access import credentials, flat_daily, local_today
from zhili.events.detectors import Alert

CATEGORY = "public_order.access_anomaly"
MAD_SCALE = 1.4826  # MAD → standard deviation for normal data


def robust_z(x: float, values: np.ndarray) -> tuple[float, float, float]:
    """(z, median, MAD) of x against values, sigma floored by the count's Poisson noise."""
    med = float(np.median(values))
    mad = float(np.median(np.abs(values - med)))
    sigma = max(MAD_SCALE * mad, math.sqrt(max(med, 1.0)))
    return (x - med) / sigma, med, mad


@dataclass(frozen=True)
class Finding:
    house_id: str
    day: dt.date
    passages: int
    own_z: float
    own_median: float
    own_mad: float
    own_days: int
    peer_z: float
    peer_median: float
    peers: int
    peer_kind: str  # which peer group answered (see _peer_groups)
    size: int


@dataclass
class AccessAnomalyDetector:
    lookback_days: int = 1  # complete local days judged, ending yesterday
    history_days: int = 28  # the flat's own history
    min_history: int = 7  # fewer earlier days: no judgement (a new flat has no pattern yet)
    threshold: float = 5.0  # robust z both against itself and against its peers
    min_peers: int = 5
    episode_days: int = 7  # how far back an episode's first day is looked for
    name: str = "community.access_anomaly"

    def findings(self, session: Session, now: dt.datetime) -> dict[str, list[Finding]]:
        """Abnormal flat-days, per flat, for the days judged and the episode days before."""
        last = local_today(now) - dt.timedelta(days=1)
        first_judged = last - dt.timedelta(days=self.lookback_days - 1)
        first_eval = first_judged - dt.timedelta(days=self.episode_days)
        since = first_eval - dt.timedelta(days=self.history_days)
        frame = flat_daily(session, since, last)
        if frame.is_empty():
            return {}
        found: dict[str, list[Finding]] = {}
        for day in (first_eval + dt.timedelta(days=i) for i in range((last - first_eval).days + 1)):
            for f in self._judge_day(frame, day):
                found.setdefault(f.house_id, []).append(f)
        # Keep the flats abnormal on a judged day; the earlier days only date the episode.
        return {h: fs for h, fs in found.items() if any(f.day >= first_judged for f in fs)}

    def _judge_day(self, frame: pl.DataFrame, day: dt.date) -> Iterator[Finding]:
        today = frame.filter(pl.col("day") == day)
        if today.is_empty():
            return
        lo = day - dt.timedelta(days=self.history_days)
        history = frame.filter((pl.col("day") >= lo) & (pl.col("day") < day))
        own = history.group_by("house_id").agg(pl.col("passages").alias("hist"))
        own_of = {h: np.asarray(v, float) for h, v in own.iter_rows()}
        groups = _peer_groups(today, self.min_peers)
        for row in today.iter_rows(named=True):
            hist = own_of.get(row["house_id"])
            if hist is None or hist.size < self.min_history:
                continue
            x = float(row["passages"])
            oz, omed, omad = robust_z(x, hist)
            if oz < self.threshold:
                continue
            kind, peers = groups(row)
            if peers.size < self.min_peers:
                continue
            pz, pmed, _ = robust_z(x, peers)
            if pz < self.threshold:
                continue
            yield Finding(
                row["house_id"], day, int(x), oz, omed, omad, hist.size, pz, pmed,
                peers.size, kind, int(row["size"]),
            )  # fmt: skip

    def detect(self, session: Session, now: dt.datetime) -> Iterator[Alert]:
        found = self.findings(session, now)
        if not found:
            return
        flats = (
            credentials(session)
            .filter(pl.col("house_id").is_in(list(found)))
            .group_by("house_id")
            .agg(pl.all().first())
        )
        where = {r["house_id"]: r for r in flats.iter_rows(named=True)}
        for house_id in sorted(found):
            yield self._alert(found[house_id], where[house_id])

    def _alert(self, findings: list[Finding], flat: dict) -> Alert:
        findings = sorted(findings, key=lambda f: f.day)
        latest = findings[-1]
        # The episode: the run of consecutive abnormal days that ends with the latest.
        start = latest.day
        days = {f.day for f in findings}
        while start - dt.timedelta(days=1) in days:
            start -= dt.timedelta(days=1)
        episode = [f for f in findings if f.day >= start]
        label = f"{flat['compound_name'] or flat['compound_id']}{flat['house_label']}"
        peers = {
            "compound_size": f"同小区同户型（登记 {latest.size} 人）",
            "district_size": f"全区有门禁小区同户型（登记 {latest.size} 人）",
            "compound": "同小区",
        }[latest.peer_kind]
        reasons = [
            f"{latest.day} 全户通行 {latest.passages} 次（{latest.passages} passages in a day）",
            f"本户此前 {latest.own_days} 天中位数 {latest.own_median:.0f} 次/天、"
            f"MAD {latest.own_mad:.1f}，稳健 z = {latest.own_z:.1f}（far outside its own history）",
            f"{peers} {latest.peers} 户当天中位数 {latest.peer_median:.0f} 次，"
            f"稳健 z = {latest.peer_z:.1f}（far outside its peers）",
        ]
        if len(episode) > 1:
            run = "、".join(f"{f.day:%m-%d} {f.passages} 次" for f in episode)
            reasons.append(f"自 {start} 起连续 {len(episode)} 天异常：{run}")
        return Alert(
            key=f"access_anomaly:{flat['house_id']}:{start}",
            category=CATEGORY,
            area_code=flat["grid_code"],
            title=f"{label} 出入异常：{latest.day:%m-%d} 一天 {latest.passages} 次",
            reasons=tuple(reasons),
            severity=2,
            lon=flat["lon"],
            lat=flat["lat"],
            entities=(("house", flat["house_id"]),),
        )


def _peer_groups(today: pl.DataFrame, min_peers: int):  # type: ignore[no-untyped-def]
    """A function row → (kind, peers' counts that day): flats of the same compound and
    household size; too few there, the same size in every gated compound; then the compound.
    The flat itself is among its peers: the median and MAD hardly move for one value, and a
    group of five stays a group of five."""
    by_cs: dict[tuple[str, int], np.ndarray] = {}
    by_s: dict[int, np.ndarray] = {}
    by_c: dict[str, np.ndarray] = {}
    for (c, s), g in today.group_by(["compound_id", "size"]):
        by_cs[(c, s)] = g["passages"].to_numpy().astype(float)
    for (s,), g in today.group_by(["size"]):
        by_s[s] = g["passages"].to_numpy().astype(float)
    for (c,), g in today.group_by(["compound_id"]):
        by_c[c] = g["passages"].to_numpy().astype(float)
    empty = np.empty(0)

    def peers(row: dict) -> tuple[str, np.ndarray]:
        g = by_cs.get((row["compound_id"], row["size"]), empty)
        if g.size >= min_peers:
            return "compound_size", g
        g = by_s.get(row["size"], empty)
        if g.size >= min_peers:
            return "district_size", g
        return "compound", by_c.get(row["compound_id"], empty)

    return peers
