"""Reads of the search index (one read-only DuckDB file per process, reopened when `zhili
index` has replaced it). Every query takes the reader's area scope and applies it in SQL."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from zhili.hub.search.probes import STRENGTH, Probe

_lock = threading.Lock()
_open: dict[Path, tuple[float, duckdb.DuckDBPyConnection]] = {}


class IndexMissing(FileNotFoundError):
    """No search index yet (run `zhili fuse` and `zhili index`)."""


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A cursor on the index at `path`, from one shared read-only connection."""
    if not path.exists():
        raise IndexMissing(f"no search index at {path}: run `zhili fuse` then `zhili index`")
    mtime = path.stat().st_mtime
    with _lock:
        held = _open.get(path)
        if held is None or held[0] != mtime:
            con = duckdb.connect(str(path), read_only=True)
            built_with = con.execute("SELECT value FROM meta WHERE name = 'duckdb'").fetchone()
            if built_with and built_with[0] != duckdb.__version__:
                con.close()
                raise IndexMissing(
                    f"the index was built with DuckDB {built_with[0]}, this is "
                    f"{duckdb.__version__}: rebuild it with `zhili index`"
                )
            if held is not None:
                held[1].close()
            _open[path] = held = (mtime, con)
        return held[1].cursor()


@dataclass
class Hit:
    entity: str
    master_id: str
    label: str | None
    area: str
    n_records: int
    matched_on: list[str]

    @property
    def strength(self) -> int:
        return max(STRENGTH.get(k, 0) for k in self.matched_on)


_MASTER_COLUMNS = "m.entity, m.master_id, m.label, m.area, m.n_records"


def _hits(rows: list[tuple]) -> list[Hit]:
    hits = [Hit(*row[:5], matched_on=sorted(set(row[5]))) for row in rows]
    return sorted(hits, key=lambda h: (-h.strength, -h.n_records, h.master_id))


def exact(
    cur: duckdb.DuckDBPyConnection,
    found: list[Probe],
    scope: str,
    entities: tuple[str, ...] | None,
    limit: int,
) -> list[Hit]:
    if not found or not scope:
        return []
    union = " UNION ALL ".join("SELECT ? AS kind, ? AS value, hash(?) AS h" for _ in found)
    params: list = [x for p in found for x in (p.kind, p.value, p.value)]
    entity_filter = ""
    if entities:
        entity_filter = f"AND m.entity IN ({', '.join('?' for _ in entities)})"
    sql = f"""
        WITH probe AS ({union})
        SELECT {_MASTER_COLUMNS}, list(k.kind) AS kinds
        FROM probe p
        JOIN keys k ON k.kind = p.kind AND k.key_hash = p.h AND k.value = p.value
        JOIN masters m ON m.master_id = k.master_id
        WHERE starts_with(m.area, ?) {entity_filter}
        GROUP BY ALL
        LIMIT ?
    """
    rows = cur.execute(sql, [*params, scope, *(entities or ()), limit * 4]).fetchall()
    return _hits(rows)[:limit]


def fuzzy_names(cur: duckdb.DuckDBPyConnection, name: str, scope: str, limit: int) -> list[Hit]:
    """Names one edit away with the same first character (names are sorted: a range scan)."""
    sql = f"""
        SELECT {_MASTER_COLUMNS}, list('fuzzy_name') AS kinds
        FROM names n JOIN masters m ON m.master_id = n.master_id
        WHERE n.value >= ? AND n.value < ? AND length(n.value) = ?
          AND levenshtein(n.value, ?) <= 1 AND starts_with(m.area, ?)
        GROUP BY ALL
        LIMIT ?
    """
    first = name[0]
    rows = cur.execute(sql, [first, first + "\uffff", len(name), name, scope, limit]).fetchall()
    return _hits(rows)


def free_text(cur: duckdb.DuckDBPyConnection, text: str, scope: str, limit: int) -> list[Hit]:
    """Names of enterprises and projects, and addresses, that contain the text."""
    sql = f"""
        SELECT {_MASTER_COLUMNS}, list('text') AS kinds
        FROM keys k JOIN masters m ON m.master_id = k.master_id
        WHERE k.kind IN ('name', 'address') AND k.entity IN ('enterprise', 'project', 'house')
          AND contains(k.value, ?) AND starts_with(m.area, ?)
        GROUP BY ALL
        LIMIT ?
    """
    return _hits(cur.execute(sql, [text, scope, limit]).fetchall())


@dataclass
class Record:
    source: str
    record_id: str
    role: str
    fields: dict


def records(cur: duckdb.DuckDBPyConnection, master_ids: list[str], per_master: int) -> dict:
    """master_id -> (total, the first `per_master` records)."""
    if not master_ids:
        return {}
    rows = cur.execute(
        """
        SELECT master_id, source, record_id, role, fields,
               count(*) OVER (PARTITION BY master_id) AS total,
               row_number() OVER (PARTITION BY master_id ORDER BY source, record_id) AS n
        FROM records WHERE master_id IN (SELECT unnest(?))
        QUALIFY n <= ?
        """,
        [master_ids, per_master],
    ).fetchall()
    out: dict[str, tuple[int, list[Record]]] = {}
    for master_id, source, record_id, role, fields, total, _ in rows:
        values = {k: v for k, v in json.loads(fields).items() if v is not None}
        out.setdefault(master_id, (total, []))[1].append(Record(source, record_id, role, values))
    return out


@dataclass
class Edge:
    master_id: str
    relation: str
    direction: str
    entity: str
    other: str
    label: str | None
    area: str
    sources: list[str]


def edges(
    cur: duckdb.DuckDBPyConnection, master_ids: list[str], scope: str, per_relation: int
) -> tuple[list[Edge], dict[str, int]]:
    """Relations of the masters to others inside the scope (at most `per_relation` of each
    relation and direction per master), and how many were left out as outside the scope."""
    if not master_ids:
        return [], {}
    rows = cur.execute(
        """
        WITH e AS (
          SELECT e.master_id, e.relation, e.direction, e.other_entity, e.other_master,
                 list(DISTINCT e.source ORDER BY e.source) AS sources
          FROM edges e WHERE e.master_id IN (SELECT unnest(?))
          GROUP BY ALL
        )
        SELECT e.master_id, e.relation, e.direction, e.other_entity, e.other_master,
               m.label, m.area, e.sources, starts_with(m.area, ?) AS visible,
               row_number() OVER (PARTITION BY e.master_id, e.relation, e.direction,
                                  starts_with(m.area, ?) ORDER BY e.other_master) AS n
        FROM e JOIN masters m ON m.master_id = e.other_master
        """,
        [master_ids, scope, scope],
    ).fetchall()
    found: list[Edge] = []
    hidden: dict[str, int] = {}
    for master_id, rel, direction, entity, other, label, area, sources, visible, n in rows:
        if not visible:
            hidden[master_id] = hidden.get(master_id, 0) + 1
        elif n <= per_relation:
            found.append(Edge(master_id, rel, direction, entity, other, label, area, sources))
    found.sort(key=lambda e: (e.master_id, e.relation, e.direction, e.other))
    return found, hidden
