"""S5: police QR codes. Anyone scanning sees the place; a tenant self-registers (validated,
pending); an officer of the area with a purpose sees who is registered (masked, audited),
verifies or rejects; a verified move ends the old registration; hazards enter the event hub;
the printable sheet carries a code per building and rented flat."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.community.conftest import Store
from zhili.community import qr
from zhili.community.models import QrRegistration
from zhili.events.models import Event
from zhili.identifiers import resident_id
from zhili.privacy.actors import ANONYMOUS, Actor
from zhili.privacy.models import AuditRecord
from zhili.privacy.policy import AuthorizationError, Forbidden, NotFound, PurposeRequired
from zhili.privacy.purpose import Purpose

WHY = Purpose("statutory_duty", None, "出租房屋流动人口核查")


def _id(seq: int) -> str:
    body = f"33012519900101{seq:03d}"
    return body + resident_id.check_digit(body)


def _pilot_flat(store: Store, n: int):  # type: ignore[no-untyped-def]
    """The n-th rented flat of the pilot (tests keep to their own flats)."""
    with store.sessions() as s:
        from zhili.community.models import CommunityPlace

        rows = s.scalars(
            select(CommunityPlace)
            .where(
                CommunityPlace.kind == "flat",
                CommunityPlace.compound_id == store.pilot["compound_id"],
            )
            .order_by(CommunityPlace.id)
        ).all()
        row = rows[n]
        s.expunge(row)
        return row


def test_scanning_shows_the_place_and_nothing_personal(store: Store) -> None:
    flat = _pilot_flat(store, 0)
    building = store.place(kind="building", building_id=flat.building_id)
    with store.sessions() as s:
        f = qr.landing(s, flat.token)
        b = qr.landing(s, building.token)
        with pytest.raises(NotFound):
            qr.landing(s, "not-a-token")
    assert f["kind"] == "flat" and f["label"] == flat.label and "昌运里" in f["label"]
    assert f["actions"]["register"]["needs_room"] is False
    assert b["kind"] == "building" and b["rented_flats"] >= 1
    assert b["actions"]["register"]["needs_room"] is True
    assert qr.code_url(flat.token, "https://zhili.example/") == (
        f"https://zhili.example/qr/{flat.token}"
    )


def test_self_registration_is_validated_and_pending(store: Store) -> None:
    flat = _pilot_flat(store, 1)
    with store.sessions() as s:
        bad = _id(1)[:-1] + ("0" if _id(1)[-1] != "0" else "1")
        with pytest.raises(qr.BadRegistration, match="check digit"):
            qr.self_register(s, store.ctx, ANONYMOUS, flat.token, "王小明", bad, None)
        with pytest.raises(qr.BadRegistration, match="mobile"):
            qr.self_register(s, store.ctx, ANONYMOUS, flat.token, "王小明", _id(1), "12345")
        with pytest.raises(qr.BadRegistration, match="name"):
            qr.self_register(s, store.ctx, ANONYMOUS, flat.token, "x", _id(1), None)
        r = qr.self_register(s, store.ctx, ANONYMOUS, flat.token, "王小明", _id(1), "13800138000")
        again = qr.self_register(s, store.ctx, ANONYMOUS, flat.token, "王小明", _id(1), None)
    assert r["status"] == "pending" and r["created"] and not again["created"]
    assert again["id"] == r["id"]
    assert r["id_number"] == "330125********" + _id(1)[-4:] and r["name"] == "王**"
    assert r["phone"] == "138****8000"


def test_a_building_code_registers_at_a_room_of_the_building(store: Store) -> None:
    flat = _pilot_flat(store, 2)
    building = store.place(kind="building", building_id=flat.building_id)
    with store.sessions() as s:
        with pytest.raises(qr.BadRegistration, match="room"):
            qr.self_register(s, store.ctx, ANONYMOUS, building.token, "李四", _id(2), None)
        r = qr.self_register(
            s,
            store.ctx,
            ANONYMOUS,
            building.token,
            "李四",
            _id(2),
            None,
            room=f"{flat.unit}-{flat.room}",
        )
        reg = s.get(QrRegistration, r["id"])
        assert reg is not None and reg.place_id == flat.id
        with pytest.raises(qr.BadRegistration, match="no rented flat"):
            qr.self_register(
                s, store.ctx, ANONYMOUS, building.token, "李四", _id(2), None, room="9-9999"
            )


def test_an_officer_sees_who_is_registered_with_a_purpose(store: Store) -> None:
    flat = _pilot_flat(store, 3)
    building = store.place(kind="building", building_id=flat.building_id)
    # A real resident of the twin registers: the registration names their master person.
    with store.sessions() as s:
        from zhili.hub.models import Resident

        someone = s.scalars(select(Resident).where(Resident.migrant).limit(1)).one()
        pid, name, number = someone.person_id, someone.name, someone.id_number
        qr.self_register(s, store.ctx, ANONYMOUS, flat.token, name, number, None)
    officer = store.officer()
    police = store.officer("department_handler", scope="330110", department="police")
    with store.sessions() as s:
        with pytest.raises(PurposeRequired):
            qr.registered(s, store.ctx, officer, flat.token, None)
        s.rollback()
        seen = qr.registered(s, store.ctx, officer, flat.token, WHY)
        whole = qr.registered(s, store.ctx, police, building.token, WHY)
        full = qr.registered(s, store.ctx, police, flat.token, WHY, unmask=True)
    assert seen["pending"] == 1 and seen["items"][0]["id_number"] != number
    assert seen["items"][0]["masked"] and seen["items"][0]["name"].endswith("*")
    assert any(i["place"] == flat.label for i in whole["items"])  # a building: all its flats
    assert full["items"][0]["id_number"] == number
    with store.sessions() as s:
        # Outside the area: as if the code did not exist; the wrong department: refused.
        outside = Actor(id="user:o", role="village_officer", scope="330110001001")
        with pytest.raises(NotFound):
            qr.registered(s, store.ctx, outside, flat.token, WHY)
        urban = store.officer("department_handler", scope="330110", department="urban")
        with pytest.raises(Forbidden):
            qr.registered(s, store.ctx, urban, flat.token, WHY)
        grid = Actor(id="user:g", role="grid_worker", scope=flat.grid_code)
        with pytest.raises(Forbidden):
            qr.registered(s, store.ctx, grid, flat.token, WHY)
        s.rollback()
        reads = s.scalars(select(AuditRecord).where(AuditRecord.resource == f"qr:{flat.ref}")).all()
    actions = [r.action for r in reads]
    assert actions.count("qr.residents") == 1 and actions.count("person.unmask") == 1
    assert all(r.subjects for r in reads if r.action != "qr.register")
    assert {r.purpose for r in reads if r.action != "qr.register"} == {WHY.text}
    assert pid  # the master person is what the audit's subjects name (HMAC'd)


def test_verification_and_one_home_at_a_time(store: Store) -> None:
    old, new = _pilot_flat(store, 4), _pilot_flat(store, 5)
    officer = store.officer()
    with store.sessions() as s:
        a = qr.self_register(s, store.ctx, ANONYMOUS, old.token, "赵六", _id(6), None)
        qr.decide(s, store.ctx, officer, a["id"], verify=True)
        with pytest.raises(qr.Conflict):
            qr.decide(s, store.ctx, officer, a["id"], verify=False)
        b = qr.self_register(s, store.ctx, ANONYMOUS, new.token, "赵六", _id(6), None)
        out = qr.decide(s, store.ctx, officer, b["id"], verify=True, note="核验身份证")
        assert out["status"] == "verified" and out["ended_elsewhere"] == 1
        assert s.get(QrRegistration, a["id"]).status == "moved"
        with pytest.raises(ValueError, match="note"):
            qr.end_registration(s, store.ctx, officer, b["id"], " ")
        ended = qr.end_registration(s, store.ctx, officer, b["id"], "退租")
        assert ended["status"] == "moved"
        with pytest.raises(qr.Conflict):
            qr.end_registration(s, store.ctx, officer, b["id"], "退租")
        c = qr.self_register(s, store.ctx, ANONYMOUS, new.token, "冒名", _id(7), None)
        with pytest.raises(ValueError, match="note"):  # the API and the QR page alike
            qr.decide(s, store.ctx, officer, c["id"], verify=False, note=" ")
        assert qr.decide(s, store.ctx, officer, c["id"], False, "查无此人")["status"] == "rejected"
        housing = store.officer("department_handler", scope="330110", department="housing")
        queue = qr.list_registrations(s, store.ctx, housing, status="moved")
        assert {a["id"], b["id"]} <= {i["id"] for i in queue["items"]}
        elsewhere = Actor(id="user:e", role="town_officer", scope="330110001")
        assert qr.list_registrations(s, store.ctx, elsewhere, status=None)["items"] == []
        with pytest.raises(NotFound):
            qr.decide(s, store.ctx, elsewhere, c["id"], verify=True)


def test_an_officer_files_a_hazard_into_the_event_hub(store: Store) -> None:
    flat = _pilot_flat(store, 6)
    building = store.place(kind="building", building_id=flat.building_id)
    police = store.officer("department_handler", scope="330110", department="police")
    with store.sessions() as s:
        e1 = qr.file_hazard(
            s, store.state, store.ctx, police, flat.token, "私拉电线，电动车室内充电"
        )
        e2 = qr.file_hazard(s, store.state, store.ctx, police, building.token, "消防通道堆放杂物")
        rows = {e.code: e for e in s.scalars(select(Event).where(Event.id.in_([e1.id, e2.id])))}
    f, b = rows[e1.code], rows[e2.code]
    assert f.category == "public_order.rental_hazard" and f.address == flat.label
    assert f.entities == [{"kind": "house", "id": flat.ref}] and f.channel == "staff"
    assert b.category == "governance.safety_hazard"
    outsider = Actor(id="user:x", role="grid_worker", scope="330110001001001")
    with store.sessions() as s, pytest.raises(Forbidden):
        qr.file_hazard(s, store.state, store.ctx, outsider, flat.token, "x")


def test_the_printable_sheet_has_a_code_per_building_and_rented_flat(store: Store) -> None:
    flat = _pilot_flat(store, 7)
    grid_worker = Actor(id="user:g", role="grid_worker", scope=flat.grid_code)
    with store.sessions() as s:
        from zhili.community.models import CommunityPlace

        flats = s.scalars(
            select(CommunityPlace).where(
                CommunityPlace.kind == "flat", CommunityPlace.building_id == flat.building_id
            )
        ).all()
        page = qr.building_sheet(s, store.ctx, grid_worker, flat.building_id, "https://z.example")
        with pytest.raises(AuthorizationError):  # 401: log in first
            qr.building_sheet(s, store.ctx, ANONYMOUS, flat.building_id)
    assert page.startswith("<!doctype html>") and page.count("<svg") == 1 + len(flats)
    assert all(f.label in page for f in flats) and "@page" in page
    # The codes carry only the URL: no token, label or personal data in clear beside them
    # except the labels, and no token leaks as text.
    assert flat.token not in re.sub(r"<svg.*?</svg>", "", page, flags=re.S)


def test_a_lost_code_is_replaced(store: Store) -> None:
    flat = _pilot_flat(store, 8)
    with store.sessions() as s:
        new = qr.rotate_token(s, flat.ref)
        s.commit()
        with pytest.raises(NotFound):
            qr.landing(s, flat.token)
        assert qr.landing(s, new)["label"] == flat.label
