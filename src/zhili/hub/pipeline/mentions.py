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
    return extract_all(lake, contracts, (entity,))[entity]


def extract_all(
    lake: Path, contracts: dict[str, Contract], entities: tuple[str, ...]
) -> dict[str, pl.DataFrame]:
    """Mentions of several entity types, reading each current table once."""
    frames: dict[str, list[pl.DataFrame]] = {e: [] for e in entities}
    for contract in contracts.values():
        for table in contract.tables.values():
            wanted: dict[tuple[str, str], dict[str, pl.Expr]] = {}
            for name, spec in table.fields.items():
                for target in spec.targets():
                    if target.entity in frames:
                        key = (target.entity, target.role)
                        wanted.setdefault(key, {})[target.field] = _column(name, spec)
            if not wanted:
                continue
            current = read_current(lake, contract.system, table.name)
            if current is None:
                continue
            rows = current.collect()
            for (entity, role), fields in wanted.items():
                frames[entity].append(
                    rows.select(
                        pl.lit(source_name(contract.system, table.name)).alias("source"),
                        pl.col(table.key).cast(pl.Utf8).alias("record_id"),
                        pl.lit(role).alias("role"),
                        *[expr.alias(field) for field, expr in fields.items()],
                    )
                )
    empty = pl.DataFrame(schema={"source": pl.Utf8, "record_id": pl.Utf8, "role": pl.Utf8})
    return {e: pl.concat(fs, how="diagonal_relaxed") if fs else empty for e, fs in frames.items()}
