"""Plausible 2019 figures for each town: where it lies, how large, how many live there.

Only the names, codes and the district outline are real. These figures are rounded guesses
in the spirit of public 2019 statistics (district: about 1,222 km², 3.2 million residents of
whom 1.8 million migrants); they make the twin look like Yuhang, not reproduce it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .divisions import LINPING, YUHANG

DISTRICT_RESIDENTS = 3_200_000
DISTRICT_MIGRANTS = 1_800_000
MIGRANT_SHARE = DISTRICT_MIGRANTS / DISTRICT_RESIDENTS  # 0.5625, the highest in Zhejiang


@dataclass(frozen=True)
class TownProfile:
    code: str
    county: str  # today's county whose outline holds the town
    lon: float  # seed of the town's region, near its real centre, inside its county
    lat: float
    area_km2: float  # relative target, rescaled to the county's area
    pop: float  # share of the district's residents (normalised to sum 1)
    migrant: float  # raw share of migrants, shifted so the district total is 0.5625
    urban: bool


_L, _Y = LINPING, YUHANG

# fmt: off
PROFILES: tuple[TownProfile, ...] = (
    # Old Linping city: small, dense, long-settled
    TownProfile("330110001", _L, 120.300, 30.420,  12, 0.065, 0.42, True),   # 临平街道
    TownProfile("330110002", _L, 120.290, 30.398,  16, 0.065, 0.48, True),   # 南苑街道
    TownProfile("330110003", _L, 120.318, 30.445,  36, 0.075, 0.58, True),   # 东湖街道 (dev. zone)
    TownProfile("330110004", _L, 120.240, 30.400,  34, 0.070, 0.66, True),   # 星桥街道
    TownProfile("330110005", _Y, 120.050, 30.270,  31, 0.090, 0.72, True),   # 五常街道 (west city)
    TownProfile("330110006", _L, 120.280, 30.350,  48, 0.085, 0.75, True),   # 乔司街道 (factories)
    TownProfile("330110007", _L, 120.240, 30.470,  48, 0.030, 0.50, True),   # 运河街道
    TownProfile("330110008", _L, 120.170, 30.420,  30, 0.035, 0.55, True),   # 崇贤街道
    TownProfile("330110009", _Y, 120.090, 30.460,  72, 0.035, 0.50, True),   # 仁和街道
    TownProfile("330110010", _Y, 120.060, 30.360,  78, 0.110, 0.62, True),   # 良渚街道 (new town)
    TownProfile("330110011", _Y, 119.980, 30.230,  60, 0.070, 0.55, True),   # 闲林街道
    TownProfile("330110012", _Y, 120.000, 30.300,  40, 0.070, 0.72, True),   # 仓前街道 (sci. city)
    TownProfile("330110013", _Y, 119.930, 30.280,  62, 0.060, 0.50, True),   # 余杭街道
    TownProfile("330110014", _Y, 119.930, 30.200,  80, 0.020, 0.45, False),  # 中泰街道 (hills)
    TownProfile("330110102", _L, 120.190, 30.500,  60, 0.050, 0.45, False),  # 塘栖镇 (water town)
    TownProfile("330110109", _Y, 119.830, 30.370, 155, 0.016, 0.25, False),  # 径山镇 (mountains)
    TownProfile("330110110", _Y, 119.970, 30.400, 120, 0.038, 0.40, False),  # 瓶窑镇
    TownProfile("330110111", _Y, 119.740, 30.460,  95, 0.004, 0.15, False),  # 鸬鸟镇 (mountains)
    TownProfile("330110112", _Y, 119.760, 30.410, 125, 0.004, 0.15, False),  # 百丈镇 (mountains)
    TownProfile("330110113", _Y, 119.840, 30.490,  70, 0.008, 0.22, False),  # 黄湖镇 (mountains)
)
# fmt: on


def profile_by_code() -> dict[str, TownProfile]:
    return {p.code: p for p in PROFILES}


def population_weights(profiles: tuple[TownProfile, ...] = PROFILES) -> np.ndarray:
    pop = np.array([p.pop for p in profiles], dtype=np.float64)
    return pop / pop.sum()


def migrant_shares(
    profiles: tuple[TownProfile, ...] = PROFILES, target: float = MIGRANT_SHARE
) -> np.ndarray:
    """Raw shares moved by one common shift in logit space so the district total is `target`.

    A logit shift keeps every share inside (0, 1) and keeps the towns' order.
    """
    pop = population_weights(profiles)
    raw = np.array([p.migrant for p in profiles], dtype=np.float64)
    logit = np.log(raw / (1 - raw))
    lo, hi = -5.0, 5.0
    for _ in range(100):  # bisection: the weighted mean is monotone in the shift
        mid = (lo + hi) / 2
        mean = float(pop @ (1 / (1 + np.exp(-(logit + mid)))))
        lo, hi = (mid, hi) if mean < target else (lo, mid)
    return 1 / (1 + np.exp(-(logit + (lo + hi) / 2)))
