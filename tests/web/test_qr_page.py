"""The police QR code's page /qr/<token> in a real browser on a 390 x 844 phone (S5): a visitor
scans a rented flat's code, sees the place, mistypes the ID number (a clear error, nothing
lost) and self-registers; the "log in as an officer" link brings the police handler back to
the same code, who sees the registration (masked, audited with the stated purpose) and files
a hazard with a photo; an unknown code gets the "no longer valid" page. Screenshots under
artifacts/; no request leaves 127.0.0.1 (the `visit` fixture)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.web.conftest import PASSWORD
from tests.web.test_role_pages import _png, _token
from zhili.community.models import CommunityPlace, QrRegistration
from zhili.privacy.models import AuditRecord

PHONE = {"width": 390, "height": 844}
TENANT = {"name": "林晓租", "id_number": "330125199003070419", "phone": "13912345678"}
BAD_ID = "330125199003070410"  # the check digit is wrong


@pytest.fixture(scope="module")
def flat(server: str, data_dir: Path) -> dict:
    """The communities loaded beside the running server (codes kept across reloads, as
    tests/community/test_api.py loads them); the pilot compound's first rented flat."""
    _cli("community", "load-twin", "--data", str(data_dir))
    facts = json.loads((data_dir / "twin" / "truth" / "facts.json").read_text("utf-8"))
    pilot = facts["pilot"]["compound_id"]
    engine = create_engine(f"sqlite:///{data_dir / 'zhili.db'}")
    with Session(engine) as s:
        flats = select(CommunityPlace).where(CommunityPlace.kind == "flat")
        place = s.scalars(flats.where(CommunityPlace.compound_id == pilot).order_by("id")).first()
        other = s.scalars(flats.where(CommunityPlace.compound_id != pilot).order_by("id")).first()
        assert place is not None and other is not None
        out = {"token": place.token, "label": place.label, "id": place.id}
        out |= {"other": other.token, "other_ref": other.ref}
    engine.dispose()
    return out


