"""The hub's canonical vocabulary: the entity types, their fields and the relations between
them that department data is mapped onto. Every source contract's `maps_to` and `describes`
is checked against this one place; a new department system reuses it, and a new canonical
field is one line here.

A reference is written `entity.field` (e.g. `person.id_number`); where a row carries several
entities of one type, the role goes between them: `person:legal_rep.name`.
"""

from __future__ import annotations

from dataclasses import dataclass

FIELD_TYPES = ("string", "int", "float", "date", "datetime", "bool")

ENTITIES: dict[str, str] = {
    "person": "a natural person (resident, migrant, party, caller, account holder ...)",
    "house": "a dwelling or premises with an address (a flat, a village house)",
    "enterprise": "an enterprise or individual business (市场主体)",
    "vehicle": "a motor vehicle, known by its plate",
    "project": "a construction project (建设工程项目)",
    "account": "a bank account (对公账户, 工资专户, 保证金账户)",
    "event": "something that happened and was recorded: an incident, case, complaint, call",
    "school": "a kindergarten, primary or middle school",
    "device": "a sensor or gate terminal",
    "grid": "a grid (网格) of the district's grid management",
    "stop": "a bus stop",
    "route": "a bus route",
}


@dataclass(frozen=True)
class CanonicalField:
    type: str
    description: str
    values: tuple[str, ...] | None = None  # the canonical value domain, where there is one


def _f(type_: str, description: str, values: tuple[str, ...] | None = None) -> CanonicalField:
    return CanonicalField(type_, description, values)


FIELDS: dict[str, CanonicalField] = {
    # person
    "person.id_number": _f("string", "resident ID number (GB 11643), 15 or 18 characters"),
    "person.name": _f("string", "name as written (may carry spaces, traditional forms)"),
    "person.sex": _f("string", "sex", ("M", "F")),
    "person.birth_date": _f("date", "date of birth"),
    "person.age": _f("int", "age in years as the system recorded it"),
    "person.ethnicity": _f("string", "ethnic group (GB 3304 name)"),
    "person.phone": _f("string", "mobile or landline number as written"),
    "person.address": _f("string", "an address the person gave (not resolved to a house)"),
    "person.native_place": _f("string", "place of household registration (户籍地) of a migrant"),
    "person.household_number": _f("string", "hukou household number (户号)"),
    "person.household_relation": _f("string", "relation to the head of household"),
    "person.student_number": _f("string", "national student number (全国学籍号)"),
    "person.school_grade": _f("string", "grade a student is in"),
    "person.credential_id": _f("string", "access credential of a compound's gate system"),
    "person.insurance_number": _f("string", "social-insurance personal number (个人编号)"),
    "person.care_category": _f("string", "civil-affairs care category (独居老人 ...)"),
    "person.birth_certificate_number": _f("string", "birth medical certificate number"),
    # house
    "house.address": _f("string", "address as written (full, short or old form)"),
    "house.kind": _f("string", "kind of dwelling", ("flat", "village_house")),
    "house.room": _f("string", "building-unit-room within a compound"),
    "house.compound_id": _f("string", "compound (小区) code of a property system"),
    "house.village": _f("string", "village or community (村/社区) name"),
    "house.tenant_households": _f("int", "households renting in the house"),
    # enterprise
    "enterprise.credit_code": _f("string", "unified social credit code (GB 32100)"),
    "enterprise.tax_number": _f("string", "taxpayer number (credit code or pre-2015 number)"),
    "enterprise.unit_number": _f("string", "social-insurance unit number (单位编号)"),
    "enterprise.name": _f("string", "name as written"),
    "enterprise.kind": _f("string", "type of market entity (市场主体类型)"),
    "enterprise.registered_on": _f("date", "date of establishment"),
    "enterprise.capital_wan": _f("float", "registered capital, 10,000 yuan"),
    "enterprise.status": _f("string", "registration status (存续, 注销 ...)"),
    "enterprise.address": _f("string", "registered or business address"),
    "enterprise.industry": _f("string", "GB/T 4754 industry section"),
    # vehicle
    "vehicle.plate": _f("string", "plate number (号牌号码)"),
    "vehicle.plate_type": _f("string", "plate type (GA 24.7 号牌种类)"),
    "vehicle.kind": _f("string", "vehicle type (车辆类型)"),
    "vehicle.brand": _f("string", "brand"),
    "vehicle.color": _f("string", "body colour"),
    "vehicle.registered_on": _f("date", "date of first registration"),
    "vehicle.key_vehicle": _f("bool", "a key vehicle under special supervision (重点车辆)"),
    # project
    "project.id": _f("string", "project number (项目编号)"),
    "project.name": _f("string", "project name"),
    "project.started_on": _f("date", "start of works"),
    "project.contract_wan": _f("float", "contract sum, 10,000 yuan"),
    "project.status": _f("string", "project status"),
    "project.lon": _f("float", "longitude"),
    "project.lat": _f("float", "latitude"),
    # account
    "account.number": _f("string", "bank account number"),
    "account.bank": _f("string", "bank (and branch) holding the account"),
    "account.purpose": _f("string", "nature of the account (账户性质)"),
    "account.opened_on": _f("date", "opening date"),
    "account.balance_wan": _f("float", "balance, 10,000 yuan"),
    # event
    "event.number": _f("string", "the system's own number of the case or order"),
    "event.occurred_at": _f("datetime", "when it happened"),
    "event.reported_at": _f("datetime", "when it was reported or registered"),
    "event.closed_at": _f("datetime", "when it was closed"),
    "event.deadline": _f("date", "deadline for rectification or handling"),
    "event.class": _f("string", "top-level class"),
    "event.category": _f("string", "category (the system's own classification)"),
    "event.description": _f("string", "free-text description"),
    "event.place": _f("string", "where, in words"),
    "event.town": _f("string", "town (镇街) the matter belongs to"),
    "event.lon": _f("float", "longitude"),
    "event.lat": _f("float", "latitude"),
    "event.channel": _f("string", "how it came in (source channel)"),
    "event.handler": _f("string", "unit that handles it"),
    "event.status": _f("string", "processing status"),
    "event.result": _f("string", "outcome"),
    "event.people": _f("int", "number of people involved"),
    "event.amount": _f("float", "sum involved, yuan"),
    "event.satisfaction": _f("string", "the reporter's rating on the return visit"),
    # school
    "school.id": _f("string", "school identification code (学校标识码)"),
    "school.name": _f("string", "school name"),
    "school.level": _f("string", "level (幼儿园, 小学, 初中)"),
    "school.town": _f("string", "town (镇街) of the school"),
    "school.seats": _f("int", "approved seats"),
    "school.students": _f("int", "enrolled students"),
    "school.lon": _f("float", "longitude"),
    "school.lat": _f("float", "latitude"),
    # device, stop, route
    "device.id": _f("string", "device id"),
    "stop.id": _f("string", "stop number"),
    "stop.name": _f("string", "stop name"),
    "stop.lon": _f("float", "longitude"),
    "stop.lat": _f("float", "latitude"),
    "route.name": _f("string", "route name (线路编号)"),
    "route.stops": _f("string", "the route's stop numbers in order"),
}


