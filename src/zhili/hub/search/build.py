"""`zhili index`: the search index, one DuckDB file (lake/master/search.duckdb) built from the
masters' links, their mentions and the relations.

Tables (sorted by their lookup column, with an ART index on it: a lookup of a few master ids
scattered over the table, as a name's namesakes are, is then an index scan, where zone maps
alone would read most of the table; an integer hash stands in for long key strings):
  masters(entity, master_id, label, area, n_records)
  keys(kind, key_hash, value, entity, master_id)      what a query can match
  records(master_id, entity, source, record_id, role, fields)   fields: the row's JSON
  edges(master_id, relation, direction, other_entity, other_master, source, record_id)
  meta(name, value)                                   builder's DuckDB version, counts
The file is written beside the old one and moved into place, so a running server keeps
answering from the old index until it reopens the new one.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from zhili.geo.layout import DistrictLayout, get_layout
from zhili.hub.contracts import load_contracts
from zhili.hub.fusion.engine import connect_duckdb
from zhili.hub.graph import KEYED, build_relations, key_links, shared_identifier_relations
from zhili.hub.pipeline.fuse import _PREFIX, ENTITIES
from zhili.hub.pipeline.mentions import extract_all
from zhili.hub.search.areas import house_areas, master_areas
from zhili.hub.standardize import normalize_names

log = logging.getLogger(__name__)
INDEX_FILE = "search.duckdb"
ALL_ENTITIES = (*ENTITIES, *KEYED)
_LINK_KEY = ["source", "record_id", "role"]
_MASTER_PREFIX = {**_PREFIX, **{e: prefix for e, (_, prefix) in KEYED.items()}}


def master_prefix(entity: str) -> str:
    return _MASTER_PREFIX[entity]


@dataclass
class IndexReport:
    seconds: dict[str, float] = field(default_factory=dict)
    masters: dict[str, int] = field(default_factory=dict)
    keys: int = 0
    records: int = 0
    edges: int = 0
    path: Path | None = None


def index_path(lake: Path) -> Path:
    return lake / "master" / INDEX_FILE


def _with_master(frame: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    return frame.join(links.select(*_LINK_KEY, "master_id"), on=_LINK_KEY, how="inner")


def _ensure(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """A source set without a column (no system carries it yet) reads as nulls."""
    missing = [pl.lit(None, pl.Utf8).alias(c) for c in columns if c not in frame.columns]
    return frame.with_columns(missing) if missing else frame


def _key_rows(kind: str, entity: str, frame: pl.DataFrame, column: str) -> pl.DataFrame:
    return frame.select(
        pl.lit(kind).alias("kind"),
        pl.col(column).cast(pl.Utf8).alias("value"),
        pl.lit(entity).alias("entity"),
        "master_id",
    ).filter(pl.col("value").is_not_null() & (pl.col("value") != ""))


def _labels(entity: str, frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """A master's label: the value most of its records give."""
    return (
        frame.filter(pl.col(column).is_not_null())
        .group_by("master_id", column)
        .len()
        .sort("master_id", "len", column, descending=[False, True, False])
        .unique("master_id", keep="first", maintain_order=True)
        .select("master_id", pl.col(column).cast(pl.Utf8).alias("label"))
        .with_columns(entity=pl.lit(entity))
    )


