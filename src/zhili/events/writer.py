"""Group commit for intake: requests hand their drafts to one writer thread, which writes
whatever has queued up (up to `max_batch`) in one transaction and then answers each request.

Nothing is acknowledged before its commit, and one commit serves many requests, which is
what lets SQLite (one writer) and PostgreSQL (the audit chain's head is one row lock) take
thousands of events a second. A batch that fails is retried one draft at a time, so one bad
report fails alone.

The writer is a CPU-bound thread beside the server's event loop (one GIL): it answers a whole
batch with one wake-up of the loop, not one per request, and when little has queued it waits
a moment (`linger`, 2 ms) for more, so that under load batches grow instead of each commit
serving a handful.

On PostgreSQL `ZHILI_INTAKE_WRITERS=2` runs two writers, each on its own connection, taking
turns: while one batch waits for the database (its inserts, its commit) the next is gathered
and planned, so the writers' Python and the database's work overlap (inflight.py keeps
merging, idempotency and the audit chain as if the batches ran one after another). One is
the default: with the intake's direct route the loop leaves the writer enough of the core,
and one writer's larger batches gave the same rate and a shorter tail (DECISIONS 58).
SQLite takes one writer at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import queue
import sys
import threading
import time
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from zhili.events.inflight import InFlight
from zhili.events.intake import Draft, Outcome, write_in_turn
from zhili.events.runtime import HubState
from zhili.privacy.context import PrivacyContext

log = logging.getLogger(__name__)
_STOP = object()
LINGER_S = float(os.environ.get("ZHILI_INTAKE_LINGER_MS", "2")) / 1000
# Writers on PostgreSQL (docs/PERFORMANCE.md, intake): two overlap one batch's database work
# with the next one's Python, which took more push-batch reports a second but no more single
# reports, at a longer p99 at 500/s; so one by default.
WRITERS = int(os.environ.get("ZHILI_INTAKE_WRITERS", "1"))
# PostgreSQL plans the intake's lookups from table statistics, which autovacuum refreshes
# only every minute or so: on a new or fast-growing database the planner believes the events
# table is tiny and scans it. The writer refreshes them itself after 1,000 events written,
# then each time the count since start doubles (up to every million).
FIRST_ANALYZE = 1_000
MAX_ANALYZE_STEP = 1_000_000
_ANALYZED = ("events", "event_actions", "event_timers", "event_notifications")


WRITER_THREAD = "zhili-intake"
_PR_SET_NAME = 15


def _name_os_thread(name: str) -> None:
    """Give the OS thread a name (Linux prctl PR_SET_NAME): `top -H` and `ps -T` then show
    the writer's CPU apart from the HTTP loop's, and the intake bench reports the two apart."""
    if sys.platform != "linux":
        return  # names are a convenience: elsewhere the thread stays unnamed
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_NAME, name[:15].encode(), 0, 0, 0)


def _settle(answers: list[tuple[asyncio.Future, Any, BaseException | None]]) -> None:
    """On the loop: hand each waiting request its outcome (unless it gave up waiting)."""
    for fut, outcome, exc in answers:
        if fut.cancelled():
            continue
        if exc is None:
            fut.set_result(outcome)
        else:
            fut.set_exception(exc)


class IntakeWriter:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        state: HubState,
        ctx: PrivacyContext,
        max_batch: int = 200,
        linger: float = LINGER_S,
        writers: int = WRITERS,
    ) -> None:
        self.sessions, self.state, self.ctx, self.max_batch = sessions, state, ctx, max_batch
        self.linger = linger
        if self.sessions.kw["bind"].dialect.name != "postgresql":
            writers = 1  # SQLite: one writer at a time, whatever the threads
        self.inflight = InFlight() if writers > 1 else None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._run, name=WRITER_THREAD, daemon=True)
            for _ in range(max(1, writers))
        ]
        self._gathering = threading.Lock()
        self._stopping = False
        self._lock = threading.Lock()  # the counters below, kept by every writer
        self.batches = 0
        self.written = 0
        self.handed_back = 0
        self._analyze_at = FIRST_ANALYZE
        self._analyzer: threading.Thread | None = None
        self._local = threading.local()  # each writer thread's own connection

    @property
    def writers(self) -> int:
        return len(self._threads)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping = True
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=30)

    def submit(self, draft: Draft) -> Future[Outcome]:
        fut: Future[Outcome] = Future()
        self._queue.put((draft, fut))
        return fut

    def _enqueue(self, draft: Draft) -> asyncio.Future[Outcome]:
        """Queue a draft; the future is answered on the calling loop (see _answer)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Outcome] = loop.create_future()
        self._queue.put((draft, (loop, fut)))
        return fut

    async def write(self, draft: Draft) -> Outcome:
        """Await the committed outcome of one draft (from an async route)."""
        return await self._enqueue(draft)

    async def write_many(self, drafts: list[Draft]) -> list[Outcome | BaseException]:
        """Each draft's committed outcome, or the exception that failed it alone (a batch
        push): they queue together, so the writer commits them in a few transactions."""
        futures = [self._enqueue(d) for d in drafts]
        return await asyncio.gather(*futures, return_exceptions=True)

    def _run(self) -> None:
        _name_os_thread(WRITER_THREAD)
        while True:
            with self._gathering:  # one writer gathers at a time; the other writes meanwhile
                batch, stop = self._gather()
            if batch:
                self._write(batch)
            if stop:
                self.release()
                return

    def _gather(self) -> tuple[list, bool]:
        """The next batch: what has queued (waiting for the first), up to `max_batch`, with
        a moment's linger for more; and whether the writer was told to stop."""
        item = self._queue.get()
        if item is _STOP:
            return [], True
        batch = [item]
        deadline = time.monotonic() + self.linger
        while len(batch) < self.max_batch:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
                try:  # a moment for more to queue up: one commit for all of them
                    nxt = self._queue.get(timeout=wait)
                except queue.Empty:
                    break
            if nxt is _STOP:
                return batch, True
            batch.append(nxt)
        return batch, False

    def _write(self, batch: list) -> None:
        try:
            outcomes = self.commit([d for d, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                log.warning("intake of one report failed: %s", exc)
                self._answer(batch, [None], exc)
                return
            for one in batch:  # isolate the draft that failed
                self._write([one])
            return
        done = [(item, o) for item, o in zip(batch, outcomes, strict=True) if o is not None]
        back = [item for item, o in zip(batch, outcomes, strict=True) if o is None]
        with self._lock:
            self.batches += 1
            self.written += len(done)
            self.handed_back += len(back)
            analyze = self.written >= self._analyze_at
            if analyze:
                self._analyze_at = self.written + min(self.written, MAX_ANALYZE_STEP)
        self._answer([item for item, _ in done], [o for _, o in done], None)
        if back:
            self._hand_back(back)
        if analyze and (self._analyzer is None or not self._analyzer.is_alive()):
            # On its own thread and connection: the writers go on taking reports
            # (run inline, each ANALYZE held up every report queued behind it).
            self._analyzer = threading.Thread(
                target=self._analyze, name="zhili-intake-analyze", daemon=True
            )
            self._analyzer.start()

    def _hand_back(self, items: list) -> None:
        """Drafts whose idempotency key an uncommitted batch is writing: queued again, so
        that a later batch answers them with what that batch made. When stopping, the queue
        is not read any more: written here, after a moment for that batch to commit."""
        if not self._stopping:
            for item in items:
                self._queue.put(item)
            return
        time.sleep(0.005)
        self._write(items)

    def _analyze(self) -> None:
        """Fresh planner statistics on PostgreSQL."""
        with self.sessions() as session:
            if session.get_bind().dialect.name != "postgresql":
                return
            try:
                for table in _ANALYZED:
                    session.execute(text(f"ANALYZE {table}"))
                session.commit()
            except Exception as exc:  # statistics are an optimisation, never an outage
                log.warning("ANALYZE after intake failed: %s", exc)

    @staticmethod
    def _answer(batch: list, outcomes: list, exc: BaseException | None) -> None:
        """Resolve the waiters: futures at once, each event loop's in one call on that loop."""
        loops: dict[asyncio.AbstractEventLoop, list] = {}
        for (_, waiter), outcome in zip(batch, outcomes, strict=True):
            if isinstance(waiter, Future):
                if exc is None:
                    waiter.set_result(outcome)
                else:
                    waiter.set_exception(exc)
            else:
                loop, fut = waiter
                loops.setdefault(loop, []).append((fut, outcome, exc))
        for loop, answers in loops.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, answers)

    def commit(self, drafts: list[Draft]) -> list[Outcome | None]:
        """Write one batch and commit it on the writer's connection: the writer thread's step
        (benchmarks/bench_writer.py times it alone). A connection the database dropped (a
        restart, an idle timeout) is replaced and the batch written once more on the new one.
        None for a draft handed back (only with several writers: see inflight.py)."""
        try:
            return self._commit_on(self._connection(), drafts)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("intake writer's connection was lost; writing again on a new one")
            return self._commit_on(self._connection(), drafts)

    def _commit_on(self, conn: Connection, drafts: list[Draft]) -> list[Outcome | None]:
        turn = (self.inflight, self.inflight.ticket()) if self.inflight is not None else None
        committed = False
        try:
            with self.sessions(bind=conn) as session:
                outcomes = write_in_turn(session, self.state, self.ctx, drafts, turn=turn)
                session.commit()
                committed = True
        except Exception:
            self.release()  # whatever the failure, the next batch starts on a fresh one
            raise
        finally:
            if turn is not None:
                turn[0].settle(turn[1], committed)
        return outcomes

    def _connection(self) -> Connection:
        """The writer's own connection, kept between batches: checking one out of the pool
        per batch cost two round trips (the pre-ping, the reset on return) of a dozen."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.sessions.kw["bind"].connect()
        return conn

    def release(self) -> None:
        """Close this writer thread's connection (its next batch opens another)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):  # a dead connection cannot close cleanly
                conn.close()
            self._local.conn = None