def _cli(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zhili.cli", *args], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def _shot(v, name: str) -> None:
    v.page.evaluate("window.scrollTo(0, 0)")  # the fixed header stays at the top of the shot
    v.shot(name)


def _fits(page) -> None:
    """Usable on the phone: nothing wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_visitor_registers_and_officer_sees_it_and_files_a_hazard(
    visit, server: str, flat: dict, data_dir: Path, tmp_path: Path
) -> None:
    path = f"/qr/{flat['token']}"
    tenant = visit(None, path, **PHONE)
    page = tenant.page
    assert page.get_by_test_id("qr-label").inner_text() == flat["label"]
    assert "民警上门核对身份证件" in page.get_by_test_id("qr-note").inner_text()
    _fits(page)
    page.get_by_test_id("qr-name").fill(TENANT["name"])
    page.get_by_test_id("qr-id_number").fill(BAD_ID)
    page.get_by_test_id("qr-phone").fill(TENANT["phone"])
    page.get_by_test_id("qr-submit").click()
    error = page.get_by_test_id("qr-error")
    error.wait_for()
    assert "身份证号码不正确" in error.inner_text()
    # Nothing typed is lost; the ID field itself says what is wrong.
    assert page.get_by_test_id("qr-name").input_value() == TENANT["name"]
    assert page.get_by_test_id("qr-phone").input_value() == TENANT["phone"]
    assert page.get_by_test_id("qr-id_number").input_value() == BAD_ID
    page.get_by_text("身份证号码不正确（bad check digit）").first.wait_for()
    _shot(tenant, "page-qr-bad-id")
    page.get_by_test_id("qr-id_number").fill(TENANT["id_number"])
    page.get_by_test_id("qr-submit").click()
    done = page.get_by_test_id("qr-registered")
    done.wait_for()
    text = done.inner_text()
    assert "民警核实后生效" in text and "待核实" in text
    assert TENANT["id_number"] not in text and "330125********0419" in text  # masked
    assert not error.is_visible()
    _fits(page)
    _shot(tenant, "page-qr-registered")

    # An officer scans the same code: the login link comes back to it.
    officer = visit(None, path, **PHONE)
    o = officer.page
    href = o.get_by_test_id("qr-login").get_attribute("href")
    assert href and urlparse(href).path == "/login"
    o.get_by_test_id("qr-login").click()
    o.wait_for_url(lambda url: urlparse(url).path == "/login")
    o.fill("input[name=username]", "police_handler")
    o.fill("input[name=password]", PASSWORD)
    o.keyboard.press("Enter")
    o.wait_for_url(lambda url: urlparse(url).path == path)
    assert o.get_by_test_id("qr-label").inner_text() == flat["label"]
    assert o.get_by_test_id("qr-login").count() == 0

    # Who is registered: a purpose first, then the list, masked.
    o.get_by_test_id("qr-purpose").fill("出租房屋流动人口核查")
    o.get_by_test_id("qr-show").click()
    person = o.get_by_test_id("qr-person").filter(has_text="林*")
    person.wait_for()
    row = person.inner_text()
    assert "330125********0419" in row and "139****5678" in row and "待核实" in row
    assert TENANT["id_number"] not in o.content()
    _shot(officer, "page-qr-officer-residents")

    # At the door with the ID card: a rejection needs a reason; verified, the list says so.
    person.locator("[data-testid^=qr-reject-]").click()
    o.get_by_text("驳回前请填写原因").wait_for()
    assert "待核实" in person.inner_text()
    person.locator("[data-testid^=qr-verify-]").click()
    o.get_by_test_id("qr-person").filter(has_text="林*").filter(has_text="已核实").wait_for()
    assert (
        o.get_by_test_id("qr-person")
        .filter(has_text="林*")
        .locator("[data-testid^=qr-verify-]")
        .count()
        == 0
    )
    _shot(officer, "page-qr-officer-verified")

    # A hazard at the flat, with a photo.
    o.get_by_test_id("qr-hazard-text").fill("楼道电动车充电，飞线")
    photo = tmp_path / "qr-hazard.png"
    photo.write_bytes(_png())
    o.locator("[data-testid=qr-photo] input[type=file]").set_input_files(str(photo))
    o.locator("[data-testid=qr-photo] .q-uploader__file--uploaded").wait_for()
    o.get_by_test_id("qr-hazard-submit").click()
    code = o.get_by_test_id("qr-reported").inner_text().split()[-1]
    _fits(o)
    _shot(officer, "page-qr-officer-hazard")
    e = httpx.get(
        f"{server}/api/events/{code}",
        headers={"Authorization": f"Bearer {_token(server, 'police_handler')}"},
    ).json()
    assert e["category"] == "public_order.rental_hazard", e
    assert e["address"] == flat["label"]
    assert [a["filename"] for a in e["attachments"]] == ["qr-hazard.png"]

    engine = create_engine(f"sqlite:///{data_dir / 'zhili.db'}")
    with Session(engine) as s:
        reg = s.scalars(
            select(QrRegistration).where(
                QrRegistration.place_id == flat["id"],
                QrRegistration.id_number == TENANT["id_number"],
            )
        ).one()
        assert reg.status == "verified" and reg.submitted_by == "anonymous"
        decided = s.scalars(
            select(AuditRecord).where(
                AuditRecord.action == "qr.verify",
                AuditRecord.resource == f"qr_registration:{reg.id}",
            )
        ).all()
        assert len(decided) == 1 and decided[0].actor_department == "police"
        assert reg.decided_by == decided[0].actor_id
        read = s.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "qr.residents")
            .order_by(AuditRecord.seq.desc())
        ).first()
    engine.dispose()
    assert read is not None and read.purpose == "出租房屋流动人口核查"
    assert read.legal_basis == "statutory_duty" and read.actor_department == "police"


def test_unknown_or_rotated_code(visit, server: str, flat: dict, data_dir: Path) -> None:
    # A code that worked stops working once it is rotated (a lost or copied code).
    rotated = visit(None, f"/qr/{flat['other']}", **PHONE)
    rotated.page.get_by_test_id("qr-label").wait_for()
    _cli("community", "rotate-code", flat["other_ref"], "--data", str(data_dir))
    rotated.page.reload()
    rotated.page.get_by_test_id("qr-invalid").wait_for()
    assert rotated.page.get_by_test_id("qr-label").count() == 0
    gone = visit(None, "/qr/AAAAAAAAAAAAAAAAAAAAAA", **PHONE)
    box = gone.page.get_by_test_id("qr-invalid")
    box.wait_for()
    assert "此二维码已失效" in box.inner_text()
    assert gone.page.get_by_test_id("qr-submit").count() == 0
    _fits(gone.page)
    _shot(gone, "page-qr-invalid")
    odd = visit(None, "/qr/not%20a%20code", **PHONE)
    odd.page.get_by_test_id("qr-invalid").wait_for()
    english = visit(None, "/qr/AAAAAAAAAAAAAAAAAAAAAA?lang=en", **PHONE)
    assert "This code is no longer valid" in english.page.get_by_test_id("qr-invalid").inner_text()
