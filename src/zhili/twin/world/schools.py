"""Kindergartens and schools with their seats, and the children enrolled in them (S8: the
seats forecast against the children about to need them)."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.geo import DistrictLayout
from zhili.twin.rng import stream
from zhili.twin.spec import TwinSpec

# level: (ages, full-scale count, name suffix)
LEVELS = {
    "kindergarten": ((3, 5), 160, "幼儿园"),
    "primary": ((6, 11), 75, "小学"),
    "middle": ((12, 14), 40, "初级中学"),
}
# Towns urbanising fastest in 2019 had too few seats (the seed: 50 new primary schools).
SHORT_OF_SEATS = {"330110010", "330110012", "330110005", "330110011", "330110006"}


def build_schools(
    spec: TwinSpec, layout: DistrictLayout, people: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = stream(spec.seed, "schools")
    towns = layout.towns
    grids = layout.grids
    rows = []
    enrol_rows = []
    for level, ((lo, hi), full, suffix) in LEVELS.items():
        kids = people.filter((pl.col("age") >= lo) & (pl.col("age") <= hi))
        for t in towns.iter_rows(named=True):
            k = max(1, round(full * t["pop_weight"] * spec.scale))
            in_town = kids.filter(pl.col("town_code") == t["code"])
            short = t["code"] in SHORT_OF_SEATS
            ratio = rng.uniform(0.72, 0.88) if short else rng.uniform(0.98, 1.15)
            seats_total = max(k * 10, round(in_town.height * ratio))
            split = rng.dirichlet(np.ones(k)) * seats_total
            town_grids = np.flatnonzero(grids["town_code"].to_numpy() == t["code"])
            g = rng.choice(town_grids, k)
            lon, lat = layout.sample_points(g, rng)
            base = t["name"].removesuffix("街道").removesuffix("镇")
            ids = [f"S{len(rows) + i + 1:05d}" for i in range(k)]
            for i in range(k):
                ordinal = f"第{_cn_ordinal(i + 1)}" if k > 1 else ""
                name = f"杭州市余杭区{base}{ordinal}{suffix}"
                rows.append(
                    {
                        "school_id": ids[i],
                        "name": name,
                        "level": level,
                        "town_code": t["code"],
                        "grid_code": grids["code"][int(g[i])],
                        "lon": float(lon[i]),
                        "lat": float(lat[i]),
                        "seats": max(10, round(split[i])),
                    }
                )
            # Nearly all children of school age attend; kindergarten is not compulsory.
            rate = 0.85 if level == "kindergarten" else 0.99
            attend = in_town.filter(pl.Series(rng.random(in_town.height) < rate))
            if attend.height:
                enrol_rows.append(
                    pl.DataFrame(
                        {
                            "person_id": attend["person_id"],
                            "school_id": np.array(ids)[
                                rng.choice(k, attend.height, p=split / split.sum())
                            ],
                            "level": level,
                        }
                    )
                )
    schools = pl.DataFrame(rows)
    enrolment = (
        pl.concat(enrol_rows)
        if enrol_rows
        else pl.DataFrame(schema={"person_id": pl.Utf8, "school_id": pl.Utf8, "level": pl.Utf8})
    )
    return schools, enrolment


def _cn_ordinal(n: int) -> str:
    """1..99 in Chinese numerals (第十二小学)."""
    digits = "〇一二三四五六七八九"
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else digits[tens] + "十"
    return head + (digits[ones] if ones else "") if n >= 10 else digits[n]
