"""Household composition: who lives together, with ages and sexes that hang together.

Households are drawn by type (an elderly person alone, a nuclear family, three generations...)
with separate mixes for natives and migrants; members get roles (elder, adult, child) whose
ages follow each other (a child is 22-36 years younger than the parent). The mixes are tuned
so the district matches Hangzhou's 2018 age structure (0-14 12.4 %, 15-64 74.5 %, 65+ 13.1 %).
"""

from __future__ import annotations

import numpy as np
import polars as pl

# type: (native weight, migrant weight, elders, adults, children (min, max))
HOUSEHOLD_TYPES: dict[str, tuple[float, float, int, int, tuple[int, int]]] = {
    "elder_alone": (0.110, 0.000, 1, 0, (0, 0)),
    "elder_couple": (0.185, 0.000, 2, 0, (0, 0)),
    "single": (0.060, 0.300, 0, 1, (0, 0)),
    "couple": (0.115, 0.270, 0, 2, (0, 0)),
    "nuclear": (0.260, 0.360, 0, 2, (1, 2)),
    "stem": (0.120, 0.070, 1, 2, (1, 1)),
    "three_gen": (0.150, 0.000, 2, 2, (1, 2)),
}
TYPE_NAMES = list(HOUSEHOLD_TYPES)
SECOND_CHILD_P = 0.25  # of families that could have two children at home
ROLE_ELDER, ROLE_ADULT, ROLE_CHILD = 0, 1, 2


def _type_p(migrant: bool) -> np.ndarray:
    w = np.array([t[1] if migrant else t[0] for t in HOUSEHOLD_TYPES.values()])
    return w / w.sum()


def mean_size(migrant: bool) -> float:
    p = _type_p(migrant)
    sizes = [
        e + a + c[0] + SECOND_CHILD_P * (c[1] - c[0])
        for (_, _, e, a, c) in HOUSEHOLD_TYPES.values()
    ]
    return float(np.dot(p, sizes))


def draw_households(rng: np.random.Generator, n: int, migrant: bool) -> pl.DataFrame:
    """n households of one population (natives or migrants): type and member counts."""
    t = rng.choice(len(TYPE_NAMES), size=n, p=_type_p(migrant))
    spec = list(HOUSEHOLD_TYPES.values())
    elders = np.array([s[2] for s in spec])[t]
    adults = np.array([s[3] for s in spec])[t]
    cmin = np.array([s[4][0] for s in spec])[t]
    cmax = np.array([s[4][1] for s in spec])[t]
    children = cmin + (rng.random(n) < SECOND_CHILD_P) * (cmax - cmin)
    return pl.DataFrame(
        {
            "type": np.array(TYPE_NAMES, dtype=object)[t],
            "elders": elders.astype(np.int8),
            "adults": adults.astype(np.int8),
            "children": children.astype(np.int8),
            "migrant": np.full(n, migrant),
        }
    )


def expand_members(rng: np.random.Generator, households: pl.DataFrame) -> pl.DataFrame:
    """One row per person with household_index, role, position in household, age and sex.

    Ages are in whole years at the reference date; the caller turns them into birth dates.
    """
    n = households.height
    e = households["elders"].to_numpy().astype(np.int64)
    a = households["adults"].to_numpy().astype(np.int64)
    c = households["children"].to_numpy().astype(np.int64)
    migrant = households["migrant"].to_numpy()
    size = e + a + c
    hh = np.repeat(np.arange(n), size)
    start = np.repeat(np.cumsum(size) - size, size)
    pos = np.arange(size.sum()) - start
    # Adults come first (the head is position 0 when there are adults), then elders, children.
    ea = np.repeat(a, size)
    ee = np.repeat(e, size)
    role = np.where(pos < ea, ROLE_ADULT, np.where(pos < ea + ee, ROLE_ELDER, ROLE_CHILD))
    m = np.repeat(migrant, size)

    # The household's anchor age: the adults' age (or the elders' when no adults).
    anchor_adult = np.where(
        migrant,
        rng.gamma(6.0, 4.2, n) + 17,  # migrants peak at 25-40
        rng.uniform(24, 64, n),
    )
    has_kids = c > 0
    # Parents of children at home are younger than the working-age span as a whole.
    anchor_adult = np.where(has_kids, rng.uniform(28, 58, n), anchor_adult)
    anchor_elder = np.where(
        a > 0,
        anchor_adult + rng.uniform(24, 32, n),
        65 + rng.gamma(2.0, 5.5, n),
    )
    noise = rng.normal(0, 2.0, size.sum())
    age_adult = np.repeat(anchor_adult, size) + noise
    age_elder = np.repeat(anchor_elder, size) + noise
    # Children: 22-36 years younger than the parents; siblings a few years apart.
    parent = np.repeat(anchor_adult, size)
    age_child = parent - rng.uniform(22, np.clip(parent, 22.001, 36), size.sum())
    age = np.where(
        role == ROLE_ADULT, age_adult, np.where(role == ROLE_ELDER, age_elder, age_child)
    )
    # Floors (adults 18+, elders 60+ or, living alone, 65+) are met by redrawing just above
    # the floor rather than clipping, which would pile thousands onto one birth date.
    floor = np.select(
        [role == ROLE_ADULT, role == ROLE_ELDER],
        [18.0, np.where(np.repeat(a, size) > 0, 60.0, 65.0)],
        default=0.0,
    )
    low = age < floor
    age = np.where(low, floor + rng.uniform(0, 4, age.size), age)
    high = age > 100
    age = np.where(high, rng.uniform(85, 100, age.size), age)

    # Sex: couples are one man and one woman; lone elders are mostly women (they outlive men).
    first_male = rng.random(n) < np.where(migrant, 0.62, 0.5)
    lone_elder = (a == 0) & (e == 1)
    first_male = np.where(lone_elder, rng.random(n) < 0.3, first_male)
    fm = np.repeat(first_male, size)
    rank_in_role = pos - np.where(role == ROLE_ADULT, 0, np.where(role == ROLE_ELDER, ea, ea + ee))
    male = np.where(
        role == ROLE_CHILD,
        rng.random(size.sum()) < 0.52,
        np.where(rank_in_role % 2 == 0, fm, ~fm),
    )
    return pl.DataFrame(
        {
            "household_index": hh,
            "position": pos.astype(np.int8),
            "role": role.astype(np.int8),
            "age": age,
            "male": male,
            "migrant": m,
        }
    )
