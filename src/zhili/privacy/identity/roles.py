"""Roles, departments and area scopes, and the rules that tie them together.

A scope is an area-code prefix: the district "330110" (6 digits), a town (9), a village (12)
or a grid (15); "" means no area at all (administrators, citizens). Each role says which
scope levels it may hold and whether it needs a department. What a role may *do* is the
policy module's business; this module only keeps assignments well-formed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

import polars as pl

from zhili.geo.divisions import DISTRICT_CODE, YUHANG

SCOPE_LENGTHS: dict[str, int] = {"district": 6, "town": 9, "village": 12, "grid": 15}
_LEVEL_OF_LENGTH = {n: level for level, n in SCOPE_LENGTHS.items()}
_EXAMPLE = {
    "district": "330110",
    "town": "330110010",
    "village": "330110010248",
    "grid": "330110010248001",
}


class Role(StrEnum):
    DISTRICT_COMMANDER = "district_commander"
    TOWN_OFFICER = "town_officer"
    VILLAGE_OFFICER = "village_officer"
    GRID_WORKER = "grid_worker"
    PART_TIME_GRID_WORKER = "part_time_grid_worker"
    DEPARTMENT_HANDLER = "department_handler"
    MEDIATOR = "mediator"
    ANALYST = "analyst"
    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDITOR = "auditor"
    CITIZEN = "citizen"
    # System roles: held by API keys only, never by a person.
    DEPARTMENT_SYSTEM = "department_system"
    DEVICE_GATEWAY = "device_gateway"
    OPEN311_CLIENT = "open311_client"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def rule(self) -> RoleRule:
        return ROLE_RULES[self]


ROLE_LABELS: dict[Role, str] = {
    Role.DISTRICT_COMMANDER: "区级指挥长",
    Role.TOWN_OFFICER: "镇街干部",
    Role.VILLAGE_OFFICER: "村社干部",
    Role.GRID_WORKER: "专职网格员",
    Role.PART_TIME_GRID_WORKER: "兼职网格员",
    Role.DEPARTMENT_HANDLER: "部门承办人",
    Role.MEDIATOR: "调解员",
    Role.ANALYST: "分析员",
    Role.SYSTEM_ADMIN: "系统管理员",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.AUDITOR: "审计管理员",
    Role.CITIZEN: "市民",
    Role.DEPARTMENT_SYSTEM: "部门系统",
    Role.DEVICE_GATEWAY: "设备网关",
    Role.OPEN311_CLIENT: "Open311 客户端",
}

DepartmentRule = Literal["required", "optional", "forbidden"]


@dataclass(frozen=True)
class RoleRule:
    levels: tuple[str, ...]  # allowed scope levels; () means the scope must be ""
    department: DepartmentRule
    system: bool = False  # True: API keys only


ROLE_RULES: dict[Role, RoleRule] = {
    Role.DISTRICT_COMMANDER: RoleRule(("district",), "forbidden"),
    Role.TOWN_OFFICER: RoleRule(("town",), "forbidden"),
    Role.VILLAGE_OFFICER: RoleRule(("village",), "forbidden"),
    Role.GRID_WORKER: RoleRule(("grid",), "forbidden"),
    Role.PART_TIME_GRID_WORKER: RoleRule(("grid",), "forbidden"),
    # A department works district-wide, or through a town-level station (派出所, 中队).
    Role.DEPARTMENT_HANDLER: RoleRule(("district", "town"), "required"),
    # Mediation runs at the three levels of service centres.
    Role.MEDIATOR: RoleRule(("district", "town", "village"), "optional"),
    Role.ANALYST: RoleRule(("district", "town"), "optional"),
    # The three administrators hold no area: they manage the system, not residents' data.
    Role.SYSTEM_ADMIN: RoleRule((), "forbidden"),
    Role.SECURITY_ADMIN: RoleRule((), "forbidden"),
    Role.AUDITOR: RoleRule((), "forbidden"),
    Role.CITIZEN: RoleRule((), "forbidden"),
    Role.DEPARTMENT_SYSTEM: RoleRule(("district",), "required", system=True),
    Role.DEVICE_GATEWAY: RoleRule(("district", "town", "village", "grid"), "optional", True),
    Role.OPEN311_CLIENT: RoleRule(("district",), "forbidden", system=True),
}

ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
SYSTEM_ROLES = frozenset(r for r, rule in ROLE_RULES.items() if rule.system)
USER_ROLES = frozenset(r for r, rule in ROLE_RULES.items() if not rule.system)

# Department codes follow the twin's source-system modules (zhili.twin.sources.catalog);
# value: (short label, the department's full name).
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "police": ("公安", "余杭区公安分局"),
    "traffic": ("交警", "余杭区公安局交通警察大队"),
    "fire": ("消防", "余杭区消防救援大队"),
    "courts": ("法院", "余杭区人民法院"),
    "justice": ("司法", "余杭区司法局"),
    "hr": ("人社", "余杭区人力资源和社会保障局"),
    "urban": ("城管", "余杭区城市管理局"),
    "market": ("市场监管", "余杭区市场监督管理局"),
    "tax": ("税务", "国家税务总局杭州市余杭区税务局"),
    "housing": ("住建", "余杭区住房和城乡建设局"),
    "petitions": ("信访", "余杭区信访局"),
    "civil": ("民政", "余杭区民政局"),
    "health": ("卫健", "余杭区卫生健康局"),
    "education": ("教育", "余杭区教育局"),
    "work_safety": ("应急管理", "余杭区应急管理局"),
    "transport": ("交通运输", "余杭区交通运输局"),
    "hotline": ("12345", "杭州市12345市长公开电话（余杭分中心）"),
}


def parse_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {role!r}; known roles: {known}") from None


def scope_level(scope: str) -> str:
    """The scope's level: none, district, town, village or grid (ValueError if malformed)."""
    if scope == "":
        return "none"
    level = _LEVEL_OF_LENGTH.get(len(scope))
    if not scope.isascii() or not scope.isdigit() or level is None:
        raise ValueError(
            f"scope must be an area code of 6, 9, 12 or 15 digits (or empty), got {scope!r}"
        )
    if not scope.startswith(DISTRICT_CODE):
        raise ValueError(f"scope {scope!r} is outside the district {DISTRICT_CODE}")
    return level


