"""The policy: roles act only within their rules, areas are prefixes, purpose is required for
personal data beyond one's own tasks, and the three administrators are separated."""

from __future__ import annotations

import pytest

from zhili.privacy.actors import ANONYMOUS, Actor
from zhili.privacy.policy import (
    PURPOSE_REQUIRED,
    ROLE_RULES,
    Forbidden,
    NotAuthenticated,
    NotFound,
    PurposeRequired,
    Resource,
    authorize,
)
from zhili.privacy.purpose import Purpose, PurposeError

GRID = "330110010248001"
PURPOSE = Purpose("statutory_duty", case_id="EV00000001")


def person(area: str, owner: str = "P1") -> Resource:
    return Resource(kind="person", id=owner, area=area, owner_person=owner)


def test_village_officer_reads_inside_the_village_only() -> None:
    officer = Actor(id="user:1", role="village_officer", scope="330110010248")
    assert authorize(officer, "person.read", person(GRID), PURPOSE) == "area"
    with pytest.raises(NotFound):
        authorize(officer, "person.read", person("330110010249001"), PURPOSE)


def test_scope_is_a_prefix_not_a_substring() -> None:
    town = Actor(id="user:2", role="town_officer", scope="330110010")
    authorize(town, "person.list")
    authorize(town, "person.read", person(GRID), PURPOSE)
    with pytest.raises(NotFound):
        authorize(town, "person.read", person("330110001010001"), PURPOSE)
    nobody = Actor(id="user:3", role="town_officer", scope="")
    with pytest.raises(NotFound):
        authorize(nobody, "person.read", person(GRID), PURPOSE)


def test_purpose_is_required_for_profiles_and_search() -> None:
    worker = Actor(id="user:4", role="grid_worker", scope=GRID)
    with pytest.raises(PurposeRequired):
        authorize(worker, "person.read", person(GRID))
    assert "person.list" not in PURPOSE_REQUIRED  # listing one's own grid is one's own task


def test_citizen_reads_only_their_own_data() -> None:
    citizen = Actor(id="user:5", role="citizen", person_id="P1")
    authorize(citizen, "person.read_self", person(GRID, "P1"))
    with pytest.raises(NotFound):
        authorize(citizen, "person.read_self", person(GRID, "P2"))
    with pytest.raises(Forbidden):
        authorize(citizen, "person.read", person(GRID, "P2"), PURPOSE)


def test_anonymous_must_log_in() -> None:
    with pytest.raises(NotAuthenticated):
        authorize(ANONYMOUS, "person.list")
    authorize(ANONYMOUS, "district.read")


@pytest.mark.parametrize("admin", ["system_admin", "security_admin", "auditor"])
def test_administrators_read_no_personal_data(admin: str) -> None:
    actor = Actor(id="user:6", role=admin, scope="330110")
    for action in ("person.list", "person.read", "person.search", "person.unmask"):
        with pytest.raises(Forbidden):
            authorize(actor, action, person(GRID), PURPOSE)


def test_administrators_are_separated() -> None:
    duties = {
        "system_admin": {"user.create", "system.configure"},
        "security_admin": {"user.assign_role", "apikey.issue"},
        "auditor": {"audit.read", "audit.verify"},
    }
    for role, own in duties.items():
        others = set().union(*(d for r, d in duties.items() if r != role))
        assert own <= set(ROLE_RULES[role])
        assert not others & set(ROLE_RULES[role]), role


def test_purpose_validation() -> None:
    with pytest.raises(PurposeError):
        Purpose("because")
    with pytest.raises(PurposeError):
        Purpose("statutory_duty")
    assert Purpose("investigation", case_id="X1").confidential
