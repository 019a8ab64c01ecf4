"""`zhili bench ui`: the big screen under load, measured with real browser pages.

1. A fresh data directory: the demo accounts, a workforce of `workers` on duty at random points
   of their grids (37,000 by default, the seed's 1,590 + 36,000), and `events` open events
   written through the event hub's own intake (`prepare` + `write_batch`: routed, dispatched).
2. `zhili serve` as a child process; headless Chromium (Playwright) logs in as the district
   commander and opens `clients` big screens, each drawing every worker and open event.
3. rss_mb_per_client: the server's resident memory after all screens are connected, minus
   before (after one warm-up screen has come and gone), divided by the clients.
4. update_p95_ms: `reports` events are posted to /api/events one after another (paced); for
   each, the time from just before its POST to the moment its dot was drawn on each screen
   (the page's own clock, `zhiliScreen.seen`; the same machine's clock), over every screen.
Also: how long a screen took to show its snapshot, and one full redraw of every dot.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np

COMMANDER = "commander"
PASSWORD = "Zhili-demo-2019"  # the documented demo password (docs/DEMO_USERS.md)
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_data(data: Path, workers: int, events: int, seed: int = 7) -> None:
    """Demo accounts, a synthetic workforce and open events in a fresh operational store."""
    from sqlalchemy import insert

    from zhili.db import database_url, make_engine, make_sessionmaker
    from zhili.db.migrate import upgrade
    from zhili.events.dispatch import load_index
    from zhili.events.intake import prepare, write_batch
    from zhili.events.models import Worker
    from zhili.events.runtime import HubState
    from zhili.events.schemas import EventIn
    from zhili.geo import get_layout
    from zhili.privacy.actors import Actor
    from zhili.privacy.context import PrivacyContext
    from zhili.privacy.identity import create_demo_users

    url = database_url(data)
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    ctx = PrivacyContext(keys_dir=data / "keys")
    layout = get_layout()
    rng = np.random.default_rng(seed)
    grids = layout.grids["code"].to_numpy()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with sessions() as s:
        create_demo_users(s, layout, None)
        s.commit()
        index = rng.integers(0, len(grids), workers)
        lon, lat = layout.sample_points(index, rng)
        full = np.arange(workers) < min(1590, workers)
        rows = [
            {
                "id": i + 1,
                "name": f"W{i + 1:06d}",
                "kind": "full_time" if full[i] else "part_time",
                "role": "grid_worker" if full[i] else "part_time_grid_worker",
                "grid_code": str(grids[index[i]]),
                "on_duty": True,
                "position_at": now,
                "lon": float(lon[i]),
                "lat": float(lat[i]),
            }
            for i in range(workers)
        ]
        for start in range(0, len(rows), 5000):
            s.execute(insert(Worker), rows[start : start + 5000])
        s.commit()
        state = HubState(layout=layout, dispatcher=load_index(s))
        state.book(s)
    commander = Actor(id="bench:commander", role="district_commander", scope="330110")
    categories = ("governance.safety_hazard", "care.hardship", "dispute.neighbour")
    index = rng.integers(0, len(grids), events)
    lon, lat = layout.sample_points(index, rng)
    for start in range(0, events, 500):
        drafts = [
            prepare(
                state,
                commander,
                EventIn(
                    category=categories[i % len(categories)],
                    description="bench",
                    lon=float(lon[i]),
                    lat=float(lat[i]),
                    severity=1 + i % 4,
                ),
                "staff",
                f"bench-{i}",
            )
            for i in range(start, min(events, start + 500))
        ]
        with sessions() as s:
            write_batch(s, state, ctx, drafts)
            s.commit()
    engine.dispose()


def _rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def _cpu_s(pid: int) -> float:
    import psutil

    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def _login(browser: Any, base: str) -> Any:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(120_000)
    page = context.new_page()
    page.goto(f"{base}/login?next=/screen")
    page.fill("input[name=username]", COMMANDER)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlparse(url).path == "/screen")
    page.close()
    return context


def _open_screen(context: Any, base: str) -> tuple[Any, float]:
    page = context.new_page()
    page.set_default_timeout(120_000)
    started = time.monotonic()
    page.goto(f"{base}/screen")
    page.wait_for_selector("[data-testid=map-status][data-loaded='1']", state="attached")
    return page, (time.monotonic() - started) * 1000


def run(
    clients: int = 20,
    workers: int = 37_000,
    events: int = 10_000,
    reports: int = 30,
    data: Path | None = None,
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    own = data is None
    tmp = tempfile.TemporaryDirectory(prefix="zhili-bench-ui-") if own else None
    data = Path(tmp.name) if tmp else Path(data)  # type: ignore[arg-type]
    prepare_data(data, workers, events)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (data / "server.log").open("ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "zhili.cli", "serve", "--data", str(data), "--port", str(port)],
        env={**os.environ, "ZHILI_ESCALATION_SECONDS": "3600", "ZHILI_DATA": str(data)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_up(base, server)
        token = httpx.post(
            f"{base}/api/auth/login", json={"username": COMMANDER, "password": PASSWORD}
        ).json()["token"]
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                    "--disable-background-timer-throttling",
                    "--disable-renderer-backgrounding",
                ],
            )
            context = _login(browser, base)
            warm, _ = _open_screen(context, base)  # one-time costs: outlines, imports, caches
            warm.close()
            time.sleep(3)
            before = _rss_mb(server.pid)
            pages, load_ms = [], []
            for _ in range(clients):
                page, ms = _open_screen(context, base)
                pages.append(page)
                load_ms.append(ms)
            time.sleep(3)
            after = _rss_mb(server.pid)
            drawn = pages[0].evaluate(
                """() => { const s = window.zhiliScreen; const t = performance.now();
                s.workerLayer.redraw(); s.eventLayer.redraw();
                return [performance.now() - t, s.workers.size, s.events.size]; }"""
            )
            cpu0, wall0 = _cpu_s(server.pid), time.monotonic()
            latencies, missing = _updates(base, token, pages, reports)
            cpu_pct = 100 * (_cpu_s(server.pid) - cpu0) / (time.monotonic() - wall0)
            browser.close()
        return {
            "clients": clients,
            "rss_mb_per_client": round((after - before) / clients, 2),
            "update_p95_ms": round(float(np.percentile(latencies, 95)), 1),
            "update_p50_ms": round(float(np.percentile(latencies, 50)), 1),
            "update_max_ms": round(float(max(latencies)), 1),
            "updates_measured": len(latencies),
            "updates_missed": missing,
            "workers_drawn": int(drawn[1]),
            "events_drawn": int(drawn[2]),
            "redraw_ms": round(float(drawn[0]), 1),
            "screen_load_p50_ms": round(float(np.percentile(load_ms, 50)), 1),
            "server_rss_mb": round(after, 1),
            "server_cpu_pct_during_updates": round(cpu_pct, 1),
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if tmp:
            tmp.cleanup()


def _wait_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited; see server.log in the data directory")
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not start within 120 s")


def _updates(base: str, token: str, pages: list[Any], reports: int) -> tuple[list[float], int]:
    """Post events one by one (about 4 a second) and collect when each screen drew each."""
    from zhili.geo import get_layout

    layout = get_layout()
    rng = np.random.default_rng(11)
    lon, lat = layout.sample_points(rng.integers(0, layout.grids.height, reports), rng)
    sent: dict[str, float] = {}
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for i in range(reports):
            t0 = time.time()
            r = client.post(
                f"{base}/api/events",
                json={
                    "category": "governance.abnormal_situation",
                    "description": "bench update",
                    "lon": float(lon[i]),
                    "lat": float(lat[i]),
                    "severity": 3,
                },
            )
            r.raise_for_status()
            sent[r.json()["id"]] = t0 * 1000
            time.sleep(0.25)
    codes = json.dumps(list(sent))
    out: list[float] = []
    missing = 0
    for page in pages:
        with contextlib.suppress(Exception):  # a screen that missed an update: counted below
            page.wait_for_function(
                f"{codes}.every(c => window.zhiliScreen.seen.has(c))", timeout=30_000
            )
        seen = page.evaluate(f"{codes}.map(c => window.zhiliScreen.seen.get(c) ?? null)")
        for c, s in zip(sent, seen, strict=True):
            if s is None:
                missing += 1
            else:
                out.append(s - sent[c])
    return out, missing
