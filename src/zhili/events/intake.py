"""Intake: a report from any channel → a checked draft → written, routed, merged, dispatched.

`prepare` checks the report and its author (authorization against the reported area);
`write_batch` writes a batch of drafts in one transaction: idempotency, merging, routing,
the first dispatch, deadlines, the reporter's first notification and the audit records.
The HTTP intake groups concurrent requests into such batches (writer.py), so one commit
serves many acknowledgements and nothing is acknowledged before it is committed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text, update
from sqlalchemy.orm import Session, aliased

from zhili.db.pipeline import Reads, pipelined
from zhili.db.times import naive_utc
from zhili.events import lifecycle as L
from zhili.events.bulk import insert_rows, update_rows
from zhili.events.categories import Category, tree
from zhili.events.inflight import InFlight, Planning, Ticket
from zhili.events.merging import Candidate, find_incident, prefetch
from zhili.events.models import Event, EventAction, EventNotification, EventTimer
from zhili.events.notify import reporter_recipients, rows_for_state, state_message
from zhili.events.routing import RuleBook
from zhili.events.runtime import ACTIVE_VERSION, HubState
from zhili.events.schemas import EventIn
from zhili.events.timers import open_timers
from zhili.privacy.actors import Actor
from zhili.privacy.audit import AuditEntry
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import Forbidden, NotFound, Resource, authorize

# Which permission each channel's author needs.
CHANNEL_ACTION = {
    "grid": "event.report",
    "staff": "event.report",
    "citizen": "event.report",
    "hotline": "event.report",
    "department": "event.push",
    "device": "device.report",
    "open311": "open311.submit",
    "model": "event.raise",
}


class LocationError(ValueError):
    status = 422


@dataclass
class Draft:
    payload: EventIn
    category: Category
    channel: str
    area_code: str
    actor: Actor
    reporter_person: str | None
    idempotency_key: str | None
    token: str | None = None


@dataclass
class Outcome:
    id: int
    code: str
    state: str
    level: str
    department: str
    created: bool  # False: an idempotent retry answered with the event it made before
    incident_code: str | None = None
    worker_id: int | None = None
    due_at: dt.datetime | None = None
    token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "state": self.state,
            "level": self.level,
            "department": self.department,
            "incident": self.incident_code,
            "worker_id": self.worker_id,
            "due_at": self.due_at.isoformat() + "Z" if self.due_at else None,
            "created": self.created,
        }


def prepare(
    state: HubState,
    actor: Actor,
    payload: EventIn,
    channel: str,
    idempotency_key: str | None = None,
) -> Draft:
    """Check a report: its category, its place (inside the district and the author's scope)."""
    category = tree().get(payload.category)
    area = payload.area_code
    if payload.lon is not None and payload.lat is not None:
        grid = state.locate(payload.lon, payload.lat)
        if grid is None:
            raise LocationError(f"({payload.lon}, {payload.lat}) lies outside the district")
        if area is None or grid.startswith(area):
            area = grid  # the point is more precise than a larger area
    elif (payload.lon is None) != (payload.lat is None):
        raise LocationError("give both lon and lat, or neither")
    if area is None:
        raise LocationError("an event needs a location: lon and lat, or an area_code")
    if not state.known_area(area):
        raise LocationError(f"unknown area code {area}")
    if channel == "open311" and not category.public:
        raise LocationError(f"{category.code} is not open to public reports")
    action = CHANNEL_ACTION[channel]
    try:
        authorize(actor, action, Resource(kind="event", area=area))
    except NotFound as exc:  # a report names its own place: say why, nothing is probed
        raise Forbidden(f"{area} lies outside your area {actor.scope or '(none)'}") from exc
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 128):
        raise ValueError("Idempotency-Key must have 1 to 128 characters")
    return Draft(
        payload=payload,
        category=category,
        channel=channel,
        area_code=area,
        actor=actor,
        reporter_person=actor.person_id if actor.role == "citizen" else None,
        idempotency_key=idempotency_key,
        token=uuid.uuid4().hex if channel == "open311" else None,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# The write path runs prebuilt Core statements on the session's connection: at thousands of
# reports a second, building ORM statements and loading ORM objects per report cost more than
# the database's own work (docs/PERFORMANCE.md, intake). What they write is unchanged.
_EVENTS = Event.__table__
_INCIDENT = aliased(Event)
_REPLAYED = (
    select(
        Event.id,
        Event.code,
        Event.state,
        Event.level,
        Event.department,
        Event.worker_id,
        Event.due_at,
        Event.token,
        Event.reporter_actor,
        Event.idempotency_key,
        _INCIDENT.code.label("incident_code"),
    )
    .outerjoin(_INCIDENT, _INCIDENT.id == Event.incident_id)
    # Both columns, so that the unique index (reporter_actor, idempotency_key) answers.
    .where(
        Event.reporter_actor.in_(bindparam("actors", expanding=True)),
        Event.idempotency_key.in_(bindparam("keys", expanding=True)),
    )
)
# PostgreSQL: the same lookup as a join from the batch's (actor, key) pairs, so that each pair
# is one probe of the unique index. With IN lists PostgreSQL probed the index by the actor
# alone and filtered the keys from the table: every event a system had ever pushed, read
# again for each batch it sends (7 ms a batch at 10,000 events, growing with the table).
_REPLAYED_PG = text(
    """
SELECT e.id, e.code, e.state, e.level, e.department, e.worker_id, e.due_at, e.token,
       e.reporter_actor, e.idempotency_key, i.code AS incident_code
FROM unnest(CAST(:actors AS text[]), CAST(:keys AS text[])) AS q(actor, key)
JOIN events e ON e.reporter_actor = q.actor AND e.idempotency_key = q.key
LEFT OUTER JOIN events i ON i.id = e.incident_id"""
)
_INSERT = insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True)
# PostgreSQL: the ids first, from the events sequence with the batch's reads, then a plain
# insert with the final codes (a multi-row INSERT ... RETURNING is a new, long statement text
# for every batch size, which psycopg parses anew each time), pipelined with the timeline,
# timer and notice inserts (bulk.py).
_NEXT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1, :n)"
)
_SET_CODE = (
    update(_EVENTS).where(_EVENTS.c.id == bindparam("b_id")).values(code=bindparam("b_code"))
)
_ACTIONS = EventAction.__table__
_TIMERS = EventTimer.__table__
_NOTIFICATIONS = EventNotification.__table__


