"""Person records derived from the twin's truth with the errors department systems make:
each true person three times, with wrong digits, missing ids, same-sound names, missing
phones and addresses (the house id stands in for a parsed address)."""

from __future__ import annotations

import numpy as np
import polars as pl
from pypinyin import lazy_pinyin

from zhili.twin.names import HOMOPHONES


def person_copies(persons: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Three copies of each person with department-style errors: a wrong ID digit, no ID,
    a same-sound surname character, no phone, no address (the house the record names)."""
    base = persons.select(
        pl.col("person_id").alias("entity_id"),
        "id_number",
        "name",
        "sex",
        pl.col("birth_date").cast(pl.Utf8),
        "phone",
        pl.col("house_id").alias("address"),
    )
    copies = pl.concat([base] * 3).with_row_index("unique_id")
    n = copies.height
    ids = copies["id_number"].to_list()
    names = copies["name"].to_list()
    phones = copies["phone"].to_list()
    addresses = copies["address"].to_list()
    for i in np.flatnonzero(rng.random(n) < 0.03):
        k = int(rng.integers(0, 17))
        ids[i] = ids[i][:k] + str((int(ids[i][k]) + 1) % 10) + ids[i][k + 1 :]
    for i in np.flatnonzero(rng.random(n) < 0.15):
        ids[i] = None
    for i in np.flatnonzero(rng.random(n) < 0.03):
        names[i] = "".join(HOMOPHONES.get(c, c) for c in names[i][:1]) + names[i][1:]
    for i in np.flatnonzero(rng.random(n) < 0.5):
        phones[i] = None
    for i in np.flatnonzero(rng.random(n) < 0.4):
        addresses[i] = None
    out = copies.with_columns(
        id_number=pl.Series(ids, dtype=pl.Utf8),
        name=pl.Series(names, dtype=pl.Utf8),
        phone=pl.Series(phones, dtype=pl.Utf8),
        address=pl.Series(addresses, dtype=pl.Utf8),
    )
    pinyin = {n: " ".join(lazy_pinyin(n)) for n in out["name"].unique().to_list()}
    return out.with_columns(
        name_pinyin=pl.col("name").replace_strict(pinyin),
        id_region=pl.col("id_number").str.slice(0, 6),
    )
