"""The first page in a real browser: the map is drawn from our geometry, the counts show,
and nothing is fetched from beyond this machine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import need

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="module")
def browser():
    need(
        Path(CHROMIUM).exists() or shutil.which("chromium") is not None,
        "Debian's chromium is not installed",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        )
        yield b
        b.close()


@pytest.mark.parametrize("lang, heading", [("zh", "全区概况"), ("en", "District at a glance")])
def test_home_shows_map_and_counts(
    browser, server: str, summary: dict, lang: str, heading: str
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/?lang={lang}")
    page.get_by_text(heading).wait_for()
    # 367 village outlines and 20 town outlines, as SVG paths in the Leaflet map.
    page.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length >= 387")
    assert page.locator(".leaflet-tile").count() == 0  # no basemap tiles by default
    persons = f"{summary['counts']['persons']:,}"
    assert page.get_by_text(persons, exact=True).count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"home-{lang}.png"))
    outside = [u for u in requests if not u.startswith(server) and not u.startswith("data:")]
    assert outside == []
    page.close()
