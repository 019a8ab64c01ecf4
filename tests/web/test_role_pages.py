"""The role pages in a real browser, end to end through the running server:
log in per role; a citizen's request → dispatch on the workbench → accepted and replied on the
grid worker's phone → supervised and closed → rated by the citizen, with its dot appearing on
the commander's big screen and leaving it when closed; a photo reported from the phone; the
citizen sees the commander's read of their data; the auditor verifies the chain. Every page is
saved as a screenshot under artifacts/, and no request leaves 127.0.0.1."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from zhili.events.models import Worker
from zhili.hub.overview import layout_for
from zhili.privacy.models import User

GRID = "330110010248001"  # 谢村村第1网格, the demo grid worker's grid


@pytest.fixture(scope="module")
def grid_point(data_dir: Path) -> tuple[float, float]:
    layout = layout_for(data_dir)
    index = layout.grids["code"].to_list().index(GRID)
    lon, lat = layout.sample_points(np.array([index]), np.random.default_rng(3))
    return float(lon[0]), float(lat[0])


@pytest.fixture(scope="module")
def demo_worker_id(server: str, data_dir: Path) -> int:
    engine = create_engine(f"sqlite:///{data_dir / 'zhili.db'}")
    with Session(engine) as s:
        person = s.scalar(select(User.person_id).where(User.username == "grid_xiecun_001"))
        wid = s.scalar(select(Worker.id).where(Worker.person_id == person))
    engine.dispose()
    assert wid is not None
    return int(wid)


def _token(server: str, username: str) -> str:
    r = httpx.post(
        f"{server}/api/auth/login", json={"username": username, "password": "Zhili-demo-2019"}
    )
    return r.json()["token"]


def _png() -> bytes:
    """A tiny valid PNG (one red pixel)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    raw = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _pick(page, testid: str, text: str) -> None:
    """Choose an option of a Quasar select by typing part of its label."""
    page.get_by_test_id(testid).click()  # the test id sits on the select's own input
    page.get_by_test_id(testid).fill(text)
    page.locator(".q-menu .q-item", has_text=text).first.click()


@pytest.mark.parametrize(
    "username, landing, title",
    [
        ("commander", "/screen", "实时指挥大屏"),
        ("urban_handler", "/workbench", "调度工作台"),
        ("analyst", "/kpi", "分析研判"),
        ("auditor", "/audit", "审计"),
        ("citizen_xiecun", "/citizen", "市民服务"),
    ],
)
def test_each_role_lands_on_its_page(visit, server: str, username, landing, title) -> None:
    page = visit(username, "/", lands=landing).page  # no `next`: the role's own first page
    assert page.get_by_test_id("page-title").inner_text() == title
    page.wait_for_load_state("networkidle")


def test_login_errors_and_forbidden_pages(visit, server: str) -> None:
    anon = visit(None, "/screen")
    anon.page.wait_for_url("**/login?next=/screen*")  # no session: to the login page
    anon.page.fill("input[name=username]", "commander")
    anon.page.fill("input[name=password]", "wrong-password")
    anon.page.keyboard.press("Enter")
    anon.page.get_by_test_id("login-error").wait_for()
    anon.shot("page-login-error")
    citizen = visit("citizen_xiecun", "/workbench")
    citizen.page.get_by_test_id("forbidden").wait_for()  # a clear error state, not a crash
    nav = citizen.page.locator("nav a").all_inner_texts()
    assert "调度工作台" not in nav and "市民服务" in nav
    citizen.shot("page-forbidden")
    english = visit("analyst", "/kpi?lang=en")
    english.page.get_by_text("The three rates by town").wait_for()
    english.shot("page-kpi-en")


def test_closed_loop_across_the_role_pages(
    visit, server: str, grid_point, demo_worker_id: int
) -> None:
    screen = visit("commander", "/screen", width=1600)
    screen.page.wait_for_selector("[data-testid=map-status][data-loaded='1']", state="attached")
    workers = int(screen.page.get_attribute("[data-testid=map-status]", "data-workers"))
    assert workers > 100  # every on-duty worker of the tiny twin is a dot

    # The citizen asks for a bus route (starts at the district: waits for a dispatcher).
    citizen = visit("citizen_xiecun", "/citizen", point=grid_point)
    page = citizen.page
    _pick(page, "service", "线路")
    page.get_by_test_id("request-text").fill("希望增开一条到良渚的公交线路")
    page.get_by_test_id("locate").click()
    page.get_by_text("位置").first.wait_for()
    page.get_by_test_id("submit-request").click()
    code = page.get_by_test_id("event-code").inner_text()
    assert code.startswith("E")
    # The citizen sees where the request is: the point and its grid, drawn with no tiles.
    page.wait_for_selector("[data-testid=event-map][data-drawn='1']", state="attached")
    box = page.get_by_test_id("event-map")
    assert box.locator("path.zhili-event-point").count() == 1
    assert box.locator(".leaflet-tile, .leaflet-tile-container img").count() == 0
    assert all(u.startswith(server) or u.startswith(("data:", "blob:")) for u in citizen.requests)
    citizen.shot("page-citizen-submitted")

    # Its dot appears on the big screen through the one live feed.
    screen.page.wait_for_function(f"window.zhiliScreen.seen.has('{code}')")
    assert screen.page.evaluate(f"window.zhiliScreen.events.has('{code}')")
    screen.shot("page-screen")

    # The commander dispatches it to the demo grid worker.
    bench = visit("commander", f"/workbench?event={code}")
    b = bench.page
    b.get_by_test_id("event-code").wait_for()
    assert b.get_by_test_id("event-code").inner_text() == code
    b.locator("[data-testid=act-dispatch]").wait_for()
    b.get_by_label("指定网格员编号（空则就近派遣）").fill(str(demo_worker_id))
    b.get_by_test_id("act-dispatch").click()
    b.wait_for_selector("[data-testid=state][data-state=dispatched]")
    bench.shot("page-workbench")

    # The grid worker accepts and replies on the phone (390 px wide).
    phone = visit("grid_xiecun_001", "/mobile", width=390, height=844, point=grid_point)
    m = phone.page
    m.get_by_test_id(f"task-accept-{code}").click()
    m.wait_for_selector(f"[data-task={code}] [data-state=handling]")  # redrawn after accepting
    m.get_by_test_id(f"task-input-{code}").fill("已与公交集团沟通，拟增开班次")
    m.get_by_test_id(f"task-reply-{code}").click()
    m.get_by_test_id(f"task-reply-{code}").wait_for(state="detached")
    phone.shot("page-mobile")

    # The commander supervises and closes; the dot leaves the screen.
    b.reload()
    b.get_by_test_id("act-supervise").click()
    b.wait_for_selector("[data-testid=state][data-state=supervised]")
    b.get_by_test_id("act-close").click()
    b.wait_for_selector("[data-testid=state][data-state=completed]")
    screen.page.wait_for_function(f"!window.zhiliScreen.events.has('{code}')")

    # The citizen rates the outcome and sees the commander's read of their data.
    page.reload()
    page.get_by_test_id(f"follow-{code}").click()
    page.get_by_test_id("rate").click()
    page.wait_for_selector("[data-testid=state][data-state=rated]")
    page.reload()
    table = page.get_by_test_id("who-viewed")
    table.wait_for()
    assert "区级指挥长" in table.inner_text()
    citizen.shot("page-citizen")
    timeline = httpx.get(
        f"{server}/api/events/{code}",
        headers={"Authorization": f"Bearer {_token(server, 'commander')}"},
    ).json()["timeline"]
    steps = [s["action"] for s in timeline]
    assert steps == ["report", "dispatch", "accept", "reply", "supervise", "close", "rate"]


