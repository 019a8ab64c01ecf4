"""Source contracts: what a department system exports, as data (one YAML file per system).

A contract names the system, its department, the file format and encoding, and per table the
file, the key, every field (type, required, code values, date formats, the canonical field it
carries) and which canonical entities and relations a row describes. `load_contracts()` reads
and validates them against the canonical vocabulary (`canonical.py`); ingest, standardize and
fusion read nothing else about a source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zhili.hub.contracts import canonical as C

FieldType = Literal["string", "int", "float", "date", "datetime", "bool"]
Format = Literal["csv", "xlsx", "jsonl", "sqlite"]
Encoding = Literal["utf-8", "utf-8-sig", "gbk", "gb18030"]
CONTRACTS_DIR = Path(__file__).parent
# strftime directives a date format may use, with the shape each matches.
_DIRECTIVES = {
    "Y": r"\d{4}",
    "m": r"\d{2}",
    "d": r"\d{2}",
    "H": r"\d{2}",
    "M": r"\d{2}",
    "S": r"\d{2}",
    "y": r"\d{2}",
    "f": r"\d{1,9}",
}
_DATE_PARTS = set("YmdHMSyf")


class ContractError(ValueError):
    """One or more contracts are invalid; the message names the file and every problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Model):
    """One column of an exported table."""

    name: str
    type: FieldType = "string"
    required: bool = False
    title: str | None = None  # the column's meaning in the system's own words
    description: str | None = None
    maps_to: tuple[str, ...] = ()  # canonical fields, `entity[:role].field`
    role: str = "subject"  # default role of the maps_to entries
    codes: dict[str, Any] | None = None  # allowed values -> canonical value or label
    formats: tuple[str, ...] = ()  # strftime formats of a date or datetime
    pattern: str | None = None  # a regular expression every value must match in full
    crs: Literal["wgs84", "gcj02"] | None = None  # coordinate system of a lon/lat
    unit: str | None = None

    @field_validator("maps_to", "formats", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return (v,) if isinstance(v, str) else v

    @field_validator("codes", mode="before")
    @classmethod
    def _codes(cls, v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, list | tuple):
            v = {item: item for item in v}
        if not isinstance(v, dict):
            raise ValueError("codes must be a list of values or a mapping value -> meaning")
        for key in v:
            if not isinstance(key, str):
                raise ValueError(
                    f"code {key!r} is a {type(key).__name__}, not text: quote it in the YAML"
                )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.type in ("date", "datetime"):
            if not self.formats:
                raise ValueError(f"{self.name}: a {self.type} field needs its formats")
            for fmt in self.formats:
                directives = set(re.findall(r"%(.)", fmt))
                if not directives or not directives <= _DATE_PARTS:
                    raise ValueError(
                        f"{self.name}: format {fmt!r} may only use %Y %m %d %H %M %S %y %f"
                    )
        elif self.formats:
            raise ValueError(f"{self.name}: formats are only for date and datetime fields")
        if self.type == "bool" and (
            not self.codes or not all(isinstance(v, bool) for v in self.codes.values())
        ):
            raise ValueError(f"{self.name}: a bool field needs codes mapping to true/false")
        if self.codes is not None and not self.codes:
            raise ValueError(f"{self.name}: empty code list")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as e:
                raise ValueError(f"{self.name}: bad pattern {self.pattern!r}: {e}") from e
        for ref in self.maps_to:
            target = C.parse_ref(ref, self.role)
            canon = C.FIELDS[target.canonical]
            if self.type not in C.COMPATIBLE[canon.type]:
                raise ValueError(
                    f"{self.name}: a {self.type} cannot carry {target.canonical} ({canon.type})"
                )
            if canon.values is not None:
                if self.codes is None:
                    raise ValueError(
                        f"{self.name}: {target.canonical} needs codes mapping to "
                        f"{', '.join(canon.values)}"
                    )
                bad = [v for v in self.codes.values() if v not in canon.values]
                if bad:
                    raise ValueError(
                        f"{self.name}: codes map to {bad}, not to {target.canonical}'s "
                        f"{', '.join(canon.values)}"
                    )
        return self

    def targets(self) -> list[C.FieldRef]:
        return [C.parse_ref(ref, self.role) for ref in self.maps_to]

    def date_regex(self, fmt: str) -> str:
        """The shape a value written in `fmt` has, as an anchored regular expression."""
        out, i = [], 0
        while i < len(fmt):
            if fmt[i] == "%" and i + 1 < len(fmt):
                out.append(_DIRECTIVES[fmt[i + 1]])
                i += 2
            else:
                out.append(re.escape(fmt[i]))
                i += 1
        return "^" + "".join(out) + "$"


class Describes(_Model):
    """An entity a row describes (`entity`, with a role), or a relation between two of them."""

    entity: str | None = None
    role: str = "subject"
    relation: str | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    note: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _inline_role(cls, data: Any) -> Any:
        # `entity: person:legal_rep` is the same as `entity: person, role: legal_rep`.
        if isinstance(data, dict) and isinstance(data.get("entity"), str):
            entity, _, role = data["entity"].partition(":")
            if role:
                if data.get("role", role) != role:
                    raise ValueError(f"entity {data['entity']} with a second role {data['role']}")
                data = {**data, "entity": entity, "role": role}
        return data

    @property
    def ref(self) -> tuple[str, str]:
        """(entity type, role) of an entity entry."""
        return (self.entity or "", self.role)

    @model_validator(mode="after")
    def _one_kind(self) -> Describes:
        if (self.entity is None) == (self.relation is None):
            raise ValueError("each describes entry names either an entity or a relation")
        if self.entity is not None:
            C.parse_entity(self.entity)
            if self.from_ or self.to:
                raise ValueError(f"entity {self.entity}: from/to belong to relations")
        else:
            if self.relation not in C.RELATIONS:
                raise ValueError(
                    f"unknown relation {self.relation!r} (known: {', '.join(C.RELATIONS)})"
                )
            if not self.from_ or not self.to:
                raise ValueError(f"relation {self.relation} needs from and to")
            rel = C.RELATIONS[self.relation]
            for end, allowed in ((self.from_, rel.sources), (self.to, rel.targets)):
                etype, _ = C.parse_entity(end)
                if etype not in allowed:
                    raise ValueError(
                        f"relation {self.relation} runs {'/'.join(rel.sources)} -> "
                        f"{'/'.join(rel.targets)}, not to or from {etype}"
                    )
        return self


class TableSpec(_Model):
    name: str
    file: str  # file name inside the system's folder (a glob matches dated exports)
    sqlite_table: str | None = None  # table inside a SQLite file (default: the table name)
    sheet: str | None = None  # worksheet of an XLSX file (default: the first)
    key: str = "record_id"
    title: str | None = None
    description: str | None = None
    describes: tuple[Describes, ...] = ()
    fields: dict[str, FieldSpec]

    @field_validator("fields", mode="before")
    @classmethod
    def _named_fields(cls, v: Any) -> Any:
        if not isinstance(v, dict) or not v:
            raise ValueError("fields must be a non-empty mapping of column name -> spec")
        return {
            str(name): {"name": str(name), **(spec or {})}
            if isinstance(spec, dict | None)
            # A bare type is enough for a plain column: `备注: string`.
            else {"name": str(name), "type": spec}
            for name, spec in v.items()
        }

    @model_validator(mode="after")
    def _consistent(self) -> TableSpec:
        if self.key not in self.fields:
            raise ValueError(f"key {self.key!r} is not a declared field")
        if not self.fields[self.key].required:
            raise ValueError(f"key {self.key!r} must be required")
        entities = {d.ref for d in self.describes if d.entity}
        for d in self.describes:
            if d.relation:
                for end in (d.from_, d.to):
                    if C.parse_entity(end) not in entities:
                        raise ValueError(
                            f"relation {d.relation}: {end} is not among the entities described"
                        )
        for f in self.fields.values():
            for t in f.targets():
                if (t.entity, t.role) not in entities:
                    role = "" if t.role == "subject" else f" in role {t.role}"
                    raise ValueError(
                        f"{f.name} maps to {t} but the table does not describe a {t.entity}{role}"
                    )
        return self

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required]

    def entities(self) -> list[tuple[str, str]]:
        return [d.ref for d in self.describes if d.entity]

    def relations(self) -> list[Describes]:
        return [d for d in self.describes if d.relation]

    def fields_for(self, canonical: str, role: str | None = None) -> list[FieldSpec]:
        """The fields carrying a canonical field (`person.name`), optionally in one role."""
        return [
            f
            for f in self.fields.values()
            if any(t.canonical == canonical and role in (None, t.role) for t in f.targets())
        ]


