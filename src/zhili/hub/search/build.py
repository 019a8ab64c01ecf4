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

Memory: at twin scale 1.0 the mentions, links, prepared records and relations are tens of
millions of rows each; held at once as polars frames they passed 22 GB. The joins, the
distinct keys, the labels and the sorts run in DuckDB instead (held to ZHILI_DUCKDB_MEMORY,
spilling to disk), reading the lake's parquet files directly and staging in an in-memory
database (which spills too). The records' JSON is written by DuckDB from the raw parquet. The
only polars frames are narrow: names to standardize and the inputs of the areas.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from zhili.geo.layout import DistrictLayout, get_layout
from zhili.hub.contracts import load_contracts
from zhili.hub.contracts.schema import Contract
from zhili.hub.fusion.engine import connect_duckdb
from zhili.hub.graph import KEYED, build_relations, key_links, shared_identifier_relations
from zhili.hub.graph.shared import copy_parquet
from zhili.hub.pipeline.fuse import _PREFIX, ENTITIES
from zhili.hub.pipeline.mentions import extract_all, mention_fields, mention_sql
from zhili.hub.search.areas import house_areas, master_areas, project_areas
from zhili.hub.standardize import normalize_names

log = logging.getLogger(__name__)
INDEX_FILE = "search.duckdb"
ALL_ENTITIES = (*ENTITIES, *KEYED)
_LINK_KEY = ["source", "record_id", "role"]
_MASTER_PREFIX = {**_PREFIX, **{e: prefix for e, (_, prefix) in KEYED.items()}}
_ON_LINK = "l.source = x.source AND l.record_id = x.record_id AND l.role = x.role"

