"""Batches in flight: the order in which the intake's writers plan and commit their batches,
and what the batches not yet visible to a reader are writing.

With two writers (PostgreSQL) one batch is planned and inserted while the one before it
commits, so that the writer's Python and the database's work overlap. Two things must still
hold as if batches ran one after another:

* S7's "one incident": a report merges into an incident another writer is writing but has
  not committed, which the database does not show it. So every batch plans in turn (`plan`),
  sees the new incidents of the batches its reads could not see, and leaves its own.
* Idempotency: a retry must not race the first attempt into the unique index (it would wait
  there for the first attempt's commit and then fail, and its whole batch with it, to be
  rewritten one report at a time). A draft whose key an unseen batch is writing is handed
  back (`Planning.busy`); the writer queues it again and a later batch answers it with the
  event the first attempt made.

Commits follow the same order (`commit_turn`): a batch merges into earlier batches'
incidents only after they committed, and the audit chain grows in the same order.

`ticket()` gives a batch its place; `settle()` ends it, whatever happened, so that a failed
batch never holds up the ones behind it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from zhili.events.merging import Candidate

Key = tuple[str, str]  # (actor id, idempotency key)


@dataclass(frozen=True)
class Ticket:
    seq: int
    seen: int  # every batch before this seq had committed when the ticket was given


@dataclass
class Planning:
    """What a batch plans against, and what it leaves for the batches after it."""

    incidents: list[Candidate]  # new incidents of batches its reads may not see
    busy: set[Key]  # idempotency keys those batches are writing
    mine: list[Candidate] = field(default_factory=list)
    my_keys: set[Key] = field(default_factory=set)


@dataclass
class _Written:
    incidents: list[Candidate]
    keys: set[Key]


class InFlight:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._issued = 0
        self._planned = 0  # batches before this seq have planned
        self._committed = 0  # batches before this seq have committed (or failed)
        self._written: dict[int, _Written] = {}
        self._waiting: dict[int, int] = {}  # seq -> seen, of tickets not yet planned
        self.overlapped = 0  # batches planned while one before them was uncommitted

    def ticket(self) -> Ticket:
        with self._cond:
            t = Ticket(self._issued, self._committed)
            self._issued += 1
            self._waiting[t.seq] = t.seen
            return t

    def _wait(self, counter: str, seq: int) -> None:
        self._cond.wait_for(lambda: getattr(self, counter) >= seq)

    @contextmanager
    def plan(self, ticket: Ticket) -> Iterator[Planning]:
        """Plan in turn: the batches before this one have planned. Those that had not
        committed when the ticket was given may be invisible to this batch's reads: their
        incidents and keys come with the Planning; what the batch adds to `mine` and
        `my_keys` is left for the batches after it."""
        with self._cond:
            self._wait("_planned", ticket.seq)
            unseen = [w for s, w in self._written.items() if s >= ticket.seen]
            self.overlapped += self._committed < ticket.seq
        planning = Planning(
            [c for w in unseen for c in w.incidents], {k for w in unseen for k in w.keys}
        )
        try:
            yield planning
        except BaseException:
            self._planned_one(ticket, None)
            raise
        self._planned_one(ticket, _Written(planning.mine, planning.my_keys))

    def _planned_one(self, ticket: Ticket, written: _Written | None) -> None:
        with self._cond:
            if self._planned != ticket.seq:
                return  # already counted (settle after a failure)
            if written is not None and (written.incidents or written.keys):
                self._written[ticket.seq] = written
            self._waiting.pop(ticket.seq, None)
            self._planned += 1
            self._prune()
            self._cond.notify_all()

    def commit_turn(self, ticket: Ticket) -> None:
        """Wait until every batch before this one has committed (or failed)."""
        with self._cond:
            self._wait("_committed", ticket.seq)

    def settle(self, ticket: Ticket, committed: bool) -> None:
        """The batch is over (committed, or failed: then what it meant to write is dropped).
        A batch that failed before its turns still takes them, in order."""
        with self._cond:
            self._wait("_planned", ticket.seq)
        self._planned_one(ticket, None)
        with self._cond:
            self._wait("_committed", ticket.seq)
            if not committed:
                self._written.pop(ticket.seq, None)
            self._committed = ticket.seq + 1
            self._prune()
            self._cond.notify_all()

    def _prune(self) -> None:
        """Forget what every reader to come can see: batches committed before the oldest
        ticket still to plan was given (or before now, when none waits)."""
        horizon = min(self._waiting.values(), default=self._committed)
        for seq in [s for s in self._written if s < horizon]:
            del self._written[seq]

    @property
    def pending(self) -> int:
        """Batches whose writes are still remembered (for tests and the 3 a.m. engineer)."""
        with self._cond:
            return len(self._written)