def test_grid_worker_reports_with_photo_and_position(
    visit, server: str, grid_point, tmp_path: Path
) -> None:
    phone = visit("grid_xiecun_001", "/mobile", width=390, height=844, point=grid_point)
    m = phone.page
    _pick(m, "category", "安全隐患")
    m.get_by_test_id("title").fill("楼道堆放杂物")
    m.get_by_test_id("locate").click()
    m.wait_for_function("document.querySelector('[data-testid=point]').textContent.includes('30.')")
    photo = tmp_path / "hazard.png"
    photo.write_bytes(_png())
    m.locator("[data-testid=photo] input[type=file]").set_input_files(str(photo))
    m.locator("[data-testid=photo] .q-uploader__file--uploaded").wait_for()
    m.get_by_test_id("submit-report").click()
    text = m.get_by_test_id("reported").inner_text()
    code = text.split()[-1]
    phone.shot("page-mobile-reported")
    e = httpx.get(
        f"{server}/api/events/{code}",
        headers={"Authorization": f"Bearer {_token(server, 'xiecun_officer')}"},
    ).json()
    assert e["channel"] == "grid" and e["area_code"] == GRID
    assert [a["filename"] for a in e["attachments"]] == ["hazard.png"]
    assert abs(e["lon"] - grid_point[0]) < 1e-6

    # My grid's residents, masked: no full ID number on the phone.
    m.get_by_test_id("residents").click()
    m.get_by_test_id("resident").first.wait_for()
    rows = m.get_by_test_id("resident").all_inner_texts()
    assert rows and all("*" in r for r in rows)
    assert not any(re.search(r"(?<![\d*])\d{17}[\dX](?![\d*])", r) for r in rows)
    phone.shot("page-mobile-residents")


def test_analyst_and_auditor_pages(visit, server: str) -> None:
    r = httpx.post(
        f"{server}/api/events",
        headers={"Authorization": f"Bearer {_token(server, 'grid_xiecun_001')}"},
        json={"category": "care.hardship", "description": "困难救助", "area_code": GRID},
    )
    assert r.status_code == 201, r.text  # so that the rates have an event to count
    analyst = visit("analyst", "/kpi")
    analyst.page.get_by_test_id("kpi-town").wait_for()
    analyst.shot("page-kpi")
    auditor = visit("auditor", "/audit")
    auditor.page.get_by_test_id("audit-table").wait_for()
    auditor.page.get_by_test_id("audit-action").fill("session.login")
    auditor.page.get_by_test_id("audit-search").click()
    auditor.page.wait_for_function(
        "document.querySelector('[data-testid=audit-table]').innerText.includes('session.login')"
    )
    auditor.page.get_by_test_id("audit-verify").click()
    status = auditor.page.get_by_test_id("chain-status")
    status.wait_for()
    assert status.get_attribute("data-ok") == "1"
    auditor.shot("page-audit")


def test_cross_department_search_asks_for_a_purpose(visit, server: str) -> None:
    bench = visit("liangzhu_officer", "/workbench")
    b = bench.page
    b.get_by_test_id("xsearch").click()
    b.get_by_test_id("xsearch-q").fill("有限公司")
    b.get_by_test_id("xsearch-run").click()  # no case and no purpose text: refused
    refused = b.get_by_test_id("xsearch-refused")
    refused.wait_for()  # stays on the page, unlike the toast beside it
    assert "a purpose needs a case" in refused.inner_text()
    b.get_by_test_id("xsearch-purpose").fill("核查欠薪企业")
    b.get_by_test_id("xsearch-run").click()
    b.get_by_test_id("xsearch-hit").first.wait_for()
    assert b.get_by_test_id("xsearch-refused").count() == 0
    assert "企业" in b.get_by_test_id("xsearch-hit").first.inner_text()
    bench.shot("page-workbench-search")