# What a query can match: (kind, entity, staging table, column).
_KEYS = (
    ("id_number", "person", "persons", "id_number"),
    ("phone", "person", "persons", "phone"),
    ("name", "person", "persons", "name"),
    ("pinyin", "person", "persons", "name_pinyin"),
    ("credit_code", "enterprise", "enterprises", "credit_code"),
    ("name", "enterprise", "enterprises", "full_name"),
    ("name", "enterprise", "enterprises", "name_core"),
    ("pinyin", "enterprise", "enterprises", "name_core_pinyin"),
    ("address", "house", "houses", "canonical"),
    ("plate", "vehicle", "vehicles", "plate"),
    ("project_id", "project", "projects", "id"),
    ("name", "project", "projects", "name"),
    ("account_number", "account", "accounts", "number"),
)
# A master's label: the value most of its records give.
_LABELS = (
    ("person", "persons", "name"),
    ("enterprise", "enterprises", "full_name"),
    ("house", "houses", "canonical"),
    ("vehicle", "vehicles", "plate"),
    ("project", "projects", "name"),
    ("account", "accounts", "number"),
)
# Per entity, the prepared columns the keys, labels and areas read.
_PREPARED = {
    "person": ("id_number", "phone", "name", "name_pinyin"),
    "enterprise": ("credit_code", "name_core", "name_core_pinyin", "town_code"),
    "house": ("canonical",),
    "vehicle": ("plate",),
}
# Per entity, mention fields kept beside the records (the keyed entities' keys, an
# enterprise's full name, a person's hukou household number).
_MENTION_EXTRAS = {
    "enterprise": ("enterprise_names", ("name",)),
    "project": ("project_mentions", ("id", "name", "lon", "lat")),
    "account": ("account_mentions", ("number",)),
    "person": ("household_mentions", ("household_number",)),
}


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


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,)
    return int(n)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("_frame", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def _insert_new(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("_frame", frame.to_arrow())
    try:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def _unlink(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


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
    contracts = load_contracts()
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[stage] = round(now - clock, 2)
        clock = now
        log.info("index: %s in %.1f s", stage, report.seconds[stage])

    path = index_path(lake)
    tmp = path.with_suffix(".building")
    _unlink(tmp)
    con = connect_duckdb(str(tmp))
    built = False
    try:
        # Staging tables live in memory (up to the memory limit, then in DuckDB's spill
        # files): writing them to a database file, compressed, took longer than using them.
        con.execute("ATTACH ':memory:' AS s")
        _graph(con, lake, contracts)
        lap("graph")
        report.records = _records(con, lake, contracts)
        lap("records")
        _standardized(con, master_dir)
        shared_identifier_relations(con, master_dir, "s.persons", "s.households", "s.relations")
        copy_parquet(con, "s.relations", master_dir / "relations.parquet")
        lap("standardize")
        _masters(con, layout)
        report.keys = _keys(con)
        lap("assemble")
        report.edges = _edges(con)
        _finish(con)
        lap("write")
        report.masters = {
            e: int(n)
            for e, n in con.execute(
                "SELECT entity, count(*) FROM masters WHERE entity IS NOT NULL GROUP BY entity"
            ).fetchall()
        }
        con.execute("DETACH s")
        built = True
    finally:
        con.close()
        if not built:  # a half-built index (gigabytes at scale 1.0) is of no use
            _unlink(tmp)
    os.replace(tmp, path)
    report.path = path
    return report


def _graph(con: duckdb.DuckDBPyConnection, lake: Path, contracts: dict[str, Contract]) -> None:
    """Masters of the keyed entities; every master entity's links as one view (s.links,
    over the links' parquet files); the relations the contracts declare (s.relations)."""
    master_dir = lake / "master"
    key_links(lake, extract_all(lake, contracts, tuple(KEYED)))
    con.execute(
        "CREATE VIEW s.links AS "
        + " UNION ALL ".join(
            f"SELECT '{e}' AS entity, source, record_id, role, master_id "
            f"FROM read_parquet('{master_dir / f'{e}_links.parquet'}')"
            for e in ALL_ENTITIES
        )
    )
    build_relations(con, contracts, ALL_ENTITIES, "s.links", "s.relations")


def _json(fields: list[str]) -> str:
    """A row's fields as a JSON object of its non-null values (the reader drops nulls: at
    twin scale 1.0 writing them made the records table a third larger)."""
    members = ", ".join(
        f"""CASE WHEN "{f}" IS NOT NULL THEN '"{f}":' || to_json("{f}") END""" for f in fields
    )
    return f"'{{' || concat_ws(',', {members}) || '}}'"


def _records(con: duckdb.DuckDBPyConnection, lake: Path, contracts: dict[str, Contract]) -> int:
    """The records table: every source row of every master, its fields as JSON, read by
    DuckDB straight from the lake's parquet; each entity's rows joined to their masters and
    appended sorted, in master-id prefix order (MA, ME, MH, MJ, MP, MV), so that the table
    stays sorted by master id. Beside it, staged: the mention fields the keys need."""
    con.execute(
        "CREATE TABLE records (master_id VARCHAR, entity VARCHAR, source VARCHAR, "
        "record_id VARCHAR, role VARCHAR, fields VARCHAR)"
    )
    for e in sorted(ALL_ENTITIES, key=master_prefix):
        mentions = mention_sql(lake, contracts, e)
        if mentions is None:
            continue
        fields = mention_fields(contracts, e)
        started = time.perf_counter()
        con.execute("SET preserve_insertion_order = true")
        con.execute(
            f"""
            INSERT INTO records
            SELECT l.master_id, l.entity, x.source, x.record_id, x.role, {_json(fields)}
            FROM ({mentions}) x JOIN s.links l ON l.entity = '{e}' AND {_ON_LINK}
            ORDER BY l.master_id, x.source, x.record_id
            """
        )
        con.execute("SET preserve_insertion_order = false")
        log.debug("index: %s records in %.1f s", e, time.perf_counter() - started)
    for e, (table, columns) in _MENTION_EXTRAS.items():
        listed = ", ".join(f"{c} VARCHAR" for c in columns)
        con.execute(
            f"CREATE TABLE s.{table} (source VARCHAR, record_id VARCHAR, role VARCHAR, {listed})"
        )
        mentions = mention_sql(lake, contracts, e, list(columns))
        if mentions is None:
            continue
        # A row without any of them gives nothing (no key, no name, no household).
        query = (
            f"SELECT source, record_id, role, {', '.join(columns)} FROM ({mentions}) "
            f"WHERE {' OR '.join(f'{c} IS NOT NULL' for c in columns)}"
        )
        if "name" in columns:  # standardized as the fusion did
            named = con.sql(query).pl()
            _insert(con, f"s.{table}", named.with_columns(name=normalize_names(named["name"])))
            del named
        else:
            con.execute(f"INSERT INTO s.{table} {query}")
    return _count(con, "records")


def _standardized(con: duckdb.DuckDBPyConnection, master_dir: Path) -> None:
    """Each entity's standardized columns beside its master id: s.persons, s.enterprises
    (with the full name), s.houses, s.vehicles, s.projects, s.accounts."""
    for e, columns in _PREPARED.items():
        table = f"s.{e}s" if e != "house" else "s.houses"
        extra_join, extra_cols = "", ""
        if e == "enterprise":
            extra_join = (
                "LEFT JOIN s.enterprise_names n ON n.source = x.source "
                "AND n.record_id = x.record_id AND n.role = x.role"
            )
            extra_cols = ", n.name AS full_name"
        cols = ", ".join(f"x.{c}" for c in columns)
        con.execute(
            f"""
            CREATE TABLE {table} AS
            SELECT l.master_id, {cols}{extra_cols}
            FROM read_parquet('{master_dir / f"{e}_prepared.parquet"}') x
            JOIN s.links l ON l.entity = '{e}' AND {_ON_LINK}
            {extra_join}
            """
        )
    for e, table in (("project", "project_mentions"), ("account", "account_mentions")):
        con.execute(
            f"CREATE TABLE s.{e}s AS SELECT l.master_id, x.* EXCLUDE (source, record_id, role) "
            f"FROM s.{table} x JOIN s.links l ON l.entity = '{e}' AND {_ON_LINK}"
        )
    con.execute(
        "CREATE TABLE s.households AS SELECT l.master_id, x.household_number "
        f"FROM s.household_mentions x JOIN s.links l ON l.entity = 'person' AND {_ON_LINK}"
    )


def _masters(con: duckdb.DuckDBPyConnection, layout: DistrictLayout) -> None:
    """The masters table: every master's entity, label, area and record count."""
    labelled = " UNION ALL ".join(
        f"SELECT '{e}' AS entity, master_id, CAST({c} AS VARCHAR) AS label FROM s.{t} "
        f"WHERE {c} IS NOT NULL"
        for e, t, c in _LABELS
    )
    # The most common value; of equally common ones the lowest.
    con.execute(
        f"""
        CREATE TABLE s.labels AS
        SELECT entity, master_id, first(label ORDER BY n DESC, label) AS label
        FROM (SELECT entity, master_id, label, count(*) AS n FROM ({labelled}) GROUP BY ALL)
        GROUP BY entity, master_id
        """
    )
    con.execute(
        "CREATE TABLE s.masters AS SELECT entity, master_id, count(*) AS n_records "
        "FROM s.links GROUP BY entity, master_id"
    )
    houses = con.sql(
        "SELECT master_id, any_value(canonical) AS canonical FROM s.houses GROUP BY master_id"
    ).pl()
    _insert_new(con, "s.house_areas", house_areas(houses))
    del houses
    points = con.sql(
        "SELECT master_id, TRY_CAST(lon AS DOUBLE) AS lon, TRY_CAST(lat AS DOUBLE) AS lat "
        "FROM s.projects WHERE master_id IS NOT NULL AND TRY_CAST(lon AS DOUBLE) IS NOT NULL "
        "AND TRY_CAST(lat AS DOUBLE) IS NOT NULL"
    ).pl()
    _insert_new(con, "s.project_areas", project_areas(points, layout))
    master_areas(
        con, "s.areas", "s.masters", "s.relations", "s.house_areas", "s.enterprises",
        "s.project_areas",
    )  # fmt: skip
    con.execute("SET preserve_insertion_order = true")
    con.execute(
        """
        CREATE TABLE masters AS
        SELECT m.entity, m.master_id, b.label, a.area, m.n_records
        FROM s.masters m
        LEFT JOIN s.areas a ON a.entity = m.entity AND a.master_id = m.master_id
        LEFT JOIN s.labels b ON b.entity = m.entity AND b.master_id = m.master_id
        ORDER BY m.master_id
        """
    )
    con.execute("SET preserve_insertion_order = false")


def _keys(con: duckdb.DuckDBPyConnection) -> int:
    """The keys table (what a query can match), distinct, sorted by kind and hash."""
    parts = " UNION ALL ".join(
        f"SELECT '{kind}' AS kind, CAST({c} AS VARCHAR) AS value, '{e}' AS entity, master_id "
        f"FROM s.{t} WHERE {c} IS NOT NULL AND CAST({c} AS VARCHAR) <> ''"
        for kind, e, t, c in _KEYS
    )
    con.execute(f"CREATE TABLE s.keys AS SELECT DISTINCT * FROM ({parts})")
    con.execute("SET preserve_insertion_order = true")
    con.execute(
        "CREATE TABLE keys AS SELECT kind, hash(value) AS key_hash, value, entity, master_id "
        "FROM s.keys ORDER BY kind, key_hash"
    )
    # Names sorted by text serve fuzzy matching (same first character, one edit).
    con.execute(
        "CREATE TABLE names AS SELECT DISTINCT value, entity, master_id FROM s.keys "
        "WHERE kind = 'name' ORDER BY value"
    )
    con.execute("SET preserve_insertion_order = false")
    return _count(con, "keys")


def _edges(con: duckdb.DuckDBPyConnection) -> int:
    """The edges table: every relation from both of its ends, sorted by master id."""
    con.execute("SET preserve_insertion_order = true")
    con.execute(
        """
        CREATE TABLE edges AS
        SELECT master_id, relation, direction, other_entity, other_master, source, record_id
        FROM (
            SELECT from_master AS master_id, relation, 'out' AS direction,
                   to_entity AS other_entity, to_master AS other_master, source, record_id
            FROM s.relations
            UNION ALL
            SELECT to_master, relation, 'in', from_entity, from_master, source, record_id
            FROM s.relations
        )
        ORDER BY master_id
        """
    )
    con.execute("SET preserve_insertion_order = false")
    return _count(con, "edges")


def _finish(con: duckdb.DuckDBPyConnection) -> None:
    for table, column in (
        ("masters", "master_id"),
        ("keys", "key_hash"),
        ("records", "master_id"),
        ("edges", "master_id"),
    ):
        started = time.perf_counter()
        con.execute(f"CREATE INDEX {table}_{column} ON {table} ({column})")
        log.info("index: ART on %s in %.1f s", table, time.perf_counter() - started)
    con.execute("CREATE TABLE meta (name VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('duckdb', ?)", [duckdb.__version__])
    con.execute("CHECKPOINT")