def build_index(lake: Path, layout: DistrictLayout | None = None) -> IndexReport:
    report = IndexReport()
    master_dir = lake / "master"
    missing = [
        f"{e}_{kind}.parquet"
        for e in ENTITIES
        for kind in ("links", "prepared")
        if not (master_dir / f"{e}_{kind}.parquet").exists()
    ]
    if missing:
        raise FileNotFoundError(f"{master_dir} lacks {', '.join(missing)}: run `zhili fuse` first")
    layout = layout or get_layout()
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[stage] = round(now - clock, 2)
        clock = now

    mentions = extract_all(lake, load_contracts(), ALL_ENTITIES)
    key_links(lake, mentions)
    relations = build_relations(lake)
    links = {e: pl.read_parquet(master_dir / f"{e}_links.parquet") for e in ALL_ENTITIES}
    lap("graph")

    prepared = {e: pl.read_parquet(master_dir / f"{e}_prepared.parquet") for e in ENTITIES}
    persons = _with_master(prepared["person"], links["person"])
    enterprises = _with_master(prepared["enterprise"], links["enterprise"])
    named = _ensure(mentions["enterprise"], "name")
    enterprises = enterprises.join(
        named.select(*_LINK_KEY, full_name=normalize_names(named["name"])), on=_LINK_KEY, how="left"
    )
    houses = _with_master(prepared["house"], links["house"])
    vehicles = _with_master(prepared["vehicle"], links["vehicle"])
    projects = _ensure(
        _with_master(mentions["project"], links["project"]), "id", "name", "lon", "lat"
    )
    projects = projects.with_columns(name=normalize_names(projects["name"]))
    accounts = _ensure(_with_master(mentions["account"], links["account"]), "number")
    households = _ensure(_with_master(mentions["person"], links["person"]), "household_number")
    implied = shared_identifier_relations(master_dir, persons, households)
    relations = pl.concat([relations, implied])
    relations.write_parquet(master_dir / "relations.parquet")
    lap("standardize")

    keys = pl.concat(
        [
            _key_rows("id_number", "person", persons, "id_number"),
            _key_rows("phone", "person", persons, "phone"),
            _key_rows("name", "person", persons, "name"),
            _key_rows("pinyin", "person", persons, "name_pinyin"),
            _key_rows("credit_code", "enterprise", enterprises, "credit_code"),
            _key_rows("name", "enterprise", enterprises, "full_name"),
            _key_rows("name", "enterprise", enterprises, "name_core"),
            _key_rows("pinyin", "enterprise", enterprises, "name_core_pinyin"),
            _key_rows("address", "house", houses, "canonical"),
            _key_rows("plate", "vehicle", vehicles, "plate"),
            _key_rows("project_id", "project", projects, "id"),
            _key_rows("name", "project", projects, "name"),
            _key_rows("account_number", "account", accounts, "number"),
        ]
    ).unique()
    labels = pl.concat(
        [
            _labels("person", persons, "name"),
            _labels("enterprise", enterprises, "full_name"),
            _labels("house", houses, "canonical"),
            _labels("vehicle", vehicles, "plate"),
            _labels("project", projects, "name"),
            _labels("account", accounts, "number"),
        ]
    )
    all_masters = pl.concat(
        [
            links[e].group_by("master_id").len("n_records").with_columns(entity=pl.lit(e))
            for e in ALL_ENTITIES
        ]
    )
    areas = master_areas(
        all_masters.select("entity", "master_id"),
        relations,
        house_areas(houses.select("master_id", "canonical")),
        enterprises.select("master_id", "town_code"),
        projects.select(
            "master_id",
            pl.col("lon").cast(pl.Float64, strict=False),
            pl.col("lat").cast(pl.Float64, strict=False),
        ).drop_nulls(),
        layout,
    )
    masters = all_masters.join(areas, on=["entity", "master_id"], how="left").join(
        labels, on=["entity", "master_id"], how="left"
    )

    def record_frames() -> Iterator[pl.DataFrame]:
        """Each entity's source rows in turn, in master-id prefix order (MA, ME, MH, MJ, MP,
        MV), so that appending them keeps the table sorted; each entity's mentions are let go
        once written (at scale 1.0 they are the largest thing held)."""
        for e in sorted(ALL_ENTITIES, key=master_prefix):
            frame = _with_master(mentions.pop(e), links[e]).select(
                "master_id",
                pl.lit(e).alias("entity"),
                *_LINK_KEY,
                pl.struct(pl.exclude(*_LINK_KEY, "master_id")).struct.json_encode().alias("fields"),
            )
            report.records += frame.height
            yield frame

    edge_cols = ["relation", "source", "record_id"]
    edges = pl.concat(
        [
            relations.select(
                pl.col("from_master").alias("master_id"),
                *edge_cols,
                pl.lit("out").alias("direction"),
                pl.col("to_entity").alias("other_entity"),
                pl.col("to_master").alias("other_master"),
            ),
            relations.select(
                pl.col("to_master").alias("master_id"),
                *edge_cols,
                pl.lit("in").alias("direction"),
                pl.col("from_entity").alias("other_entity"),
                pl.col("from_master").alias("other_master"),
            ),
        ]
    )
    lap("assemble")

    report.path = _write(index_path(lake), masters, keys, record_frames(), edges)
    lap("write")
    report.masters = {
        e: int(n) for e, n in masters.group_by("entity").len().iter_rows() if e is not None
    }
    report.keys, report.edges = keys.height, edges.height
    return report


def _write(
    path: Path,
    masters: pl.DataFrame,
    keys: pl.DataFrame,
    records: Iterator[pl.DataFrame],
    edges: pl.DataFrame,
) -> Path:
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    con = connect_duckdb(str(tmp), ordered=True)
    try:
        for name, frame in (("m", masters), ("k", keys), ("e", edges)):
            con.register(name, frame.to_arrow())
        con.execute(
            "CREATE TABLE masters AS SELECT entity, master_id, label, area, n_records "
            "FROM m ORDER BY master_id"
        )
        con.execute(
            "CREATE TABLE keys AS SELECT kind, hash(value) AS key_hash, value, entity, master_id "
            "FROM k ORDER BY kind, key_hash"
        )
        con.execute(
            "CREATE TABLE records (master_id VARCHAR, entity VARCHAR, source VARCHAR, "
            "record_id VARCHAR, role VARCHAR, fields VARCHAR)"
        )
        for frame in records:
            con.register("r", frame.to_arrow())
            con.execute(
                "INSERT INTO records SELECT master_id, entity, source, record_id, role, fields "
                "FROM r ORDER BY master_id, source, record_id"
            )
            con.unregister("r")
        con.execute(
            "CREATE TABLE edges AS SELECT master_id, relation, direction, other_entity, "
            "other_master, source, record_id FROM e ORDER BY master_id"
        )
        # Names sorted by text serve fuzzy matching (same first character, one edit).
        con.execute(
            "CREATE TABLE names AS SELECT DISTINCT value, entity, master_id FROM k "
            "WHERE kind = 'name' ORDER BY value"
        )
        for table, column in (
            ("masters", "master_id"),
            ("keys", "key_hash"),
            ("records", "master_id"),
            ("edges", "master_id"),
        ):
            con.execute(f"CREATE INDEX {table}_{column} ON {table} ({column})")
        con.execute("CREATE TABLE meta (name VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO meta VALUES ('duckdb', ?)", [duckdb.__version__])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, path)
    return path
