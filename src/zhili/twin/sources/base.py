"""What a department system is, and how its export is described.

A system renders one or more tables from the World. Columns starting with "__" carry the
truth (which entity a row is about) and never reach the export: `writers.py` splits them
into truth/links.parquet. "__person" is the row's subject; "__person:legal_rep" names a role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from zhili.twin.world import World

FORMATS = ("csv-utf8", "csv-utf8-bom", "csv-gbk", "xlsx", "jsonl", "sqlite")
ENTITY_TYPES = (
    "person",
    "house",
    "enterprise",
    "vehicle",
    "project",
    "account",
    "event",
    "device",
    "school",
)


@dataclass(frozen=True)
class Table:
    name: str
    rows: pl.DataFrame  # export columns, then "__entity[:role]" truth columns


Renderer = Callable[[World, np.random.Generator], list[Table]]


@dataclass(frozen=True)
class SourceSystem:
    name: str  # folder name, e.g. "police_household"
    department: str  # the department or unit that runs it, e.g. 余杭区公安分局
    title: str  # the system's own name, e.g. 常住人口信息管理系统
    format: str
    render: Renderer
    description: str = ""

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"{self.name}: unknown format {self.format!r}")


def truth_columns(df: pl.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith("__")]
