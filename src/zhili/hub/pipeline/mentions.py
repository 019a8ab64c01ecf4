"""Mentions: every place a source row speaks of an entity (a row of the household register
mentions a person and a house; the enterprise register an enterprise and its legal
representative), with the canonical fields the contract maps, as text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from zhili.hub.contracts.schema import Contract, FieldSpec
from zhili.hub.ingest import read_current
from zhili.hub.ingest.lake import current_batches, raw_path


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


def _plan(
    contracts: dict[str, Contract], entities: tuple[str, ...]
) -> Iterator[tuple[Contract, str, str, dict[tuple[str, str], dict[str, tuple[str, FieldSpec]]]]]:
    """Per source table that mentions any of `entities`: the contract, the table's name, its
    key column, and per (entity, role) the canonical fields with the column and its spec."""
    for contract in contracts.values():
        for table in contract.tables.values():
            wanted: dict[tuple[str, str], dict[str, tuple[str, FieldSpec]]] = {}
            for name, spec in table.fields.items():
                for target in spec.targets():
                    if target.entity in entities:
                        key = (target.entity, target.role)
                        wanted.setdefault(key, {})[target.field] = (name, spec)
            if wanted:
                yield contract, table.name, table.key, wanted


def _frames(
    lake: Path, contracts: dict[str, Contract], entities: tuple[str, ...]
) -> Iterator[tuple[str, pl.DataFrame]]:
    """(entity, mentions of one role in one source table), reading each current table once."""
    for contract, table, key, wanted in _plan(contracts, entities):
        current = read_current(lake, contract.system, table)
        if current is None:
            continue
        rows = current.collect()
        for (entity, role), fields in wanted.items():
            yield (
                entity,
                rows.select(
                    pl.lit(source_name(contract.system, table)).alias("source"),
                    pl.col(key).cast(pl.Utf8).alias("record_id"),
                    pl.lit(role).alias("role"),
                    *[_column(*column).alias(field) for field, column in fields.items()],
                ),
            )
        del rows


def extract_all(
    lake: Path, contracts: dict[str, Contract], entities: tuple[str, ...]
) -> dict[str, pl.DataFrame]:
    """Mentions of several entity types, reading each current table once."""
    frames: dict[str, list[pl.DataFrame]] = {e: [] for e in entities}
    for entity, frame in _frames(lake, contracts, entities):
        frames[entity].append(frame)
    empty = pl.DataFrame(schema={"source": pl.Utf8, "record_id": pl.Utf8, "role": pl.Utf8})
    return {e: pl.concat(fs, how="diagonal_relaxed") if fs else empty for e, fs in frames.items()}


def mention_fields(contracts: dict[str, Contract], entity: str) -> list[str]:
    """The canonical fields of `entity`'s mentions, in the order `extract_all` gives them
    (first appearance over the contracts' tables)."""
    seen: dict[str, None] = {}
    for _, _, _, wanted in _plan(contracts, (entity,)):
        for fields in wanted.values():
            seen.update(dict.fromkeys(fields))
    return list(seen)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_column(name: str, spec: FieldSpec) -> str:
    """`_column` in DuckDB's SQL."""
    col = f'CAST("{name}" AS VARCHAR)'
    if spec.codes and spec.type != "bool":
        cases = " ".join(
            f"WHEN {_literal(k)} THEN {_literal(str(v))}" for k, v in spec.codes.items()
        )
        col = f"CASE {col} {cases} ELSE {col} END"
    return col


def mention_sql(
    lake: Path, contracts: dict[str, Contract], entity: str, fields: list[str] | None = None
) -> str | None:
    """A DuckDB query over the lake's current parquet files giving `entity`'s mentions:
    source, record_id, role and `fields` (default: every field, in `mention_fields`'
    order; null where a table does not carry it), the rows `extract_all` gives. With
    `fields`, only the tables and roles that carry one of them. None: no such table."""
    batches = {
        (system, table): batch
        for system, table, batch in current_batches(lake)
        .select("system", "table", "batch")
        .iter_rows()
    }
    every = mention_fields(contracts, entity) if fields is None else fields
    parts = []
    for contract, table, key, wanted in _plan(contracts, (entity,)):
        batch = batches.get((contract.system, table))
        if batch is None:
            continue
        path = raw_path(lake, contract.system, table, batch)
        for (_, role), columns in wanted.items():
            if fields is not None and not any(f in columns for f in fields):
                continue
            selected = ", ".join(
                f'{_sql_column(*columns[f]) if f in columns else "NULL::VARCHAR"} AS "{f}"'
                for f in every
            )
            parts.append(
                f"SELECT {_literal(source_name(contract.system, table))} AS source, "
                f'CAST("{key}" AS VARCHAR) AS record_id, {_literal(role)} AS role, {selected} '
                f"FROM read_parquet({_literal(str(path))})"
            )
    return "\nUNION ALL\n".join(parts) if parts else None
