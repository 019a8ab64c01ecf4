"""The World: named truth tables (polars DataFrames) plus the facts scenarios need by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from zhili.geo import DistrictLayout
from zhili.twin.spec import TwinSpec


@dataclass
class World:
    spec: TwinSpec
    layout: DistrictLayout
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    # Ids of the entities the seed's scenarios are about (e.g. S7's bankrupt developer).
    facts: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name]

    def __setitem__(self, name: str, table: pl.DataFrame) -> None:
        self.tables[name] = table
