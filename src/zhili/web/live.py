"""The one shared live stream behind every big screen.

One server-side task tails the database, whoever wrote to it (the intake writer, workflow
actions from the API or the pages, the escalation sweep, another process): every change to an
event is a row of `event_actions`, read by its increasing id; worker moves and duty changes
are read by `position_at`. Each tick turns what changed into one compact delta per area scope
and sends it to the screens of that scope as one JavaScript call. Clients never poll, and no
client gets a snapshot after its first (decision in docs/DECISIONS.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from nicegui import Client, run
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from zhili.events.models import EventAction, Worker
from zhili.privacy.actors import Actor
from zhili.web import screen_data

log = logging.getLogger(__name__)


@dataclass
class Screen:
    client: Client
    actor: Actor  # its scope filters what it is sent
    lang: str


@dataclass
class Tick:
    events: list[list[Any]] = field(default_factory=list)
    workers: list[list[Any]] = field(default_factory=list)  # [id, lon, lat, on_duty, grid]


class LiveFeed:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        interval: float = 0.2,
        worker_interval: float = 1.0,
        counter_interval: float = 1.0,
        chart_interval: float = 15.0,
    ) -> None:
        self.sessions = sessions
        self.interval, self.worker_interval = interval, worker_interval
        self.counter_interval, self.chart_interval = counter_interval, chart_interval
        self.screens: dict[str, Screen] = {}
        self._task: asyncio.Task | None = None
        self._last_action = 0
        self._last_position: dt.datetime | None = None
        self._next_workers = 0.0
        self._dirty_scopes: set[str] = set()
        self._next_counters = 0.0
        self._next_charts = 0.0
        self.ticks = 0
        self.sent = 0
        self._chart_cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}

    # --- life -----------------------------------------------------------------------------
    async def start(self) -> None:
        self._last_action, self._last_position = await run.io_bound(self._marks)
        self._task = asyncio.create_task(self._loop(), name="zhili-live-feed")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _marks(self) -> tuple[int, dt.datetime | None]:
        with self.sessions() as s:
            return (
                s.scalar(select(func.max(EventAction.id))) or 0,
                s.scalar(select(func.max(Worker.position_at))),
            )

    # --- subscribers ----------------------------------------------------------------------
    def subscribe(self, client: Client, actor: Actor, lang: str) -> None:
        self.screens[client.id] = Screen(client, actor, lang)
        client.on_delete(lambda: self.screens.pop(client.id, None))
        self._dirty_scopes.add(actor.scope)

    # --- the loop ---------------------------------------------------------------------------
    async def _loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self._tick(started)
            except Exception:  # a bad tick must not end the stream
                log.exception("live feed tick failed")
            self.ticks += 1
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))

    async def _tick(self, now: float) -> None:
        with_workers = now >= self._next_workers
        if with_workers:
            self._next_workers = now + self.worker_interval
        tick = await run.io_bound(self._read, with_workers)
        if not self.screens:
            return
        changed = bool(tick.events or tick.workers)
        by_scope: dict[str, list[Screen]] = {}
        for screen in list(self.screens.values()):
            by_scope.setdefault(screen.actor.scope, []).append(screen)
        for scope, screens in by_scope.items():
            delta = _for_scope(tick, scope)
            if delta["e"] or delta["w"]:
                self._send(screens, f"zhiliScreen.apply({json.dumps(delta)})")
                self._dirty_scopes.add(scope)
        if (changed or self._dirty_scopes) and now >= self._next_counters:
            self._next_counters = now + self.counter_interval
            for scope in list(self._dirty_scopes):
                screens = by_scope.get(scope, [])
                if screens:
                    c = await run.io_bound(self._counters, screens[0].actor)
                    self._send(screens, f"zhiliScreen.counters({json.dumps(c)})")
            self._dirty_scopes.clear()
        if now >= self._next_charts:
            self._next_charts = now + self.chart_interval
            for screens in by_scope.values():
                for lang in {s.lang for s in screens}:
                    data = await run.io_bound(self._charts, screens[0].actor, lang)
                    payload = f"zhiliScreen.charts({json.dumps(data, ensure_ascii=False)})"
                    self._send([s for s in screens if s.lang == lang], payload)

    def _send(self, screens: list[Screen], code: str) -> None:
        for screen in screens:
            if screen.client.is_deleted or not screen.client.has_socket_connection:
                continue
            screen.client.run_javascript(code)
            self.sent += 1

    # --- reads (worker thread) --------------------------------------------------------------
    def _read(self, with_workers: bool) -> Tick:
        tick = Tick()
        with self.sessions() as s:
            rows = s.execute(
                select(EventAction.id, EventAction.event_id)
                .where(EventAction.id > self._last_action)
                .order_by(EventAction.id)
                .limit(20_000)
            ).all()
            if rows:
                self._last_action = rows[-1].id
                if self.screens:
                    tick.events = screen_data.event_rows(s, {r.event_id for r in rows})
            if with_workers:
                q = select(
                    Worker.id,
                    Worker.lon,
                    Worker.lat,
                    Worker.on_duty,
                    Worker.grid_code,
                    Worker.kind,
                    Worker.position_at,
                )
                q = q.where(Worker.position_at.is_not(None))
                if self._last_position is not None:
                    q = q.where(Worker.position_at > self._last_position)
                moved = s.execute(q.limit(50_000)).all()
                if moved:
                    self._last_position = max(w.position_at for w in moved)
                    tick.workers = [
                        [
                            w.id,
                            round(w.lon, 5) if w.lon is not None else None,
                            round(w.lat, 5) if w.lat is not None else None,
                            1 if w.on_duty else 0,
                            w.grid_code,
                            1 if w.kind == "full_time" else 0,
                        ]
                        for w in moved
                    ]
        return tick

    def _counters(self, actor: Actor) -> dict[str, int]:
        with self.sessions() as s:
            return screen_data.counters(s, actor)

    def _charts(self, actor: Actor, lang: str) -> dict[str, Any]:
        """Charts per scope and language, computed at most once per chart interval."""
        key = (actor.scope, lang)
        cached = self._chart_cache.get(key)
        if cached and time.monotonic() - cached[0] < self.chart_interval - 1:
            return cached[1]
        with self.sessions() as s:
            data = screen_data.charts(s, actor, lang)
        self._chart_cache[key] = (time.monotonic(), data)
        return data

    async def charts_for(self, actor: Actor, lang: str) -> dict[str, Any]:
        return await run.io_bound(self._charts, actor, lang)


def _for_scope(tick: Tick, scope: str) -> dict[str, list]:
    """What a screen of this scope may see: only rows inside its area."""
    if not scope:
        return {"e": [], "w": [], "t": int(time.time() * 1000)}
    events = [screen_data.public_row(e) for e in tick.events if (e[8] or "").startswith(scope)]
    workers = [[w[0], w[1], w[2], w[3], w[5]] for w in tick.workers if w[4].startswith(scope)]
    return {"e": events, "w": workers, "t": int(time.time() * 1000)}