def _existing(reads: Reads, drafts: list[Draft]) -> Callable[[], dict[tuple[str, str], Outcome]]:
    """Queue the lookup of the drafts' idempotency keys on `reads`; after `reads.run()` the
    returned function gives the events made before, by (actor, key)."""
    keys = {(d.actor.id, d.idempotency_key) for d in drafts if d.idempotency_key}
    if not keys:
        return dict
    if reads.conn.dialect.name == "postgresql":
        pairs = sorted(keys)
        handle = reads.add(
            _REPLAYED_PG, {"actors": [a for a, _ in pairs], "keys": [k for _, k in pairs]}
        )
    else:
        handle = reads.add(
            _REPLAYED,
            {"actors": sorted({a for a, _ in keys}), "keys": sorted({k for _, k in keys})},
        )
    return lambda: _replayed(reads.rows(handle), keys)


def _replayed(rows: Sequence[Any], keys: set[tuple[str, str]]) -> dict[tuple[str, str], Outcome]:
    found: dict[tuple[str, str], Outcome] = {}
    for e in rows:
        k = (e.reporter_actor, e.idempotency_key or "")
        if k in keys:
            found[k] = Outcome(
                e.id,
                e.code,
                e.state,
                e.level,
                e.department,
                False,
                e.incident_code,
                e.worker_id,
                e.due_at,
                e.token,
            )
    return found


def write_batch(
    session: Session,
    state: HubState,
    ctx: PrivacyContext,
    drafts: list[Draft],
    now: dt.datetime | None = None,
) -> list[Outcome]:
    """Write the drafts in the session's transaction (the caller commits); one outcome each."""
    outcomes = write_in_turn(session, state, ctx, drafts, now)
    assert all(o is not None for o in outcomes)  # only batches in flight hand drafts back
    return outcomes  # type: ignore[return-value]


