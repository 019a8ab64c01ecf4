"""Cross-department search on the tiny twin: what each kind of query finds, S7's one search
from the bankrupt developer to its deposit, scope inside the query, masking, audit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
from sqlalchemy import select

from tests.hub.search.conftest import COMMANDER, PURPOSE, actor
from zhili.hub.search.build import index_path
from zhili.hub.search.index import IndexMissing
from zhili.hub.search.service import BadQuery, search
from zhili.privacy.models import AuditRecord
from zhili.privacy.policy import Forbidden, PurposeRequired

UNMASKED_ID = re.compile(r"(?<![\dA-Za-z.])\d{17}[\dXx](?![\dA-Za-z.])")


def _index(lake: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(index_path(lake)), read_only=True)


@pytest.fixture(scope="module")
def a_person(hub_lake: Path) -> dict:
    """A person master with an ID number, a phone and records from at least two systems."""
    con = _index(hub_lake)
    row = con.execute(
        """
        SELECT m.master_id, m.area, any_value(i.value), any_value(p.value), any_value(n.value)
        FROM masters m
        JOIN keys i ON i.master_id = m.master_id AND i.kind = 'id_number'
        JOIN keys p ON p.master_id = m.master_id AND p.kind = 'phone'
        JOIN keys n ON n.master_id = m.master_id AND n.kind = 'name'
        WHERE m.entity = 'person' AND length(m.area) = 12
          AND (SELECT count(DISTINCT source) FROM records r WHERE r.master_id = m.master_id) >= 2
        GROUP BY ALL ORDER BY m.master_id LIMIT 1
        """
    ).fetchone()
    con.close()
    assert row, "the tiny twin has no person with id, phone and two systems"
    return dict(zip(("master_id", "area", "id_number", "phone", "name"), row, strict=True))


def _ids(answer: dict) -> list[str]:
    return [r["master_id"] for r in answer["results"]]


def test_id_number_finds_the_person_with_every_department(store, hub_lake, a_person) -> None:
    session, ctx = store
    answer = search(session, ctx, COMMANDER, hub_lake, a_person["id_number"], PURPOSE)
    assert _ids(answer)[0] == a_person["master_id"]
    top = answer["results"][0]
    assert "id_number" in top["matched_on"]
    assert len({r["source"] for r in top["records"]["items"]}) >= 2
    # Masked by default: neither the full ID nor the full phone appears anywhere.
    text = json.dumps(answer, ensure_ascii=False)
    assert a_person["id_number"] not in text and a_person["phone"] not in text
    assert answer["masked"] is True


def test_the_standardizers_read_the_query(store, hub_lake, a_person) -> None:
    """A phone written with +86 and dashes, an 18-digit id as its 15-digit ancestor."""
    session, ctx = store
    p = a_person["phone"]
    spaced = f"+86 {p[:3]}-{p[3:7]}-{p[7:]}"
    assert a_person["master_id"] in _ids(search(session, ctx, COMMANDER, hub_lake, spaced, PURPOSE))
    rid = a_person["id_number"]
    if rid[6:8] == "19":  # only ids born in the 1900s have a 15-digit form
        old = rid[:6] + rid[8:17]
        found = search(session, ctx, COMMANDER, hub_lake, old, PURPOSE)
        assert a_person["master_id"] in _ids(found)


def test_name_pinyin_and_one_edit(store, hub_lake, a_person) -> None:
    session, ctx = store
    name = a_person["name"]
    assert a_person["master_id"] in _ids(
        search(session, ctx, COMMANDER, hub_lake, name, PURPOSE, limit=50)
    )
    con = _index(hub_lake)
    pinyin = con.execute(
        "SELECT value FROM keys WHERE kind = 'pinyin' AND master_id = ?", [a_person["master_id"]]
    ).fetchone()[0]
    # A one-edit variant that no one in the twin is called: only the fuzzy step can find it.
    variants = [name[:-1] + c for c in "甲乙丙丁戊己庚辛" if c != name[-1]]
    taken = {
        v for (v,) in con.execute("SELECT DISTINCT value FROM names").fetchall() if v in variants
    }
    con.close()
    found = search(session, ctx, COMMANDER, hub_lake, pinyin.upper(), PURPOSE, limit=50)
    assert a_person["master_id"] in _ids(found)
    variant = next(v for v in variants if v not in taken)
    fuzzy = search(session, ctx, COMMANDER, hub_lake, variant, PURPOSE, limit=50)
    assert a_person["master_id"] in _ids(fuzzy)
    assert all(r["matched_on"] == ["fuzzy_name"] for r in fuzzy["results"])


def test_s7_from_the_developer_to_its_deposit_at_the_bank(store, hub_lake, twin_dir) -> None:
    """One search for the bankrupt developer shows its project and the project's guarantee
    deposit account with the bank's own record of the balance."""
    session, ctx = store
    s7 = json.loads((twin_dir / "truth" / "facts.json").read_text("utf-8"))["s7"]
    truth = pl.read_parquet(twin_dir / "truth" / "links.parquet")
    market = truth.filter(
        (pl.col("entity_id") == s7["developer_id"]) & (pl.col("entity_type") == "enterprise")
    )
    links = pl.read_parquet(hub_lake / "master" / "enterprise_links.parquet")
    master = links.join(market, on=["source", "record_id", "role"])["master_id"].mode()[0]
    con = _index(hub_lake)
    name = con.execute("SELECT label FROM masters WHERE master_id = ?", [master]).fetchone()[0]
    con.close()
    answer = search(session, ctx, COMMANDER, hub_lake, name, PURPOSE)
    developer = next(r for r in answer["results"] if r["master_id"] == master)
    projects = [x for x in developer["links"] if x["relation"] == "enterprise_project"]
    assert projects, "the developer's project is not linked"
    deposits = [
        record["fields"]
        for p in projects
        for account in p.get("links", [])
        if account["entity"] == "account"
        for record in account["records"]["items"]
        if record["source"] == "bank/accounts"
    ]
    assert any(
        f.get("purpose") == "工程建设保证金"
        and s7["deposit_bank"] in f.get("bank", "")
        and abs(float(f["balance_wan"]) - s7["deposit_wan"]) < 0.01
        for f in deposits
    ), deposits


