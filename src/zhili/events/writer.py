"""Group commit for intake: requests hand their drafts to one writer thread, which writes
whatever has queued up (up to `max_batch`) in one transaction and then answers each request.

Nothing is acknowledged before its commit, and one commit serves many requests, which is
what lets SQLite (one writer) and PostgreSQL (the audit chain's head is one row lock) take
thousands of events a second. A batch that fails is retried one draft at a time, so one bad
report fails alone.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future

from sqlalchemy.orm import Session, sessionmaker

from zhili.events.intake import Draft, Outcome, write_batch
from zhili.events.runtime import HubState
from zhili.privacy.context import PrivacyContext

log = logging.getLogger(__name__)
_STOP = object()


class IntakeWriter:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        state: HubState,
        ctx: PrivacyContext,
        max_batch: int = 200,
    ) -> None:
        self.sessions, self.state, self.ctx, self.max_batch = sessions, state, ctx, max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="zhili-intake", daemon=True)
        self.batches = 0
        self.written = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def submit(self, draft: Draft) -> Future[Outcome]:
        fut: Future[Outcome] = Future()
        self._queue.put((draft, fut))
        return fut

    async def write(self, draft: Draft) -> Outcome:
        """Await the committed outcome of one draft (from an async route)."""
        return await asyncio.wrap_future(self.submit(draft))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    self._write(batch)
                    return
                batch.append(nxt)
            self._write(batch)

    def _write(self, batch: list) -> None:
        try:
            outcomes = self._commit([d for d, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                log.warning("intake of one report failed: %s", exc)
                batch[0][1].set_exception(exc)
                return
            for one in batch:  # isolate the draft that failed
                self._write([one])
            return
        self.batches += 1
        self.written += len(batch)
        for (_, fut), outcome in zip(batch, outcomes, strict=True):
            fut.set_result(outcome)

    def _commit(self, drafts: list[Draft]) -> list[Outcome]:
        with self.sessions() as session:
            outcomes = write_batch(session, self.state, self.ctx, drafts)
            session.commit()
        return outcomes
