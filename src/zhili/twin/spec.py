"""How big a twin to make and from which seed: every count derives from the seed's figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The seed's district (2019): the figures a scale of 1.0 reproduces.
RESIDENTS = 3_200_000
MIGRANTS = 1_800_000
HOUSES = 1_000_000
ENTERPRISES = 250_000
HISTORY_EVENTS = 790_000
FULL_TIME_GRID_WORKERS = 1_590
PART_TIME_GRID_WORKERS = 36_000
CONSTRUCTION_PROJECTS = 3_000
# The pilot community 昌运里 (谢村村, 良渚街道).
PILOT_FLATS = 1_546
PILOT_RENTED = 1_030
PILOT_CAMERAS = 210
PILOT_FACADE_CAMERAS = 47

# The world is observed as of mid-2019 (the seed's "end of June" figures).
REFERENCE_DATE = dt.date(2019, 6, 30)


@dataclass(frozen=True)
class TwinSpec:
    scale: float = 0.01
    seed: int = 7

    def __post_init__(self) -> None:
        if not 0.0001 <= self.scale <= 2.0:
            raise ValueError(f"scale must be within 0.0001..2.0, got {self.scale}")

    def count(self, full: int, minimum: int = 1) -> int:
        """A seed figure scaled to this twin, never below `minimum`."""
        return max(minimum, round(full * self.scale))

    @property
    def pilot_factor(self) -> float:
        """The pilot community is kept whole from scale 0.01 up (the demo's scale, so the
        scenarios see all 1,546 flats and 47 façade cameras) and shrunk below it, so that it
        never outweighs the district it sits in (at 0.001 whole it would be all the people)."""
        return min(1.0, self.scale * 100)
