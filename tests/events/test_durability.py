"""Durability of the HTTP intake: `kill -9` the real server while clients post, restart it on
the same data and retry every request that was not acknowledged, with the same
Idempotency-Key. Nothing acknowledged may be lost, nothing may be written twice (a request
committed but cut off before its answer comes back as a replay), on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from zhili.db import make_engine
from zhili.events.bench_intake import Server, event_bodies, issue_key
from zhili.events.models import Event
from zhili.geo import get_layout

CLIENTS = 8
REPORTS = 480  # 60 a client, posted one after another
KILL_AFTER = 120  # acknowledgements before the kill: the rest are in flight or not sent


@pytest.fixture(scope="module")
def saved_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The district layout saved once, as a twin leaves it in DATA/twin/geo: each server start
    then loads it in milliseconds instead of building it."""
    geo = tmp_path_factory.mktemp("layout") / "geo"
    get_layout().save(geo)
    return geo


def _post(client: httpx.Client, base: str, api_key: str, key: str, body: bytes) -> httpx.Response:
    return client.post(
        f"{base}/api/events",
        content=body,
        headers={
            "content-type": "application/json",
            "x-api-key": api_key,
            "idempotency-key": key,
        },
    )


def test_acknowledged_events_survive_a_kill_and_retries_write_none_twice(
    sqlite_or_pg: str, tmp_path: Path, saved_layout: Path
) -> None:
    url = sqlite_or_pg
    data = tmp_path / "data"
    shutil.copytree(saved_layout, data / "twin" / "geo")
    api_key, actor_id = issue_key(url, "durability")
    bodies = event_bodies(REPORTS, seed=17)
    run = uuid.uuid4().hex[:8]
    keys = [f"dur-{run}-{i:04d}" for i in range(REPORTS)]
    body_of = dict(zip(keys, bodies, strict=True))

    acked: dict[str, str] = {}  # Idempotency-Key -> the event's code, as answered
    refused: dict[str, int] = {}  # answers other than 2xx (there should be none)
    lock = threading.Lock()
    server = Server(data, url)
    server.start()

    def client(mine: list[str]) -> None:
        with httpx.Client(timeout=10) as c:
            for k in mine:
                try:
                    r = _post(c, server.base, api_key, k, body_of[k])
                except httpx.TransportError:
                    continue  # the server died under it: not acknowledged
                with lock:
                    if r.status_code in (200, 201):
                        acked[k] = r.json()["id"]
                    else:
                        refused[k] = r.status_code

    threads = [
        threading.Thread(target=client, args=(keys[i::CLIENTS],), daemon=True)
        for i in range(CLIENTS)
    ]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill()  # SIGKILL mid-load: no shutdown hook, requests cut off in flight
        for t in threads:
            t.join(30)
    finally:
        server.kill()
    assert not refused, f"refused before the kill: {refused}"
    before_kill = dict(acked)
    assert KILL_AFTER <= len(before_kill) < REPORTS

    # Restart on the same data; retry everything that got no answer, with the same key.
    again = Server(data, url)
    again.start()
    missing = [k for k in keys if k not in before_kill]

    def retry(mine: list[str]) -> dict[str, tuple[int, str]]:
        out = {}
        with httpx.Client(timeout=10) as c:
            for k in mine:
                r = _post(c, again.base, api_key, k, body_of[k])
                assert r.status_code in (200, 201), r.text
                out[k] = (r.status_code, r.json()["id"])
        return out

    retried: dict[str, tuple[int, str]] = {}
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            for part in pool.map(retry, [missing[i::CLIENTS] for i in range(CLIENTS)]):
                retried |= part
    finally:
        again.stop()

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Event.idempotency_key, Event.code).where(
                    Event.reporter_actor == actor_id, Event.idempotency_key.like(f"dur-{run}-%")
                )
            ).all()
            per_key = dict(
                conn.execute(
                    select(Event.idempotency_key, func.count())
                    .where(Event.reporter_actor == actor_id)
                    .group_by(Event.idempotency_key)
                ).all()
            )
    finally:
        engine.dispose()
    code_of = {k: code for k, code in rows}
    # Every acknowledged event is there exactly once, under the code it was answered with.
    assert all(per_key.get(k) == 1 and code_of[k] == code for k, code in before_kill.items())
    # Every retried one exactly once: a retry of a report committed before the kill is
    # answered 200 with that event, not written again.
    assert all(per_key.get(k) == 1 and code_of[k] == code for k, (_, code) in retried.items())
    assert len(rows) == len(set(keys)) == REPORTS
    assert set(before_kill) | set(retried) == set(keys)
