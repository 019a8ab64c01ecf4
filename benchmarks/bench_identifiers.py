"""Generation rates of zhili.identifiers: prints one JSON line (median ids/s over repeats).

.venv/bin/python benchmarks/bench_identifiers.py [--n 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np

from zhili.identifiers import credit_code, origins, phone, plate, resident_id


def _median_rate(fn: Callable[[], np.ndarray], n: int, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
        assert out.shape == (n,)
    return n / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    n, repeats = args.n, args.repeats
    rng = np.random.default_rng(args.seed)

    # Realistic inputs: half local (Yuhang codes by birth date), half from origin counties.
    birth = np.datetime64("1940-01-01") + rng.integers(0, 29_000, n).astype("timedelta64[D]")
    local = rng.random(n) < 0.5
    area = np.where(local, origins.yuhang_area_code(birth), origins.sample_origin_codes(rng, n))
    male = rng.random(n) < 0.51
    seq = resident_id.assign_seq(area, birth, rng)
    kind = rng.choice(np.array(["enterprise", "individual", "cooperative"]), n, p=[0.5, 0.45, 0.05])
    firm_area = rng.choice(np.array([330110, 330106, 330102]), n)

    def assign() -> np.ndarray:
        return resident_id.assign_seq(area, birth, rng)

    rates = {
        "n": n,
        "repeats": repeats,
        "resident_ids_per_s": _median_rate(
            lambda: resident_id.make_ids(area, birth, seq, male), n, repeats
        ),
        "resident_ids_with_assign_seq_per_s": _median_rate(
            lambda: resident_id.make_ids(area, birth, assign(), male), n, repeats
        ),
        "credit_codes_per_s": _median_rate(
            lambda: credit_code.make_codes(firm_area, rng, kind), n, repeats
        ),
        "phones_per_s": _median_rate(lambda: phone.make_numbers(rng, n), n, repeats),
        "plates_per_s": _median_rate(lambda: plate.make_plates(rng, n), n, repeats),
    }
    print(json.dumps({k: round(v) if isinstance(v, float) else v for k, v in rates.items()}))


if __name__ == "__main__":
    main()