@dataclass(frozen=True)
class Relation:
    sources: tuple[str, ...]  # entity types the relation runs from
    targets: tuple[str, ...]  # entity types it runs to
    description: str


RELATIONS: dict[str, Relation] = {
    "residence": Relation(("person",), ("house",), "lives or is registered at"),
    "landlord": Relation(("person",), ("house",), "lets the house"),
    "employment": Relation(("person",), ("enterprise",), "works for"),
    "legal_representative": Relation(("person",), ("enterprise",), "legal representative of"),
    "vehicle_ownership": Relation(("person", "enterprise"), ("vehicle",), "owns"),
    "enterprise_project": Relation(("enterprise",), ("project",), "builds or develops"),
    "project_account": Relation(
        ("project",), ("account",), "the project's wage or deposit account"
    ),
    "account_holder": Relation(("person", "enterprise"), ("account",), "holds"),
    "utility_account": Relation(
        ("person",), ("house", "enterprise"), "holds the power or water account of"
    ),
    "parent": Relation(("person",), ("person",), "mother or father of"),
    # Implied by shared identifiers, not stated by a row (hub/graph/shared.py).
    "household": Relation(("person",), ("person",), "in one hukou household (户号) with"),
    "shared_phone": Relation(("person",), ("person",), "gives the same phone number as"),
    "guardian": Relation(("person",), ("person",), "guardian of"),
    "enrolment": Relation(("person",), ("school",), "is a student of"),
    "party": Relation(("person", "enterprise"), ("event",), "a party to, or the reporter of"),
    "lawsuit": Relation(("person", "enterprise"), ("person", "enterprise"), "sues"),
    "involves": Relation(("event",), ("enterprise", "vehicle", "house"), "concerns"),
    "located_in": Relation(("stop",), ("grid",), "stands in"),
    "passage": Relation(("person",), ("device",), "passed the gate"),
}

# Which contract types may carry a canonical type.
COMPATIBLE: dict[str, tuple[str, ...]] = {
    "string": ("string",),
    "int": ("int",),
    "float": ("float", "int"),
    "date": ("date",),
    "datetime": ("datetime", "date"),
    "bool": ("bool",),
}


@dataclass(frozen=True)
class FieldRef:
    """A parsed `entity[:role].field` reference."""

    entity: str
    role: str
    field: str

    @property
    def canonical(self) -> str:
        return f"{self.entity}.{self.field}"

    def __str__(self) -> str:
        role = "" if self.role == "subject" else f":{self.role}"
        return f"{self.entity}{role}.{self.field}"


def parse_ref(ref: str, default_role: str = "subject") -> FieldRef:
    """`person.name` -> (person, default_role, name); `person:legal_rep.name` -> (person,
    legal_rep, name). Raises ValueError for anything not in the vocabulary."""
    head, dot, field = ref.partition(".")
    if not dot or not head or not field:
        raise ValueError(f"{ref!r} is not of the form entity.field or entity:role.field")
    entity, _, role = head.partition(":")
    ref_ = FieldRef(entity, role or default_role, field)
    if entity not in ENTITIES:
        raise ValueError(f"{ref!r}: unknown entity type {entity!r}")
    if ref_.canonical not in FIELDS:
        known = ", ".join(k.split(".", 1)[1] for k in FIELDS if k.startswith(entity + "."))
        raise ValueError(f"{ref!r}: {entity} has no canonical field {field!r} (known: {known})")
    return ref_


def parse_entity(ref: str) -> tuple[str, str]:
    """`person` -> (person, subject); `person:legal_rep` -> (person, legal_rep)."""
    entity, _, role = ref.partition(":")
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity type {entity!r} (known: {', '.join(ENTITIES)})")
    return entity, role or "subject"