def test_scope_is_applied_inside_the_query(store, hub_lake, a_person) -> None:
    session, ctx = store
    inside = actor("village_officer", a_person["area"])
    outside_area = (
        "330110001001" if not a_person["area"].startswith("330110001") else "330110010248"
    )
    outside = actor("village_officer", outside_area)
    q = a_person["id_number"]
    assert _ids(search(session, ctx, inside, hub_lake, q, PURPOSE))[0] == a_person["master_id"]
    assert search(session, ctx, outside, hub_lake, q, PURPOSE)["results"] == []
    # Linked entities outside the reader's area are counted, never shown.
    far = actor("town_officer", "330110001")
    results = search(session, ctx, far, hub_lake, "临平街道", PURPOSE, limit=50)["results"]
    assert results  # the authorization matrix's "outside" probe is not empty for everyone
    for result in results:
        assert result["area"].startswith("330110001")
        assert all(link["area"].startswith("330110001") for link in result["links"])


def test_unmask_audit_and_refusals(store, hub_lake, a_person) -> None:
    session, ctx = store
    q = a_person["id_number"]
    plain = search(session, ctx, COMMANDER, hub_lake, q, PURPOSE, unmask=True)
    assert plain["masked"] is False and UNMASKED_ID.search(json.dumps(plain))
    actions = [r.action for r in session.scalars(select(AuditRecord).order_by(AuditRecord.seq))]
    assert actions == ["person.unmask"]
    search(session, ctx, COMMANDER, hub_lake, q, PURPOSE)
    last = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert last.action == "person.search" and last.result_count >= 1
    assert last.case_id == "EV-S7"
    with pytest.raises(PurposeRequired):
        search(session, ctx, COMMANDER, hub_lake, q, None)
    with pytest.raises(Forbidden):
        search(session, ctx, actor("grid_worker", a_person["area"]), hub_lake, q, PURPOSE)
    with pytest.raises(Forbidden):  # a village officer may search but not unmask
        search(
            session,
            ctx,
            actor("village_officer", a_person["area"]),
            hub_lake,
            q,
            PURPOSE,
            unmask=True,
        )
    with pytest.raises(BadQuery):
        search(session, ctx, COMMANDER, hub_lake, "   ", PURPOSE)
    with pytest.raises(BadQuery):
        search(session, ctx, COMMANDER, hub_lake, q, PURPOSE, kinds=("shoe_size",))
    with pytest.raises(IndexMissing):
        search(session, ctx, COMMANDER, hub_lake.parent / "nowhere", q, PURPOSE)
