"""Masters for entities that carry a reliable key of their own: a construction project is its
project number (项目编号), a bank account its account number. Written in the same link format
as the fused entities (source, record_id, role, master_id)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zhili.hub.contracts import load_contracts
from zhili.hub.pipeline.mentions import extract_all

# entity -> (canonical field that keys it, master id prefix)
KEYED: dict[str, tuple[str, str]] = {"project": ("id", "MJ"), "account": ("number", "MA")}


def _standard_key(entity: str, values: pl.Expr) -> pl.Expr:
    text = values.cast(pl.Utf8).str.strip_chars()
    if entity == "account":
        # Banks print account numbers with spaces or dashes between groups of digits.
        return text.str.replace_all(r"[\s\-]", "")
    return text.str.to_uppercase().str.replace_all(r"\s", "")


def key_links(
    lake: Path, mentions: dict[str, pl.DataFrame] | None = None
) -> dict[str, pl.DataFrame]:
    """Write lake/master/<entity>_links.parquet for every keyed entity; return the links,
    each with its `key` column (the standardized key) beside the usual four. `mentions`:
    already extracted mentions (at least of the keyed entities), to save reading the lake."""
    if mentions is None:
        mentions = extract_all(lake, load_contracts(), tuple(KEYED))
    out = lake / "master"
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, pl.DataFrame] = {}
    for entity, (field, prefix) in KEYED.items():
        frame = mentions[entity]
        if field not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(field))
        keyed = frame.with_columns(key=_standard_key(entity, pl.col(field))).filter(
            pl.col("key").is_not_null() & (pl.col("key") != "")
        )
        numbers = (
            keyed.sort("source", "record_id", "role")
            .unique("key", keep="first", maintain_order=True)
            .with_row_index("n", offset=1)
            .select(
                "key",
                pl.format(f"{prefix}{{}}", pl.col("n").cast(pl.Utf8).str.zfill(8)).alias(
                    "master_id"
                ),
            )
        )
        links = keyed.join(numbers, on="key", how="left").select(
            "source", "record_id", "role", "master_id", "key"
        )
        links.drop("key").write_parquet(out / f"{entity}_links.parquet")
        result[entity] = links
    return result
