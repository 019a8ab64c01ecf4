"""Browser fixtures for the page tests: Debian's Chromium driven by Playwright, every host but
127.0.0.1 unresolvable, one browser context per user (its own session cookie), every request
recorded so a test can assert that nothing left the machine."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import need

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PASSWORD = "Zhili-demo-2019"


@pytest.fixture(scope="session")
def chromium() -> Iterator:
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


@dataclass
class Visitor:
    """One user's browser context and page, and every URL it requested."""

    page: object
    context: object
    requests: list[str] = field(default_factory=list)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def visit(chromium, server: str) -> Iterator[Callable[..., Visitor]]:
    """visit(username or None, path, width=1400, point=(lon, lat), lands=path) → a Visitor
    logged in through the login form, on the page it `lands` on."""
    opened: list[Visitor] = []

    def open_as(
        username: str | None,
        path: str,
        width: int = 1400,
        height: int = 1000,
        point: tuple[float, float] | None = None,
        lands: str | None = None,
    ) -> Visitor:
        kw: dict = {"viewport": {"width": width, "height": height}, "locale": "zh-CN"}
        if point is not None:
            kw |= {
                "geolocation": {"longitude": point[0], "latitude": point[1]},
                "permissions": ["geolocation"],
            }
        context = chromium.new_context(**kw)
        page = context.new_page()
        v = Visitor(page, context)
        page.on("request", lambda r: v.requests.append(r.url))
        page.set_default_timeout(20_000)
        if username is None:
            page.goto(server + path)
        else:
            page.goto(f"{server}/login?next={path}")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.keyboard.press("Enter")  # the form works from the keyboard
            target = lands or urlparse(server + path).path
            page.wait_for_url(lambda url: urlparse(url).path == target)
        # NiceGUI drops a click sent before its socket's handshake (nicegui.js emits with
        # `window.socket?.`): on a loaded CI machine a test could click first and wait in
        # vain. Pages without NiceGUI have no clientId and pass at once.
        page.wait_for_function(
            "() => document.readyState === 'complete'"
            " && (window.did_handshake === true || typeof window.clientId === 'undefined')"
        )
        opened.append(v)
        return v

    yield open_as
    for v in opened:
        outside = [
            u
            for u in v.requests
            if not u.startswith(server) and not u.startswith(("data:", "blob:"))
        ]
        assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
        v.context.close()
