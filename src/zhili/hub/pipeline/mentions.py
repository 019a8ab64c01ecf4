"""Mentions: every place a source row speaks of an entity (a row of the household register
mentions a person and a house; the enterprise register an enterprise and its legal
representative), with the canonical fields the contract maps, as text."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zhili.hub.contracts.schema import Contract, FieldSpec
from zhili.hub.ingest import read_current


def source_name(system: str, table: str) -> str:
    """How a table is named in links: the system alone when its one table shares its name."""
    return system if table == system else f"{system}/{table}"


def _column(name: str, spec: FieldSpec) -> pl.Expr:
    col = pl.col(name).cast(pl.Utf8)
    if spec.codes and spec.type != "bool":
        # Code lists map a system's values onto the canonical ones (男 → M, 1 → M).
        mapping = {k: str(v) for k, v in spec.codes.items()}
        col = col.replace_strict(mapping, default=col)
    return col


def extract_mentions(lake: Path, contracts: dict[str, Contract], entity: str) -> pl.DataFrame:
    """All mentions of one entity type: source, record_id, role and its canonical fields."""
    frames: list[pl.DataFrame] = []
    for contract in contracts.values():
        for table in contract.tables.values():
            by_role: dict[str, dict[str, pl.Expr]] = {}
            for name, spec in table.fields.items():
                for target in spec.targets():
                    if target.entity == entity:
                        by_role.setdefault(target.role, {})[target.field] = _column(name, spec)
            if not by_role:
                continue
            current = read_current(lake, contract.system, table.name)
            if current is None:
                continue
            rows = current.collect()
            for role, fields in by_role.items():
                frames.append(
                    rows.select(
                        pl.lit(source_name(contract.system, table.name)).alias("source"),
                        pl.col(table.key).cast(pl.Utf8).alias("record_id"),
                        pl.lit(role).alias("role"),
                        *[expr.alias(field) for field, expr in fields.items()],
                    )
                )
    if not frames:
        return pl.DataFrame(schema={"source": pl.Utf8, "record_id": pl.Utf8, "role": pl.Utf8})
    return pl.concat(frames, how="diagonal_relaxed")