def write_in_turn(
    session: Session,
    state: HubState,
    ctx: PrivacyContext,
    drafts: list[Draft],
    now: dt.datetime | None = None,
    turn: tuple[InFlight, Ticket] | None = None,
) -> list[Outcome | None]:
    """write_batch for one of several writers (`turn`: PostgreSQL only): the batch plans
    after the batches before it and writes its audit records and merges after they commit
    (inflight.py). None for a draft handed back: an earlier batch, not yet committed, is
    writing its idempotency key; the writer queues it again."""
    now = now or _now()
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if turn is not None and not postgres:
        raise ValueError("batches in flight need PostgreSQL (SQLite has one writer)")
    # The batch's reads first, together: one round trip on PostgreSQL, where the new events'
    # ids come with them (an id a retry does not use is a gap in the sequence, as after a
    # rollback): the plan knows its ids, and batches after it can merge into them.
    reads = Reads(conn)
    version = reads.add(ACTIVE_VERSION)
    replayed = _existing(reads, drafts)
    candidates = prefetch(
        reads,
        state.merge,
        [(d.category.family, d.area_code, d.payload.lon, d.payload.lat) for d in drafts],
        now,
    )
    new_ids = reads.add(_NEXT_IDS, {"n": len(drafts)}) if postgres else None
    reads.run()
    ids = sorted(r[0] for r in reads.rows(new_ids)) if new_ids is not None else None
    with contextlib.ExitStack() as stack:
        inflight = None
        if turn is not None:
            inflight, ticket = turn
            planning = stack.enter_context(inflight.plan(ticket))
        else:
            planning = Planning([], set())
        active = reads.rows(version)
        book = state.book_at(session, active[0].version if active else None)
        conn = session.connection()  # seeding the first routing version commits (new database)
        batch = _Plan(drafts, planning)
        _plan(conn, state, book, batch, replayed(), candidates(), ids, now)
    plan, plan_of, merges = batch.plan, batch.plan_of, batch.merges
    if plan:
        if not postgres:
            ids = list(conn.execute(_INSERT, plan).scalars())
            for row, new_id in zip(plan, ids, strict=True):
                row["id"] = new_id
                row["code"] = f"E{new_id:08d}"
        with pipelined(conn):  # on PostgreSQL the inserts in one round trip
            if postgres:
                insert_rows(conn, _EVENTS, plan)
            else:
                conn.execute(_SET_CODE, [{"b_id": r["id"], "b_code": r["code"]} for r in plan])
            _timeline_and_timers(conn, book, plan, merges, now)
            _notifications(conn, plan, now)
    if inflight is not None:
        # Audit records and merges in commit order: the chain grows batch after batch, and
        # an incident an earlier batch is writing is committed before reports join it.
        inflight.commit_turn(ticket)
    if plan:
        ctx.audit_many(
            session,
            [
                AuditEntry(
                    actor_id=drafts[plan_of[j]].actor.id,
                    actor_role=drafts[plan_of[j]].actor.role,
                    actor_department=drafts[plan_of[j]].actor.department,
                    action=CHANNEL_ACTION[drafts[plan_of[j]].channel],
                    resource=f"event:{r['code']}",
                    result_count=1,
                )
                for j, r in enumerate(plan)
            ],
        )
    incident_code = _merge_all(session, state, plan, merges, now)
    results = batch.results
    for j, row in enumerate(plan):
        results[plan_of[j]] = Outcome(
            row["id"],
            row["code"],
            row["state"],
            row["level"],
            row["department"],
            True,
            incident_code.get(j),
            row["worker_id"],
            row["due_at"],
            row["token"],
        )
    for i, first_i in batch.same_as.items():  # in-batch retries share the first's outcome
        first = results[first_i]
        assert first is not None
        results[i] = Outcome(**{**first.__dict__, "created": False})
    return results


@dataclass
class _Plan:
    """A batch being planned: its drafts, what it plans and what it answers without writing."""

    drafts: list[Draft]
    planning: Planning  # what batches in flight are writing (nothing with one writer)
    results: list[Outcome | None] = field(init=False)  # one per draft, None until answered
    same_as: dict[int, int] = field(default_factory=dict)  # an in-batch retry -> the first
    plan: list[dict[str, Any]] = field(default_factory=list)  # new events, in order
    plan_of: list[int] = field(default_factory=list)  # draft index of each planned event
    merges: list[tuple[int, Candidate]] = field(default_factory=list)  # planned index -> incident

    def __post_init__(self) -> None:
        self.results = [None] * len(self.drafts)


