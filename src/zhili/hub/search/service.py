"""Cross-department search, the one way in: authorize (person.search with a stated purpose),
look up inside the reader's area scope, mask persons and their homes unless unmasking is
allowed and asked for, and write one audit record naming every person in the answer.

An answer lists the masters that match, best first, each with every department's records
about it and its relations (legal representative, employer, houses, vehicles ...). A
project's accounts come along with the project, so that one search from a developer reaches
its construction project and the guarantee deposit at the bank (S7).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

from sqlalchemy.orm import Session

from zhili.hub.search import index as ix
from zhili.hub.search.build import index_path
from zhili.hub.search.probes import KINDS, Probe, is_name_like, probes
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.masking import MASKERS
from zhili.privacy.policy import authorize
from zhili.privacy.purpose import Purpose

ENTITIES = ("person", "enterprise", "house", "vehicle", "project", "account")
MAX_QUERY = 100
MAX_LIMIT = 50
RECORDS_PER_MASTER = 50
LINKS_PER_RELATION = 20
# What may be shown of a person's record without unmasking; identifiers get their masks,
# everything else (household and insurance numbers, care category ...) is hidden.
_PERSON_PLAIN = {"sex", "age", "ethnicity", "household_relation", "school_grade"}
# Entities that carry no personal data of their own and whose links are followed one step
# further (enterprise → project → its wage and deposit accounts).
_FOLLOW = {"project"}


class BadQuery(ValueError):
    """The query cannot be searched (empty, too long, unknown kind or entity)."""


def _mask_person_fields(fields: dict) -> dict:
    out = {}
    for key, value in fields.items():
        if key in MASKERS:
            out[key] = MASKERS[key](str(value))
        elif key == "birth_date":
            out[key] = str(value)[:4] + "-**-**"
        elif key in _PERSON_PLAIN:
            out[key] = value
        else:
            out[key] = "****"
    return out


def _masked_label(entity: str, label: str | None) -> str | None:
    if entity == "person":
        return MASKERS["name"](label)
    if entity == "house":
        return MASKERS["address"](label)
    return label


def _check(query: str, kinds: tuple[str, ...] | None, entities: tuple[str, ...] | None) -> str:
    text = query.strip()
    if not text:
        raise BadQuery("the query is empty")
    if len(text) > MAX_QUERY:
        raise BadQuery(f"the query is longer than {MAX_QUERY} characters")
    unknown = [k for k in kinds or () if k not in KINDS]
    if unknown:
        raise BadQuery(f"unknown kind {', '.join(unknown)} (known: {', '.join(KINDS)})")
    unknown = [e for e in entities or () if e not in ENTITIES]
    if unknown:
        raise BadQuery(f"unknown entity {', '.join(unknown)} (known: {', '.join(ENTITIES)})")
    return text


def find(
    cur,
    text: str,
    found: list[Probe],
    scope: str,
    kinds: tuple[str, ...] | None,
    entities: tuple[str, ...] | None,
    limit: int,
) -> list[ix.Hit]:
    """Exact keys first; then one-edit names; then text inside names and addresses."""
    hits = ix.exact(cur, found, scope, entities, limit)
    if not hits and is_name_like(text) and (not kinds or "fuzzy_name" in kinds):
        hits = ix.fuzzy_names(cur, text, scope, limit)
    if not hits and len(text) >= 2 and (not kinds or "text" in kinds):
        hits = ix.free_text(cur, text, scope, limit)
    if entities:
        hits = [h for h in hits if h.entity in entities]
    return hits[:limit]


def search(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    lake: Path,
    query: str,
    purpose: Purpose | None,
    *,
    kinds: tuple[str, ...] | None = None,
    entities: tuple[str, ...] | None = None,
    limit: int = 10,
    unmask: bool = False,
) -> dict:
    started = time.perf_counter()
    text = _check(query, kinds, entities)
    authorize(actor, "person.search", None, purpose)
    if unmask:
        authorize(actor, "person.unmask", None, purpose)
    limit = max(1, min(limit, MAX_LIMIT))
    cur = ix.connect(index_path(lake))
    found = probes(text, kinds)
    hits = find(cur, text, found, actor.scope, kinds, entities, limit)
    ids = [h.master_id for h in hits]
    found_records = ix.records(cur, ids, RECORDS_PER_MASTER)
    links, hidden = ix.edges(cur, ids, actor.scope, LINKS_PER_RELATION)
    # One step further from projects: their accounts (and builders), with the bank's records.
    followed = sorted({e.other for e in links if e.entity in _FOLLOW})
    onward, _ = ix.edges(cur, followed, actor.scope, LINKS_PER_RELATION)
    onward_records = ix.records(
        cur, sorted({e.other for e in onward if e.entity == "account"}), RECORDS_PER_MASTER
    )
    masked = not unmask
    persons: set[str] = set()

    def entity_view(entity: str, master_id: str, label: str | None, area: str) -> dict:
        if entity == "person":
            persons.add(master_id)
        return {
            "entity": entity,
            "master_id": master_id,
            "label": _masked_label(entity, label) if masked else label,
            "area": area,
        }

    def record_views(entity: str, pair: tuple[int, list[ix.Record]] | None) -> dict:
        total, items = pair or (0, [])
        views = []
        for r in items:
            fields = r.fields
            if masked and entity == "person":
                fields = _mask_person_fields(fields)
            elif masked and entity == "house" and "address" in fields:
                fields = {**fields, "address": MASKERS["address"](str(fields["address"]))}
            views.append({**asdict(r), "fields": fields})
        return {"total": total, "items": views}

    def link_views(master_id: str, edges: list[ix.Edge], deeper: bool) -> list[dict]:
        out = []
        for e in edges:
            if e.master_id != master_id:
                continue
            view = {
                "relation": e.relation,
                "direction": e.direction,
                **entity_view(e.entity, e.other, e.label, e.area),
                "sources": e.sources,
            }
            if deeper and e.entity in _FOLLOW:
                view["links"] = link_views(e.other, onward, deeper=False)
            if not deeper and e.entity == "account":
                view["records"] = record_views("account", onward_records.get(e.other))
            out.append(view)
        return out

    results = []
    for h in hits:
        results.append(
            {
                **entity_view(h.entity, h.master_id, h.label, h.area),
                "matched_on": h.matched_on,
                "records": record_views(h.entity, found_records.get(h.master_id)),
                "links": link_views(h.master_id, links, deeper=True),
                "links_not_shown": hidden.get(h.master_id, 0),
            }
        )
    action = "person.unmask" if unmask else "person.search"
    ctx.audit(
        session,
        actor,
        action,
        resource="search:" + ",".join(sorted({k for h in hits for k in h.matched_on})),
        subjects=sorted(persons),
        purpose=purpose,
        result_count=len(results),
    )
    session.commit()
    return {
        "query_kinds": sorted({p.kind for p in found}),
        "masked": masked,
        "count": len(results),
        "results": results,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }
