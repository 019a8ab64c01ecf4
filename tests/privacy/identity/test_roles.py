from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.privacy.identity import (
    ADMIN_ROLES,
    DEPARTMENTS,
    ROLE_LABELS,
    SYSTEM_ROLES,
    USER_ROLES,
    Role,
    area_exists,
    area_name,
    scope_level,
    validate_assignment,
)

GRID = "330110010248001"


def test_every_role_has_a_label_and_a_rule() -> None:
    assert set(ROLE_LABELS) == set(Role)
    assert Role.GRID_WORKER.label == "专职网格员"
    assert Role.DEPARTMENT_HANDLER.label == "部门承办人"
    assert {Role.DEPARTMENT_SYSTEM, Role.DEVICE_GATEWAY, Role.OPEN311_CLIENT} == SYSTEM_ROLES
    assert USER_ROLES.isdisjoint(SYSTEM_ROLES)
    assert len(USER_ROLES) == 12
    assert {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR} == ADMIN_ROLES


@pytest.mark.parametrize(
    ("scope", "level"),
    [("", "none"), ("330110", "district"), ("330110010", "town"),
     ("330110010248", "village"), (GRID, "grid")],
)  # fmt: skip
def test_scope_levels(scope: str, level: str) -> None:
    assert scope_level(scope) == level


@pytest.mark.parametrize("scope", ["3301", "33011001", "330111", "330111010", "33011O", "x"])
def test_malformed_scopes(scope: str) -> None:
    with pytest.raises(ValueError, match="scope"):
        scope_level(scope)


@pytest.mark.parametrize(
    ("role", "scope", "department"),
    [
        ("district_commander", "330110", None),
        ("town_officer", "330110010", None),
        ("village_officer", "330110010248", None),
        ("grid_worker", GRID, None),
        ("part_time_grid_worker", GRID, None),
        ("department_handler", "330110", "police"),
        ("department_handler", "330110010", "police"),
        ("mediator", "330110010248", None),
        ("analyst", "330110", None),
        ("system_admin", "", None),
        ("security_admin", "", None),
        ("auditor", "", None),
        ("citizen", "", None),
        ("department_system", "330110", "urban"),
        ("device_gateway", GRID, None),
        ("open311_client", "330110", None),
    ],
)
def test_valid_assignments(role: str, scope: str, department: str | None) -> None:
    assert validate_assignment(role, scope, department) == Role(role)


@pytest.mark.parametrize(
    ("role", "scope", "department", "message"),
    [
        ("mayor", "330110", None, "unknown role 'mayor'"),
        ("town_officer", "330110", None, r"needs a town scope \(9 digits"),
        ("town_officer", "330110010248", None, "needs a town scope"),
        ("village_officer", "330110010", None, "needs a village scope"),
        ("grid_worker", "330110010248", None, "needs a grid scope"),
        ("district_commander", "", None, "needs a district scope"),
        ("department_handler", "330110", None, "needs a department"),
        ("department_handler", GRID, "police", "needs a district scope .* or a town scope"),
        ("department_handler", "330110", "fbi", "unknown department 'fbi'"),
        ("town_officer", "330110010", "police", "takes no department"),
        ("auditor", "330110", None, "holds no area scope"),
        ("citizen", GRID, None, "holds no area scope"),
        ("department_system", "330110", None, "needs a department"),
    ],
)
def test_invalid_assignments(role: str, scope: str, department: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_assignment(role, scope, department)


def test_layout_check_rejects_codes_that_are_no_area(layout) -> None:
    validate_assignment("village_officer", "330110010248", layout=layout)
    with pytest.raises(ValueError, match="not an area"):
        validate_assignment("village_officer", "330110010999", layout=layout)
    assert area_name(layout, "330110") == "余杭区"
    assert area_name(layout, "330110010") == "良渚街道"
    assert area_name(layout, "330110010248") == "谢村村"
    assert area_name(layout, GRID) == "谢村村第1网格"
    assert area_name(layout, "") == ""
    assert not area_exists(layout, "330110999")


def test_departments_have_labels() -> None:
    assert DEPARTMENTS["police"][0] == "公安"
    assert DEPARTMENTS["urban"][0] == "城管"
    assert DEPARTMENTS["housing"][0] == "住建"


@given(st.text(max_size=20))
def test_scope_level_never_accepts_garbage_silently(scope: str) -> None:
    try:
        level = scope_level(scope)
    except ValueError:
        return
    assert level == "none" or (scope.isdigit() and scope.startswith("330110"))
