"""The 25 source contracts: they load, they describe exactly what each system exports, and
they agree with the twin's truth about which entities a row is about."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import polars as pl
import pytest

from tests.hub.ingest.conftest import export_frame
from zhili.hub.contracts import ContractError, load_contract, load_contracts
from zhili.hub.contracts import canonical as C
from zhili.hub.ingest import ingest, read_current
from zhili.hub.ingest.readers import read_table
from zhili.twin.sources.catalog import all_systems

_FORMATS = {  # the twin's format names -> (contract format, encoding)
    "csv-utf8": ("csv", "utf-8"),
    "csv-utf8-bom": ("csv", "utf-8-sig"),
    "csv-gbk": ("csv", "gbk"),
    "xlsx": ("xlsx", "utf-8"),
    "jsonl": ("jsonl", "utf-8"),
    "sqlite": ("sqlite", "utf-8"),
}


def test_one_contract_per_system(contracts: dict) -> None:
    systems = {s.name: s for s in all_systems()}
    assert len(contracts) == 25
    assert set(contracts) == set(systems)
    for name, c in contracts.items():
        s = systems[name]
        assert (c.department, c.title) == (s.department, s.title), name
        assert (c.format, c.encoding) == _FORMATS[s.format], name


def _tables(summary: dict) -> list[tuple[dict, dict]]:
    return [(src, f) for src in summary["sources"] for f in src["files"]]


def test_every_export_matches_its_contract(contracts: dict, summary: dict, sources: Path) -> None:
    """Every exported column is declared, no required column is missing, and the columns
    the contract declares are exactly those the system writes."""
    seen = set()
    for src, f in _tables(summary):
        contract = contracts[src["name"]]
        table = contract.tables[f["table"]]
        path = sources / f["file"]
        assert Path(f["file"]).name == Path(table.file).name, f["file"]
        seen.add((src["name"], f["table"]))
        exported = export_frame(path, src["format"], f["table"]).columns
        if src["format"] == "jsonl":  # keys of null-only columns are still written
            exported = list(dict.fromkeys(exported))
        undeclared = [c for c in exported if c not in table.fields]
        assert not undeclared, f"{f['file']}: undeclared columns {undeclared}"
        missing = [c for c in table.required if c not in exported]
        assert not missing, f"{f['file']}: required columns missing {missing}"
        assert list(table.fields) == exported, f["file"]
        # The ingest reader sees the same columns and raises nothing.
        raw = read_table(path, path.read_bytes(), contract, table)
        assert raw.columns == exported
        assert not raw.warnings, (f["file"], raw.warnings)
    declared = {(c.system, t) for c in contracts.values() for t in c.tables}
    assert declared == seen


def test_describes_covers_the_truth(contracts: dict, truth) -> None:
    """Each (entity type, role) the truth links a source's records to is one the contract
    says the row describes, and every relation names two described entities."""
    links = truth("links").select("source", "entity_type", "role").unique()
    for source, etype, role in links.iter_rows():
        system, _, table = source.partition("/")
        spec = contracts[system].tables[table or system]
        assert (etype, role) in spec.entities(), f"{source}: {etype}:{role} not described"


def test_maps_to_and_describes_use_the_vocabulary(contracts: dict) -> None:
    used = set()
    for c in contracts.values():
        for t in c.tables.values():
            entities = set(t.entities())
            for f in t.fields.values():
                for ref in f.targets():
                    assert ref.canonical in C.FIELDS
                    assert (ref.entity, ref.role) in entities
                    used.add(ref.canonical)
            for rel in t.relations():
                assert rel.relation in C.RELATIONS
    # The fields fusion keys on are carried by several systems.
    for key in (
        "person.id_number",
        "person.name",
        "person.phone",
        "enterprise.credit_code",
        "house.address",
        "vehicle.plate",
        "project.id",
        "account.number",
    ):
        assert key in used
    market = contracts["market_regulation"].tables["enterprise_register"]
    assert ("person", "legal_rep") in market.entities()
    assert any(r.relation == "legal_representative" for r in market.relations())
    assert [f.name for f in market.fields_for("person.name", "legal_rep")] == ["法定代表人"]


def test_codes_map_to_canonical_values(contracts: dict) -> None:
    xb = contracts["police_household"].tables["household_register"].fields["XB"]
    assert xb.codes == {"1": "M", "2": "F"}
    sex = contracts["police_floating"].tables["floating_population"].fields["性别"]
    assert sex.codes == {"男": "M", "女": "F"}
    csrq = contracts["police_household"].tables["household_register"].fields["CSRQ"]
    assert (csrq.type, csrq.formats) == ("date", ("%Y%m%d",))


_GOOD = """
system: {name}
department: 余杭区某局
title: 某系统
format: csv
encoding: utf-8
tables:
  things:
    file: things.csv
    describes:
      - {{entity: person}}
    fields:
      record_id: {{type: string, required: true}}
      姓名: {{type: string, required: true, maps_to: person.name}}
      出生日期: {{type: date, formats: ["%Y-%m-%d"], maps_to: person.birth_date}}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("maps_to: person.name", "maps_to: person.nickname"), "no canonical field 'nickname'"),
        (("maps_to: person.name", "maps_to: citizen.name"), "unknown entity type 'citizen'"),
        (("{entity: person}", "{entity: house}"), "does not describe a person"),
        (('formats: ["%Y-%m-%d"], ', ""), "needs its formats"),
        (("type: date", "type: datum"), "datum"),
        (("maps_to: person.birth_date", "maps_to: person.name"), None),  # a date is no name
        (
            (
                "      - {entity: person}",
                "      - {entity: person}\n      - {relation: kinship, from: person, to: person}",
            ),
            "unknown relation 'kinship'",
        ),
        (
            (
                "      - {entity: person}",
                "      - {entity: person}\n      - {relation: employment, "
                "from: person, to: person}",
            ),
            "employment runs person -> enterprise",
        ),
    ],
)
def test_invalid_contracts_are_refused(tmp_path: Path, change: tuple, message: str | None) -> None:
    text = _GOOD.format(name="demo").replace(*change)
    (tmp_path / "demo.yaml").write_text(textwrap.dedent(text), "utf-8")
    with pytest.raises(ContractError) as err:
        load_contracts(tmp_path)
    assert "demo.yaml" in str(err.value)
    if message:
        assert message in str(err.value)


def test_a_new_system_is_a_new_yaml_file(tmp_path: Path) -> None:
    """No code: a contract file and the system's export are enough to ingest it."""
    contracts_dir = tmp_path / "contracts"
    contracts_dir.mkdir()
    (contracts_dir / "street_office.yaml").write_text(_GOOD.format(name="street_office"), "utf-8")
    contract = load_contract(contracts_dir / "street_office.yaml")
    assert contract.tables["things"].key == "record_id"
    src = tmp_path / "sources" / "street_office"
    src.mkdir(parents=True)
    data = "record_id,姓名,出生日期\nA1,张三,1980-01-02\nA2,李四,1980-13-02\nA3,,\n".encode()
    (src / "things.csv").write_bytes(data)
    report = ingest(tmp_path / "sources", tmp_path / "lake", contracts=contracts_dir)
    (batch,) = report.batches
    assert (batch.status, batch.rows_in, batch.landed, batch.quarantined) == ("landed", 3, 1, 2)
    assert batch.batch == hashlib.sha256(data).hexdigest()[:16]
    typed = read_current(
        tmp_path / "lake", "street_office", "things", typed=True, contracts=contracts_dir
    ).collect()
    assert typed["出生日期"].dtype == pl.Date
    assert typed.row(0, named=True)["姓名"] == "张三"
