"""`zhili community load-twin`: the places that carry QR codes and the gates' credential
register, from the twin (standing in for the housing department's buildings and the property
managers' registers).

Reloading keeps every issued token: a code printed and stuck on a door must keep working.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import polars as pl
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from zhili.community.models import CommunityCredential, CommunityPlace

TOKEN_BYTES = 16  # 128 bits: not guessable, short enough for a small QR code


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def place_frames(twin: Path) -> pl.DataFrame:
    """Every building and every rented dwelling, with its label and area."""
    truth = twin / "truth"
    compounds = pl.read_parquet(truth / "compounds.parquet").select(
        "compound_id", pl.col("name").alias("compound_name"), "grid_code"
    )
    b = pl.read_parquet(truth / "buildings.parquet").join(compounds, on="compound_id", how="left")
    buildings = b.select(
        pl.lit("building").alias("kind"),
        pl.col("building_id").alias("ref"),
        "building_id",
        "compound_id",
        "compound_name",
        "grid_code",
        pl.format("{}{}幢", "compound_name", "number").alias("label"),
        "floors",
        pl.lit(None, pl.Int64).alias("unit"),
        pl.lit(None, pl.Int64).alias("floor"),
        pl.lit(None, pl.Utf8).alias("room"),
        pl.lit(False).alias("rented"),
        "lon",
        "lat",
    ).filter(pl.col("grid_code").is_not_null())
    h = pl.read_parquet(truth / "houses.parquet").filter(pl.col("rented"))
    flat = pl.col("kind") == "flat"
    flats = h.select(
        pl.lit("flat").alias("kind"),
        pl.col("house_id").alias("ref"),
        "building_id",
        "compound_id",
        "compound_name",
        "grid_code",
        pl.when(flat)
        .then(pl.format("{}{}幢{}单元{}室", "compound_name", "building_no", "unit", "room"))
        .otherwise(pl.format("{}{}组{}号", "village_name", "group", "number"))
        .alias("label"),
        pl.col("building_floors").alias("floors"),
        pl.when(flat).then(pl.col("unit").cast(pl.Int64)).alias("unit"),
        pl.when(flat).then(pl.col("floor").cast(pl.Int64)).alias("floor"),
        pl.when(flat).then(pl.col("room").cast(pl.Utf8)).alias("room"),
        pl.lit(True).alias("rented"),
        "lon",
        "lat",
    )
    return pl.concat([buildings, flats], how="vertical_relaxed")


def load_places(session: Session, twin: Path, batch: int = 20_000) -> dict[str, int]:
    places = place_frames(twin)
    known = set(session.scalars(select(CommunityPlace.ref)))
    fresh = places.filter(~pl.col("ref").is_in(list(known))) if known else places
    now = _now()
    for chunk in fresh.iter_slices(batch):
        rows = chunk.to_dicts()
        for r in rows:
            r["token"] = new_token()
            r["token_issued_at"] = now
        session.execute(insert(CommunityPlace), rows)
    return {"places": places.height, "codes_issued": fresh.height}


def credential_frame(twin: Path) -> pl.DataFrame:
    """The property register's rows matched to flats by compound and room (as the hub would
    match them), and to persons through the twin's links (standing in for fusion)."""
    path = twin / "sources" / "property_access" / "residents.jsonl"
    if not path.exists():
        return pl.DataFrame()
    reg = pl.read_ndjson(path)
    parts = pl.col("room").str.split_exact("-", 2)
    reg = reg.with_columns(
        parts.struct.field("field_0").cast(pl.Int64, strict=False).alias("b"),
        parts.struct.field("field_1").cast(pl.Int64, strict=False).alias("u"),
        parts.struct.field("field_2").cast(pl.Int64, strict=False).alias("r"),
    )
    houses = pl.read_parquet(twin / "truth" / "houses.parquet").filter(pl.col("kind") == "flat")
    houses = houses.select(
        pl.col("compound_id").alias("xiaoqu"),
        pl.col("building_no").cast(pl.Int64).alias("b"),
        pl.col("unit").cast(pl.Int64).alias("u"),
        pl.col("room").cast(pl.Int64).alias("r"),
        "house_id",
        "grid_code",
        "lon",
        "lat",
    ).unique(subset=["xiaoqu", "b", "u", "r"], keep="first")
    reg = reg.join(houses, on=["xiaoqu", "b", "u", "r"], how="left")
    links = pl.read_parquet(twin / "truth" / "links.parquet").filter(
        (pl.col("source") == "property_access/residents") & (pl.col("entity_type") == "person")
    )
    reg = reg.join(
        links.select("record_id", pl.col("entity_id").alias("person_id")),
        on="record_id",
        how="left",
    )
    compounds = pl.read_parquet(twin / "truth" / "compounds.parquet").select(
        pl.col("compound_id").alias("xiaoqu"),
        pl.col("name").alias("compound_name"),
        pl.col("grid_code").alias("compound_grid"),
    )
    reg = reg.join(compounds, on="xiaoqu", how="left")
    return reg.select(
        "credential_id",
        pl.col("xiaoqu").alias("compound_id"),
        "compound_name",
        "house_id",
        pl.col("room").alias("house_label"),
        "person_id",
        pl.col("identity").alias("role"),
        pl.col("grid_code").fill_null(pl.col("compound_grid")).alias("grid_code"),
        "lon",
        "lat",
    ).filter(pl.col("grid_code").is_not_null())


def load_twin(session: Session, twin: Path, batch: int = 20_000) -> dict[str, int]:
    """Places and codes (kept across reloads) and the credential register (mirrored). The
    cameras are the device registry's (`zhili devices load`)."""
    counts = load_places(session, twin, batch)
    session.execute(delete(CommunityCredential))
    creds = credential_frame(twin)
    for chunk in creds.iter_slices(batch):
        session.execute(insert(CommunityCredential), chunk.to_dicts())
    session.commit()
    return {**counts, "credentials": creds.height}
