"""How well the standardizers do against a generated twin's truth.

Address accuracy: for every source record linked to a house (truth/links.parquet,
entity_type "house"), does the canonical form of the address the department wrote equal the
canonical form of the house's true address? Reported per written form (full, town, short,
district: see `zhili.twin.sources.noise.addresses`), per source and overall.

This reads the twin's files directly (a small reader, not the ingest pipeline), so the
standardizers can be measured on their own.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import polars as pl

from zhili.hub.standardize.address import parse_addresses
from zhili.hub.standardize.names import normalize_names

# Source (as links.parquet names it) -> the column holding the linked house's address.
HOUSE_ADDRESS_COLUMNS: dict[str, str] = {
    "civil_affairs/care_list": "居住地址",
    "education_students/students": "家庭住址",
    "health_births/birth_certificates": "家庭住址",
    "petitions": "住址",
    "police_floating/floating_population": "现住址",
    "police_floating/rental_housing": "出租房屋地址",
    "police_household/household_register": "HJDZ",
    "power_accounts/accounts": "用电地址",
    "water_accounts/accounts": "用水地址",
}
# Source -> the column holding the linked person's name (role "subject").
PERSON_NAME_COLUMNS: dict[str, str] = {
    "police_household/household_register": "XM",
    "police_floating/floating_population": "姓名",
    "civil_affairs/care_list": "姓名",
    "telecom/real_name": "cust_name",
    "petitions": "信访人",
    "labour_inspection/complaints": "投诉人",
    "mediation/cases": "当事人甲",
}
FORMS = ("full", "town", "short", "district")


def _source_files(twin: Path) -> dict[str, tuple[Path, str]]:
    """links source name -> (file, table name) from summary.json."""
    summary = json.loads((twin / "summary.json").read_text(encoding="utf-8"))
    out: dict[str, tuple[Path, str]] = {}
    for system in summary["sources"]:
        for f in system["files"]:
            table = f["table"]
            name = system["name"] if table == system["name"] else f"{system['name']}/{table}"
            out[name] = (twin / "sources" / f["file"], table)
    return out


def read_source(twin: Path, source: str, columns: list[str]) -> pl.DataFrame:
    """Some columns of one source table, all as text."""
    path, table = _source_files(twin)[source]
    if path.suffix == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gbk")
        df = pl.read_csv(text.encode("utf-8"), infer_schema=False, columns=columns)
    elif path.suffix == ".jsonl":
        df = pl.read_ndjson(path).select(columns)
    elif path.suffix == ".xlsx":
        df = pl.read_excel(path, engine="openpyxl", columns=columns)
    elif path.suffix == ".sqlite":
        with sqlite3.connect(path) as con:
            cols = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'SELECT {cols} FROM "{table}"').fetchall()
        df = pl.DataFrame(rows, schema=columns, orient="row")
    else:
        raise ValueError(f"unknown source format: {path}")
    return df.select(pl.col(c).cast(pl.String) for c in columns)


def _house_forms(houses: pl.DataFrame) -> pl.DataFrame:
    """house_id and each written form of its address, as the twin writes them."""
    from zhili.twin.sources.common import HOUSE_ADDRESS_COLUMNS as COLS
    from zhili.twin.sources.noise import addresses

    h = houses.select(COLS)
    rng = np.random.default_rng(0)  # one style per call: the draw does not matter
    return h.select("house_id").with_columns(
        **{form: addresses(h, rng, {form: 1.0}) for form in FORMS}
    )


def house_address_records(twin: Path) -> pl.DataFrame:
    """source, record_id, house_id, address (as written), form, for every house link."""
    links = pl.read_parquet(twin / "truth" / "links.parquet").filter(
        pl.col("entity_type") == "house"
    )
    parts = []
    for source, column in HOUSE_ADDRESS_COLUMNS.items():
        rows = read_source(twin, source, ["record_id", column]).rename({column: "address"})
        mine = links.filter(pl.col("source") == source).select(
            "source", "record_id", pl.col("entity_id").alias("house_id")
        )
        parts.append(mine.join(rows, on="record_id", how="inner"))
    records = pl.concat(parts)
    houses = pl.read_parquet(twin / "truth" / "houses.parquet")
    forms = _house_forms(houses)
    records = records.join(forms, on="house_id", how="left")
    form = pl.lit("other")
    for f in reversed(FORMS):
        form = pl.when(pl.col("address") == pl.col(f)).then(pl.lit(f)).otherwise(form)
    return records.with_columns(form=form).select(
        "source", "record_id", "house_id", "address", "form"
    )


def address_accuracy(twin: Path) -> dict:
    """Share of house-linked source addresses whose canonical form equals the truth's.

    All source addresses are parsed in one call, so the compound index is learnt from every
    department's addresses together (the truth is never used to learn it).
    """
    records = house_address_records(twin)
    parsed = parse_addresses(records["address"])
    houses = pl.read_parquet(twin / "truth" / "houses.parquet").select("house_id", "address")
    truth = parse_addresses(houses["address"], learn=False)
    houses = houses.with_columns(truth_canonical=truth["canonical"])
    scored = (
        records.with_columns(canonical=parsed["canonical"], kind=parsed["kind"])
        .join(houses.select("house_id", "truth_canonical"), on="house_id", how="left")
        .with_columns(ok=(pl.col("canonical") == pl.col("truth_canonical")).fill_null(False))
    )

    def shares(by: str) -> dict[str, dict[str, float | int]]:
        g = scored.group_by(by).agg(pl.col("ok").mean().alias("share"), pl.len().alias("n"))
        return {
            str(k): {"share": round(float(s), 5), "n": int(n)} for k, s, n in g.sort(by).iter_rows()
        }

    return {
        "records": scored.height,
        "overall": round(float(scored["ok"].mean()), 5),
        "by_form": shares("form"),
        "by_source": shares("source"),
        "truth_parsed": round(float((truth["kind"] != "unparsed").mean()), 5),
        "failures": scored.filter(~pl.col("ok"))
        .select("source", "address", "canonical", "truth_canonical")
        .head(20)
        .to_dicts(),
    }


def name_accuracy(twin: Path) -> dict:
    """Share of person names equal to the true name after normalisation, per source.

    Homophone mistakes remain by design, so the share stays just below 1; what must vanish
    are the traditional and spaced variants (counted separately by what the raw text had).
    """
    links = pl.read_parquet(twin / "truth" / "links.parquet").filter(
        (pl.col("entity_type") == "person") & (pl.col("role") == "subject")
    )
    persons = pl.read_parquet(twin / "truth" / "persons.parquet").select(
        pl.col("person_id"), pl.col("name").alias("truth")
    )
    parts = []
    for source, column in PERSON_NAME_COLUMNS.items():
        if source not in _source_files(twin):
            continue
        rows = read_source(twin, source, ["record_id", column]).rename({column: "raw"})
        mine = links.filter(pl.col("source") == source).select(
            "source", "record_id", pl.col("entity_id").alias("person_id")
        )
        parts.append(mine.join(rows, on="record_id", how="inner"))
    records = pl.concat(parts).join(persons, on="person_id", how="left")
    records = records.filter(pl.col("raw").is_not_null()).with_columns(
        name=normalize_names(records.filter(pl.col("raw").is_not_null())["raw"])
    )
    records = records.with_columns(
        raw_ok=pl.col("raw") == pl.col("truth"),
        ok=pl.col("name") == pl.col("truth"),
        same_length=pl.col("name").str.len_chars() == pl.col("truth").str.len_chars(),
    )
    repaired = records.filter(~pl.col("raw_ok") & pl.col("ok")).height
    broken = records.filter(~pl.col("ok"))
    return {
        "records": records.height,
        "raw_equal": round(float(records["raw_ok"].mean()), 5),
        "normalized_equal": round(float(records["ok"].mean()), 5),
        "repaired": repaired,
        "remaining": broken.height,
        "remaining_examples": broken.select("raw", "name", "truth").head(10).to_dicts(),
    }