class Contract(_Model):
    system: str
    department: str
    title: str
    format: Format
    encoding: Encoding = "utf-8"
    description: str | None = None
    version: int = 1
    tables: dict[str, TableSpec]

    @field_validator("tables", mode="before")
    @classmethod
    def _named_tables(cls, v: Any) -> Any:
        if not isinstance(v, dict) or not v:
            raise ValueError("tables must be a non-empty mapping of table name -> spec")
        return {str(name): {"name": str(name), **spec} for name, spec in v.items()}

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.system):
            raise ValueError(f"system name {self.system!r}: lower case, digits and _ only")
        if self.format in ("xlsx", "sqlite") and self.encoding != "utf-8":
            raise ValueError(f"{self.format} files carry their own encoding; leave it utf-8")
        if self.format != "sqlite":
            files = [t.file for t in self.tables.values()]
            if len(set(files)) != len(files):
                raise ValueError("two tables read the same file")
        return self


def _load_file(path: Path) -> Contract:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ContractError(f"{path.name}: cannot read: {e}") from e
    if not isinstance(data, dict):
        raise ContractError(f"{path.name}: not a mapping")
    try:
        contract = Contract.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(_problem(err) for err in e.errors())
        raise ContractError(f"{path.name}: {problems}") from e
    if contract.system != path.stem:
        raise ContractError(f"{path.name}: system {contract.system!r} != file name")
    return contract