def _plan(
    conn: Connection,
    state: HubState,
    book: RuleBook,
    batch: _Plan,
    known: dict[tuple[str, str], Outcome],
    fetched: list[list[Candidate]] | None,
    ids: list[int] | None,
    now: dt.datetime,
) -> None:
    """Decide each draft: a retry answered from before, handed back (its key in flight), or
    a new event (routed, merged or dispatched) in `batch.plan`."""
    drafts, planning = batch.drafts, batch.planning
    seen: dict[tuple[str, str], int] = {}
    # Incidents to merge into: the batches' in flight first, then this batch's own new ones.
    pending: list[Candidate] = list(planning.incidents)
    crowd = state.crowd
    for i, d in enumerate(drafts):
        if d.idempotency_key:
            k = (d.actor.id, d.idempotency_key)
            if k in known:
                batch.results[i] = known[k]
                continue
            if k in planning.busy:
                continue  # handed back: answered once the first attempt has committed
            if k in seen:
                batch.same_as[i] = seen[k]  # answered with the first one's outcome
                continue
            seen[k] = i
            planning.my_keys.add(k)
        p = d.payload
        level = book.start_level(d.category.code)
        lifted = crowd.level_for(p.crowd_size)
        if lifted and L.level_index(lifted) > L.level_index(level):
            level = lifted
        severity = max(p.severity or 1, crowd.severity_for(p.crowd_size))
        if d.category.deadline_class == "emergency":
            severity = max(severity, 2)
        incident = find_incident(
            conn,
            state.merge,
            d.category.family,
            d.area_code,
            p.lon,
            p.lat,
            now,
            pending,
            fetched[i] if fetched is not None else None,
        )
        rule = book.rule(d.category.code, level)
        new_id = ids[len(batch.plan)] if ids is not None else None
        row = {
            "code": f"E{new_id:08d}" if new_id is not None else "tmp" + uuid.uuid4().hex[:20],
            "category": d.category.code,
            "family": d.category.family,
            "channel": d.channel,
            "state": L.RECEIVED,
            "severity": severity,
            "crowd_size": p.crowd_size,
            "level": level,
            "department": rule.department,
            "area_code": d.area_code,
            "lon": p.lon,
            "lat": p.lat,
            "address": p.address,
            "title": p.title or d.category.zh,
            "description": p.description,
            "reporter_actor": d.actor.id,
            "reporter_person": d.reporter_person,
            "reporter_name": p.reporter_name,
            "reporter_contact": p.reporter_contact,
            "external_id": p.external_id,
            "idempotency_key": d.idempotency_key,
            "incident_id": None,
            "worker_id": None,
            "entities": [e.model_dump() for e in p.entities] if p.entities else None,
            "rule_version": book.version,
            "deadline_hours": rule.deadline_hours,
            "reported_at": naive_utc(p.reported_at) if p.reported_at else now,
            "created_at": now,
            "updated_at": now,
            "dispatched_at": None,
            "completed_at": None,
            "due_at": now + dt.timedelta(hours=rule.deadline_hours),
            "overdue": False,
            "rating": None,
            "token": d.token,
        }
        if new_id is not None:
            row["id"] = new_id
        if incident is not None:
            row["state"] = L.DUPLICATE
            row["due_at"] = None
            batch.merges.append((len(batch.plan), incident))
        else:
            mine = Candidate(
                new_id, d.category.family, d.area_code, p.lon, p.lat, now, len(batch.plan)
            )
            pending.append(mine)
            if new_id is not None and d.category.family in state.merge.families:
                planning.mine.append(mine)
            if level in ("grid", "village"):
                choice = state.dispatcher.nearest(d.area_code, p.lon, p.lat)
                if choice is not None:
                    row["state"] = L.DISPATCHED
                    row["worker_id"] = choice.worker_id
                    row["dispatched_at"] = now
        batch.plan.append(row)
        batch.plan_of.append(i)


def _timeline_and_timers(conn: Connection, book, plan, merges, now: dt.datetime) -> None:
    merged = {j for j, _ in merges}
    actions, timers = [], []
    for j, r in enumerate(plan):
        actions.append(
            {
                "event_id": r["id"],
                "at": now,
                "actor": r["reporter_actor"],
                "action": "report",
                "from_state": None,
                "to_state": L.RECEIVED,
                "level": r["level"],
                "department": r["department"],
                "note": f"channel {r['channel']}",
            }
        )
        if j in merged:
            continue
        if r["state"] == L.DISPATCHED:
            actions.append(
                {
                    "event_id": r["id"],
                    "at": now,
                    "actor": "system:dispatch",
                    "action": "dispatch",
                    "from_state": L.RECEIVED,
                    "to_state": L.DISPATCHED,
                    "level": r["level"],
                    "department": r["department"],
                    "note": f"nearest on-duty worker {r['worker_id']}",
                }
            )
        rule = book.rule(r["category"], r["level"])
        timers += open_timers(r["id"], r["level"], rule, now, dispatched=r["state"] == L.DISPATCHED)
    insert_rows(conn, _ACTIONS, actions)
    insert_rows(conn, _TIMERS, timers)


