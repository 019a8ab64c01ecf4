"""Benchmark: build the district layout, then locate random points in the district's bbox.

Run as `python benchmarks/bench_geo.py`; prints one JSON line.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np

from zhili.geo import build_layout

POINTS = 1_000_000
REPEATS = 5


def main() -> None:
    start = time.perf_counter()
    layout = build_layout()
    build_seconds = time.perf_counter() - start

    rng = np.random.default_rng(2019)
    rates = []
    found = 0.0
    for _ in range(REPEATS):
        lon = rng.uniform(119.677, 120.341, POINTS)
        lat = rng.uniform(30.162, 30.566, POINTS)
        start = time.perf_counter()
        grid = layout.locate(lon, lat)
        rates.append(POINTS / (time.perf_counter() - start))
        found = float((grid >= 0).mean())
    print(
        json.dumps(
            {
                "bench": "geo_locate",
                "points": POINTS,
                "repeats": REPEATS,
                "median_points_per_s": round(statistics.median(rates)),
                "inside_share": round(found, 4),
                "build_seconds": round(build_seconds, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
