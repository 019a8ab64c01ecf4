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


_MASTER_COLUMNS = "entity, master_id, label, area, n_records"


def _marks(values: list) -> str:
    """Placeholders for a constant IN list, which DuckDB answers from the ART index (a
    subquery would become a join and scan the whole table)."""
    return ", ".join("?" for _ in values)


def masters(cur: duckdb.DuckDBPyConnection, matched: dict[str, set[str]], scope: str) -> list[Hit]:
    """The matched masters that lie inside the scope, best first."""
    if not matched or not scope:
        return []
    ids = sorted(matched)
    rows = cur.execute(
        f"SELECT {_MASTER_COLUMNS} FROM masters WHERE master_id IN ({_marks(ids)}) "
        "AND starts_with(area, ?)",
        [*ids, scope],
    ).fetchall()
    hits = [Hit(*row, matched_on=sorted(matched[row[1]])) for row in rows]
    return sorted(hits, key=lambda h: (-h.strength, -h.n_records, h.master_id))


def exact(
    cur: duckdb.DuckDBPyConnection,
    found: list[Probe],
    scope: str,
    entities: tuple[str, ...] | None,
    limit: int,
) -> list[Hit]:
    """Masters one of whose keys equals a probe (one point lookup per probe)."""
    matched: dict[str, set[str]] = {}
    if not found:
        return []
    hashes = ", ".join("hash(?::VARCHAR)" for _ in found)
    rows = cur.execute(
        f"SELECT kind, value, entity, master_id FROM keys WHERE key_hash IN ({hashes})",
        [p.value for p in found],
    ).fetchall()
    wanted = {(p.kind, p.value) for p in found}
    for kind, value, entity, master_id in rows:
        if (kind, value) in wanted and (not entities or entity in entities):
            matched.setdefault(master_id, set()).add(kind)
    return masters(cur, matched, scope)[:limit]


def fuzzy_names(cur: duckdb.DuckDBPyConnection, name: str, scope: str, limit: int) -> list[Hit]:
    """Names one edit away with the same first character (names are sorted: a range scan)."""
    first = name[0]
    rows = cur.execute(
        "SELECT DISTINCT master_id FROM names WHERE value >= ? AND value < ? "
        "AND length(value) = ? AND levenshtein(value, ?) <= 1 LIMIT 1000",
        [first, first + "\uffff", len(name), name],
    ).fetchall()
    return masters(cur, {m: {"fuzzy_name"} for (m,) in rows}, scope)[:limit]


def free_text(cur: duckdb.DuckDBPyConnection, text: str, scope: str, limit: int) -> list[Hit]:
    """Names of enterprises and projects, and addresses, that contain the text."""
    sql = f"""
        SELECT {", ".join("m." + c for c in _MASTER_COLUMNS.split(", "))}, list('text')
        FROM keys k JOIN masters m ON m.master_id = k.master_id
        WHERE k.kind IN ('name', 'address') AND k.entity IN ('enterprise', 'project', 'house')
          AND contains(k.value, ?) AND starts_with(m.area, ?)
        GROUP BY ALL
        LIMIT ?
    """
    rows = cur.execute(sql, [text, scope, limit]).fetchall()
    hits = [Hit(*row[:5], matched_on=["text"]) for row in rows]
    return sorted(hits, key=lambda h: (-h.n_records, h.master_id))


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
        f"""
        SELECT master_id, source, record_id, role, fields,
               count(*) OVER (PARTITION BY master_id) AS total,
               row_number() OVER (PARTITION BY master_id ORDER BY source, record_id) AS n
        FROM records WHERE master_id IN ({_marks(master_ids)})
        QUALIFY n <= ?
        """,
        [*master_ids, per_master],
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


# How many of one relation's other ends are looked at (a large employer has thousands of
# employees: they are counted, and the first ones in the reader's area are shown).
_LOOK_AT = 200


def edges(
    cur: duckdb.DuckDBPyConnection, master_ids: list[str], scope: str, per_relation: int
) -> tuple[list[Edge], dict[str, int]]:
    """Relations of the masters to others inside the scope (at most `per_relation` of each
    relation and direction per master), and per master how many were not shown."""
    if not master_ids:
        return [], {}
    rows = cur.execute(
        f"""
        SELECT master_id, relation, direction, other_entity, other_master,
               list(DISTINCT source ORDER BY source) AS sources
        FROM edges WHERE master_id IN ({_marks(master_ids)})
        GROUP BY ALL ORDER BY master_id, relation, direction, other_master
        """,
        master_ids,
    ).fetchall()
    groups: dict[tuple[str, str, str], list[tuple]] = {}
    for row in rows:
        groups.setdefault(row[:3], []).append(row)
    looked = sorted({r[4] for g in groups.values() for r in g[:_LOOK_AT]})
    others = {}
    if looked:
        others = {
            m: (label, area)
            for m, label, area in cur.execute(
                f"SELECT master_id, label, area FROM masters WHERE master_id IN ({_marks(looked)})",
                looked,
            ).fetchall()
        }
    found: list[Edge] = []
    not_shown: dict[str, int] = {}
    for (master_id, relation, direction), group in groups.items():
        shown = 0
        for row in group[:_LOOK_AT]:
            label, area = others.get(row[4], (None, ""))
            if shown < per_relation and area.startswith(scope) and scope:
                found.append(
                    Edge(master_id, relation, direction, row[3], row[4], label, area, row[5])
                )
                shown += 1
        not_shown[master_id] = not_shown.get(master_id, 0) + len(group) - shown
    return found, not_shown
