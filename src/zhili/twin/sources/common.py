"""Views of the world that many systems share (a person with their house's address parts)."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.world import World

HOUSE_ADDRESS_COLUMNS = [
    "house_id",
    "kind",
    "address",
    "town_name",
    "village_name",
    "compound_name",
    "building_no",
    "unit",
    "room",
    "group",
    "number",
]
SEX_GB = {"M": "1", "F": "2"}  # GB/T 2261.1 sex codes
SEX_CN = {"M": "男", "F": "女"}


def houses_for(world: World, house_ids: pl.Series) -> pl.DataFrame:
    """The address parts of the given houses, in the given order (nulls stay null)."""
    h = world["houses"].select(HOUSE_ADDRESS_COLUMNS)
    return pl.DataFrame({"house_id": house_ids}).join(
        h, on="house_id", how="left", maintain_order="left"
    )


def record_ids(prefix: str, n: int, width: int = 8) -> pl.Series:
    numbers = pl.int_range(1, n + 1, eager=True).cast(pl.Utf8).str.zfill(width)
    return (prefix + numbers).alias("record_id")


def sample_rows(df: pl.DataFrame, rng: np.random.Generator, rate: float) -> pl.DataFrame:
    """A system's coverage: the share of the truth it has ever recorded."""
    return df.filter(pl.Series(rng.random(df.height) < rate))


def town_short(name: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    return name.str.replace("街道$", "").str.replace("镇$", "")


def concat(*parts: pl.Series | str, ignore_nulls: bool = False) -> pl.Series:
    """Concatenate series and literal strings row-wise into one Utf8 series."""
    exprs = [pl.lit(p) if isinstance(p, str) else pl.lit(p).cast(pl.Utf8) for p in parts]
    return pl.select(pl.concat_str(exprs, ignore_nulls=ignore_nulls)).to_series()


def parents_of(persons: pl.DataFrame, households: pl.Series) -> pl.DataFrame:
    """household_id -> mother and father for the given households: the woman and the man among
    the household's head and spouse (the adults whose children the household's children are)."""
    adults = persons.filter(
        pl.col("household_id").is_in(households.unique().implode())
        & pl.col("relation").is_in(["户主", "配偶"])
        & (pl.col("age") >= 18)
    )
    cols = ["household_id", "person_id", "name", "id_number", "phone"]
    mothers = adults.filter(pl.col("sex") == "F").select(cols).unique("household_id", keep="first")
    fathers = adults.filter(pl.col("sex") == "M").select(cols).unique("household_id", keep="first")
    return mothers.join(fathers, on="household_id", how="full", coalesce=True, suffix="_f")
