"""`zhili hub load-twin`: copy the twin's residents and raw gate passages into the
operational store, standing in for the fused master data until the data hub (issue #3)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from zhili.hub.models import AccessEvent, Resident


def load_twin(session: Session, twin: Path, batch: int = 20_000) -> dict[str, int]:
    truth = twin / "truth"
    persons = pl.read_parquet(truth / "persons.parquet")
    houses = pl.read_parquet(truth / "houses.parquet").select("house_id", "address")
    p = persons.join(houses, on="house_id", how="left").select(
        "person_id",
        "name",
        "id_number",
        "sex",
        "birth_date",
        "phone",
        "address",
        "migrant",
        "elderly_alone",
        "grid_code",
    )
    session.execute(delete(AccessEvent))
    session.execute(delete(Resident))
    for chunk in p.iter_slices(batch):
        session.execute(insert(Resident), chunk.to_dicts())
    events = _access_events(twin, persons)
    for chunk in events.iter_slices(batch):
        session.execute(insert(AccessEvent), chunk.to_dicts())
    session.commit()
    return {"residents": p.height, "access_events": events.height}


def _access_events(twin: Path, persons: pl.DataFrame) -> pl.DataFrame:
    path = twin / "sources" / "property_access" / "access_events.jsonl"
    if not path.exists():
        return pl.DataFrame()
    raw = pl.read_ndjson(path)
    links = pl.read_parquet(twin / "truth" / "links.parquet").filter(
        (pl.col("source") == "property_access/access_events") & (pl.col("entity_type") == "person")
    )
    raw = raw.join(
        links.select("record_id", pl.col("entity_id").alias("person_id")),
        on="record_id",
        how="left",
    )
    raw = raw.join(persons.select("person_id", "grid_code"), on="person_id", how="left")
    return raw.select(
        "device_id",
        "credential_id",
        "person_id",
        "grid_code",
        "direction",
        pl.col("passed_at").str.to_datetime("%Y-%m-%d %H:%M:%S"),
    ).filter(pl.col("grid_code").is_not_null())
