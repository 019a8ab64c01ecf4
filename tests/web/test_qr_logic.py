"""The QR page's logic without a browser: who gets which part of the page, where the login
link returns to, the place's facts, and qr.self_register's refusals mapped to their field."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from zhili.community import qr
from zhili.privacy.actors import ANONYMOUS, Actor
from zhili.web.qr_landing import (
    apply_decision,
    facts,
    login_href,
    parts_for,
    place_or_none,
    registration_error,
    well_formed,
)
from zhili.web.session import safe_next

TOKEN = "Qm3xZ8_k2-J4nRw9aBcDeF"  # the shape of secrets.token_urlsafe(16)


def _actor(role: str, department: str | None = None) -> Actor:
    return Actor(id=f"user:{role}", role=role, scope="330110", department=department)


@pytest.mark.parametrize(
    "actor, login_link, residents, unmask, hazard, verify",
    [
        (ANONYMOUS, True, False, False, False, False),
        (_actor("department_handler", "police"), False, True, True, True, True),
        (_actor("department_handler", "housing"), False, True, True, True, True),
        # not their register: no list, no verifying
        (_actor("department_handler", "urban"), False, False, False, True, False),
        (_actor("village_officer"), False, True, False, True, True),  # no person.unmask
        (_actor("grid_worker"), False, False, False, True, False),
        (_actor("part_time_grid_worker"), False, False, False, True, False),
        (Actor(id="user:c", role="citizen", person_id="P1"), False, False, False, False, False),
        (_actor("auditor"), False, False, False, False, False),
    ],
)
def test_the_parts_of_the_page_follow_the_policy(
    actor: Actor, login_link: bool, residents: bool, unmask: bool, hazard: bool, verify: bool
) -> None:
    parts = parts_for(actor)
    assert (parts.login_link, parts.residents, parts.unmask, parts.hazard, parts.verify) == (
        login_link,
        residents,
        unmask,
        hazard,
        verify,
    )


def test_a_decision_updates_the_list_without_reading_it_again() -> None:
    listing = {
        "label": "1幢",
        "registered": 1,
        "pending": 2,
        "items": [
            {"id": 1, "status": "verified"},
            {"id": 2, "status": "pending"},
            {"id": 3, "status": "pending"},
        ],
    }
    verified = apply_decision(listing, 2, "verified")
    assert (verified["registered"], verified["pending"]) == (2, 1)
    assert [r["status"] for r in verified["items"]] == ["verified", "verified", "pending"]
    rejected = apply_decision(verified, 3, "rejected")
    assert (rejected["registered"], rejected["pending"]) == (2, 0)
    assert [r["id"] for r in rejected["items"]] == [1, 2]
    assert listing["items"][1]["status"] == "pending"  # the old listing is left as it was


def test_the_login_link_returns_to_the_same_code() -> None:
    for lang, back in (("zh", f"/qr/{TOKEN}"), ("en", f"/qr/{TOKEN}?lang=en")):
        url = urlparse(login_href(TOKEN, lang))
        query = parse_qs(url.query)
        assert url.path == "/login" and query["lang"] == [lang]
        assert query["next"] == [back] and safe_next(query["next"][0]) == back


def test_malformed_codes_are_answered_without_the_database() -> None:
    assert well_formed(TOKEN)
    for token in ("", "short", "a" * 65, "../../etc/passwd", "AAAAAAAAAAAAAAAA AAAAA", "码" * 20):
        assert not well_formed(token)
        assert place_or_none(None, token) is None  # type: ignore[arg-type]


def test_the_place_is_told_without_personal_data() -> None:
    flat = {
        "kind": "flat",
        "label": "昌运里 3幢 2单元 502室",
        "compound": "昌运里",
        "building_id": "B00012",
        "floors": 6,
        "area_code": "330110010248001",
    }
    assert facts(flat) == [
        ("qr_compound", "昌运里"),
        ("qr_building", "B00012"),
        ("qr_floors", "6"),
        ("qr_area", "330110010248001"),
    ]
    building = {**flat, "kind": "building", "floors": None, "rented_flats": 4}
    assert ("qr_rented_flats", "4") in facts(building)
    assert all(key != "qr_floors" for key, _ in facts(building))


@pytest.mark.parametrize(
    "name, id_number, phone, field, key",
    [
        ("X", "330125199003070419", None, "name", "qr_err_name"),
        ("林晓租", "330125199003070410", None, "id_number", "qr_err_id"),
        ("林晓租", "33012519900307", None, "id_number", "qr_err_id"),
        ("林晓租", "330125199003070419", "1234", "phone", "qr_err_phone"),
    ],
)
def test_a_refused_registration_names_its_field(
    name: str, id_number: str, phone: str | None, field: str, key: str
) -> None:
    # The messages qr.self_register raises (its own checks, before any database work).
    with pytest.raises(qr.BadRegistration) as refused:
        qr._checked(name, id_number, phone)
    got_field, got_key, detail = registration_error(str(refused.value))
    assert (got_field, got_key) == (field, key)
    if field == "id_number":
        assert detail and "(" not in detail  # the reason alone, shown beside the message


def test_a_building_code_without_a_room_marks_the_room() -> None:
    field, key, detail = registration_error(
        "a building's code needs the room: unit-room, e.g. 2-502"
    )
    assert (field, key) == ("room", "qr_err_room") and "2-502" in detail