def validate_assignment(
    role: str | Role,
    scope: str,
    department: str | None = None,
    *,
    layout: AreaTables | None = None,
) -> Role:
    """Check that `role` may hold `scope` and `department`; return the role as a `Role`.

    With a layout, the scope must also name an area that exists. Raises ValueError saying
    what is wrong and what would be right.
    """
    r = parse_role(role)
    rule = r.rule
    who = f"role {r.value} ({r.label})"
    level = scope_level(scope)
    if not rule.levels and level != "none":
        raise ValueError(f"{who} holds no area scope; got {scope!r}")
    if rule.levels and level not in rule.levels:
        wanted = " or ".join(
            f"a {lv} scope ({SCOPE_LENGTHS[lv]} digits, e.g. {_EXAMPLE[lv]})" for lv in rule.levels
        )
        raise ValueError(f"{who} needs {wanted}; got {scope!r}")
    if layout is not None and level != "none" and not area_exists(layout, scope):
        raise ValueError(f"scope {scope!r} is not an area of the district layout")
    if department is not None and department not in DEPARTMENTS:
        raise ValueError(f"unknown department {department!r}; known: {_department_list()}")
    if rule.department == "required" and department is None:
        raise ValueError(f"{who} needs a department (one of: {_department_list()})")
    if rule.department == "forbidden" and department is not None:
        raise ValueError(f"{who} takes no department; got {department!r}")
    return r


def _department_list() -> str:
    return ", ".join(f"{code} {label}" for code, (label, _) in DEPARTMENTS.items())


class AreaTables(Protocol):
    """What we need of `zhili.geo.DistrictLayout`: its three code tables."""

    towns: pl.DataFrame
    villages: pl.DataFrame
    grids: pl.DataFrame


def area_exists(layout: AreaTables, scope: str) -> bool:
    return area_name(layout, scope) is not None


def area_name(layout: AreaTables, scope: str) -> str | None:
    """The area's Chinese name (村社 by short name), "" for no scope, None if no such area."""
    level = scope_level(scope)
    if level == "none":
        return ""
    if level == "district":
        return YUHANG if scope == DISTRICT_CODE else None
    table, column = {
        "town": (layout.towns, "name"),
        "village": (layout.villages, "short_name"),
        "grid": (layout.grids, "name"),
    }[level]
    hit = table.filter(pl.col("code") == scope)
    return hit[column][0] if hit.height else None
