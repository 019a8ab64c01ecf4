"""Routing rules as data: category (a tree prefix) × level → department, deadlines.

Version 1 is expanded from data/routing.yaml and the category tree; every edit makes a new
version (the old ones stay, so each event records the version that routed it). Lookup takes
the longest category prefix that has a rule for the level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhili.events.categories import Tree, tree
from zhili.events.lifecycle import LEVELS
from zhili.events.models import RoutingRule, RoutingVersion

_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Rule:
    category: str
    level: str
    department: str
    start: bool
    respond_minutes: int
    deadline_hours: float


@dataclass(frozen=True)
class CrowdPolicy:
    levels: dict[str, int]  # level -> crowd size at or above which an event starts there
    severity: dict[int, int]  # severity -> crowd size

    def level_for(self, crowd: int | None) -> str | None:
        best = None
        for level, size in sorted(self.levels.items(), key=lambda kv: kv[1]):
            if crowd is not None and crowd >= size:
                best = level
        return best

    def severity_for(self, crowd: int | None) -> int:
        best = 1
        for sev, size in self.severity.items():
            if crowd is not None and crowd >= size:
                best = max(best, sev)
        return best


def _raw() -> dict:
    return yaml.safe_load((_DATA / "routing.yaml").read_text("utf-8"))


def crowd_policy() -> CrowdPolicy:
    raw = _raw()
    return CrowdPolicy(
        {k: int(v) for k, v in raw["crowd_levels"].items()},
        {int(k): int(v) for k, v in raw["crowd_severity"].items()},
    )


def seed_rules(t: Tree | None = None) -> list[Rule]:
    """Version 1: a rule per family × level, plus one per category whose class differs."""
    t = t or tree()
    raw = _raw()
    respond = raw["respond_minutes"]
    rules: list[Rule] = []
    for fcode, f in raw["families"].items():
        fam_class = _family_class(t, fcode)
        for level in LEVELS:
            rules.append(
                Rule(
                    fcode,
                    level,
                    f[level],
                    f["start"] == level,
                    int(respond[fam_class]),
                    t.classes[fam_class],
                )
            )
        for c in t.categories.values():
            if c.family == fcode and c.deadline_class != fam_class:
                for level in LEVELS:
                    rules.append(
                        Rule(
                            c.code,
                            level,
                            f[level],
                            f["start"] == level,
                            int(respond[c.deadline_class]),
                            t.classes[c.deadline_class],
                        )
                    )
    return rules


def _family_class(t: Tree, family: str) -> str:
    # The family's class is its categories' most common class (the YAML's family default).
    raw = yaml.safe_load((_DATA / "categories.yaml").read_text("utf-8"))
    return raw["families"][family]["class"]


class RuleBook:
    """One version's rules in memory, for lookups at intake speed."""

    def __init__(self, version: int, rules: list[Rule]) -> None:
        self.version = version
        self.rules = rules
        self._by: dict[tuple[str, str], Rule] = {(r.category, r.level): r for r in rules}
        self._start: dict[str, str] = {r.category: r.level for r in rules if r.start}

    def rule(self, category: str, level: str) -> Rule:
        """The rule for the longest prefix of `category` at `level`."""
        code = category
        while True:
            found = self._by.get((code, level))
            if found is not None:
                return found
            if "." not in code:
                raise LookupError(f"no routing rule for {category} at level {level}")
            code = code.rsplit(".", 1)[0]

    def start_level(self, category: str) -> str:
        code = category
        while True:
            if code in self._start:
                return self._start[code]
            if "." not in code:
                return "grid"
            code = code.rsplit(".", 1)[0]


class InvalidRules(ValueError):
    status = 422


def validate_rules(rules: list[Rule], t: Tree | None = None) -> None:
    """Every family needs a department at every level and exactly one start level."""
    t = t or tree()
    known = set(t.families) | set(t.categories)
    for r in rules:
        if r.category not in known:
            raise InvalidRules(f"rule for unknown category {r.category!r}")
        if r.level not in LEVELS:
            raise InvalidRules(f"rule {r.category}: unknown level {r.level!r}")
        if not r.department.strip():
            raise InvalidRules(f"rule {r.category} at {r.level}: empty department")
        if r.deadline_hours <= 0 or r.respond_minutes <= 0:
            raise InvalidRules(f"rule {r.category} at {r.level}: deadlines must be positive")
    have = {(r.category, r.level) for r in rules}
    for fam in t.families:
        missing = [lv for lv in LEVELS if (fam, lv) not in have]
        if missing:
            raise InvalidRules(f"family {fam} has no rule at level(s) {', '.join(missing)}")
        starts = [r for r in rules if r.category == fam and r.start]
        if len(starts) != 1:
            raise InvalidRules(f"family {fam} needs exactly one start level, has {len(starts)}")


def save_version(session: Session, rules: list[Rule], actor: str, note: str = "") -> int:
    """Store `rules` as a new active version (the caller commits)."""
    validate_rules(rules)
    version = (session.scalar(select(func.max(RoutingVersion.version))) or 0) + 1
    session.execute(update(RoutingVersion).values(active=False))
    session.add(
        RoutingVersion(
            version=version,
            created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            created_by=actor,
            note=note,
            active=True,
        )
    )
    session.flush()
    session.add_all(
        RoutingRule(
            version=version,
            category=r.category,
            level=r.level,
            department=r.department,
            start=r.start,
            respond_minutes=r.respond_minutes,
            deadline_hours=r.deadline_hours,
        )
        for r in rules
    )
    session.flush()
    return version


def active_book(session: Session) -> RuleBook:
    """The active version's rules; version 1 is seeded on first use."""
    version = session.scalar(select(RoutingVersion.version).where(RoutingVersion.active))
    if version is None:
        version = save_version(session, seed_rules(), "system", "seed rules (routing.yaml)")
        session.commit()
    return load_book(session, version)


def load_book(session: Session, version: int) -> RuleBook:
    rows = session.scalars(select(RoutingRule).where(RoutingRule.version == version)).all()
    return RuleBook(
        version,
        [
            Rule(r.category, r.level, r.department, r.start, r.respond_minutes, r.deadline_hours)
            for r in rows
        ],
    )