def _notifications(conn: Connection, plan, now: dt.datetime) -> None:
    rows = []
    for r in plan:
        if r["state"] == L.DUPLICATE:
            continue  # told once the merge is written, with the incident's code
        msg = state_message(r["code"], r["state"], r["department"], r["level"])
        rows += rows_for_state(
            r["id"],
            reporter_recipients(r["reporter_actor"], r["reporter_person"]),
            r["state"],
            msg,
            now,
        )
        if r["worker_id"] is not None:
            rows += rows_for_state(
                r["id"],
                [f"worker:{r['worker_id']}"],
                r["state"],
                f"新任务 {r['code']}：{r['title']}",
                now,
                "dispatch",
            )
        else:
            rows += rows_for_state(
                r["id"],
                [f"dept:{r['department']}"],
                r["state"],
                f"新事件 {r['code']}：{r['title']}",
                now,
                "dispatch",
            )
    insert_rows(conn, _NOTIFICATIONS, rows)


# The incidents a batch merges into, and their update: Core, like the rest of the write path
# (as ORM objects their load and per-row UPDATEs were an eighth of the writer's time).
_INCIDENTS = select(
    Event.id,
    Event.code,
    Event.state,
    Event.level,
    Event.department,
    Event.severity,
    Event.crowd_size,
).where(Event.id.in_(bindparam("ids", expanding=True)))


def _merge_all(
    session: Session,
    state: HubState,
    plan: list[dict[str, Any]],
    merges: list[tuple[int, Candidate]],
    now: dt.datetime,
) -> dict[int, str]:
    """Attach each merged report to its incident, in order; returns planned index -> the
    incident's code. The incident's severity and crowd follow the latest report, and a larger
    crowd lifts its level at once.

    The reports' links, the merge actions, the reporters' notices and the incidents' new
    severity and crowd go in as Core batches; before an escalation (rare) what is queued is
    written first, the escalation runs on the ORM object and is flushed, so every row lands in
    the same order as one report at a time would write it."""
    if not merges:
        return {}
    from zhili.events.workflow import escalate_to  # late: workflow imports intake's helpers

    conn = session.connection()
    targets = []
    for j, cand in merges:
        target_id = plan[cand.batch_index]["id"] if cand.id is None else cand.id
        plan[j]["incident_id"] = target_id
        targets.append(target_id)
    incidents = {
        r.id: dict(r._mapping) for r in conn.execute(_INCIDENTS, {"ids": sorted(set(targets))})
    }
    links: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    changed: dict[int, dict[str, Any]] = {}

    def write_queued() -> None:
        if not links:
            return  # every merge queues a link: nothing else can be waiting
        with pipelined(conn):  # one round trip on PostgreSQL
            update_rows(conn, _EVENTS, links)
            insert_rows(conn, _ACTIONS, actions)
            insert_rows(conn, _NOTIFICATIONS, notices)
            update_rows(
                conn,
                _EVENTS,
                [
                    {
                        "id": i,
                        "crowd_size": c["crowd_size"],
                        "severity": c["severity"],
                        "updated_at": now,
                    }
                    for i, c in changed.items()
                ],
            )
        links.clear(), actions.clear(), notices.clear(), changed.clear()

    codes: dict[int, str] = {}
    for (j, _), target_id in zip(merges, targets, strict=True):
        report = plan[j]
        incident = incidents[target_id]
        links.append({"id": report["id"], "incident_id": target_id})
        actions.append(
            {
                "event_id": target_id,
                "at": now,
                "actor": report["reporter_actor"],
                "action": "merge",
                "from_state": incident["state"],
                "to_state": incident["state"],
                "level": incident["level"],
                "department": incident["department"],
                "note": f"report {report['code']} merged (crowd {report['crowd_size'] or '-'})",
            }
        )
        notices.append(
            {
                "event_id": report["id"],
                "recipient": report["reporter_actor"],
                "at": now,
                "kind": "state",
                "state": L.DUPLICATE,
                "message": f"您反映的事项已并入事件 {incident['code']} 一并处理",
                "read_at": None,
            }
        )
        if report["crowd_size"] is not None:
            incident["crowd_size"] = report["crowd_size"]
        incident["severity"] = report["severity"]
        changed[target_id] = incident
        target = report["level"]
        if L.level_index(target) > L.level_index(incident["level"]):
            write_queued()
            event = session.get(Event, target_id, populate_existing=True)
            assert event is not None
            escalate_to(
                session,
                state,
                event,
                target,
                "system:merge",
                now,
                f"规模升级：最新报告人数 {report['crowd_size']}",
            )
            session.flush()
            incident.update(level=event.level, department=event.department, state=event.state)
        codes[j] = incident["code"]
    write_queued()
    return codes