def _problem(err: Any) -> str:
    where = ".".join(str(p) for p in err["loc"]) or "contract"
    got = err.get("input")
    shown = (
        f" (got {got!r})"
        if isinstance(got, str | int | float) and err["type"] != "value_error"
        else ""
    )
    return f"{where}: {err['msg'].removeprefix('Value error, ')}{shown}"


def contract_files(*dirs: Path) -> list[Path]:
    return sorted(p for d in (dirs or (CONTRACTS_DIR,)) for p in Path(d).glob("*.yaml"))


def load_contracts(*dirs: Path | str) -> dict[str, Contract]:
    """Every contract in the given directories (default: the hub's own), by system name.
    Raises ContractError naming every invalid file."""
    paths = contract_files(*(Path(d) for d in dirs))
    contracts: dict[str, Contract] = {}
    errors: list[str] = []
    for path in paths:
        try:
            c = _load_file(path)
        except ContractError as e:
            errors.append(str(e))
            continue
        if c.system in contracts:
            errors.append(f"{path.name}: system {c.system!r} is declared twice")
        contracts[c.system] = c
    if errors:
        raise ContractError("invalid contracts:\n  " + "\n  ".join(errors))
    return contracts


def load_contract(path: Path | str) -> Contract:
    return _load_file(Path(path))


def as_contracts(
    contracts: dict[str, Contract] | Iterable[Contract] | Path | str | None,
) -> dict[str, Contract]:
    """Accept what callers have: None (the hub's own), a directory, a mapping or a list."""
    if contracts is None:
        return load_contracts()
    if isinstance(contracts, Path | str):
        return load_contracts(contracts)
    if isinstance(contracts, dict):
        return dict(contracts)
    return {c.system: c for c in contracts}
