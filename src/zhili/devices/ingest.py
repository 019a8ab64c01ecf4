"""Device ingest: MQTT messages → checked → written in batches.

One paho client subscribes to the whole topic tree (so a payload on a wrong topic is seen and
quarantined, not missed) and hands each message to a queue; one processor thread takes what
has queued (up to `max_batch`) and handles it in one transaction:

  topic → device (registry) → size → JSON → schema (offline) → the device's own id inside
  → liveness (last seen, heartbeat, state) → faults → thresholds → alarms → power-cut
  commands → events through the hub's intake (device channel) → acknowledgements

and publishes the commands after the commit. Every payload that fails a check is written to
`device_quarantine` with its reason and counted per reason (`device_quarantine_counts`, and
in memory for the stats); nothing is dropped silently. A batch that fails is retried message
by message, so one bad message cannot take others down with it.

Raw telemetry is not stored: only the last values per device, and the alarms with the values
that raised them (docs/PRIVACY.md: raw movement data only as long as its purpose needs).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from zhili.devices import commands
from zhili.devices.broker_process import DENIED
from zhili.devices.config import MqttSettings
from zhili.devices.fire import FIRE_KINDS, GATEWAY, AlarmIn, ThresholdWatch, event_for, from_alert
from zhili.devices.link import HubLink
from zhili.devices.maintenance import OfflineDetector, fault_alert, resolve_returned, returned
from zhili.devices.models import (
    Device,
    DeviceAlarm,
    DeviceQuarantine,
    DeviceQuarantineCount,
)
from zhili.devices.registry import DeviceCache, DeviceInfo
from zhili.devices.topics import TopicError, parse
from zhili.devices.validation import parse_time, problem
from zhili.events.detectors import Alert, run_detector
from zhili.events.intake import Draft, Outcome, prepare, write_batch
from zhili.events.runtime import HubState
from zhili.events.schemas import EntityRef, EventIn
from zhili.privacy.context import PrivacyContext

log = logging.getLogger(__name__)
MAX_PAYLOAD = 64 * 1024
KEEP_PAYLOAD = 8 * 1024


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class Message:
    topic: str
    payload: bytes
    at: dt.datetime  # when the hub received it (naive UTC)
    denied_user: str | None = None  # a publish the broker refused (no payload reaches us)


class Rejected(Exception):
    def __init__(self, reason: str, detail: str = "", device_id: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail, self.device_id = reason, detail, device_id


class ChannelHandler(Protocol):
    """A channel of some device kinds that another module handles (gate passages and camera
    detections: community/channels.py), registered with `DeviceIngest.register`.

    `check` runs on each message before the batch's transaction, with the parsed JSON and the
    receive time: it returns what `write` needs, or raises `Rejected` (quarantined with that
    reason). `write` runs once per batch inside the transaction with everything `check`
    accepted, and returns the event drafts to write through intake with the batch's alarms."""

    channel: str
    kinds: frozenset[str]

    def check(self, device: DeviceInfo, body: Any, at: dt.datetime) -> Any: ...

    def write(
        self, session: Session, state: HubState, items: list[Any], now: dt.datetime
    ) -> list[Draft]: ...


@dataclass
class _Batch:
    """What one batch decided, written in one transaction."""

    quarantine: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[str, dt.datetime] = field(default_factory=dict)
    heartbeats: dict[str, dt.datetime] = field(default_factory=dict)
    alarms: list[AlarmIn] = field(default_factory=list)
    faults: list[Alert] = field(default_factory=list)
    acks: list[tuple[str, dict[str, Any], Message]] = field(default_factory=list)
    accepted: Counter = field(default_factory=Counter)
    watch: dict[tuple[str, str], tuple[str, dt.datetime]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    handled: dict[int, list[Any]] = field(default_factory=dict)  # id(handler) → checked items
    events: list[tuple[str, str, Outcome]] = field(default_factory=list)  # alarms' events


class DeviceIngest:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        state: HubState,
        ctx: PrivacyContext,
        settings: MqttSettings,
        cache: DeviceCache | None = None,
        max_batch: int = 1000,
        linger: float = 0.05,
    ) -> None:
        self.sessions, self.state, self.ctx, self.settings = sessions, state, ctx, settings
        self.cache = cache or DeviceCache()
        self.watch = ThresholdWatch()
        self.handlers: dict[tuple[str, str], ChannelHandler] = {}  # (channel, kind) → handler
        self.max_batch, self.linger = max_batch, linger
        self.counters: Counter = Counter()  # accepted:<channel>, quarantined:<reason>
        self.link: HubLink | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        # Alarms and command answers overtake queued telemetry: they wait here, and a wake-up
        # token in the main queue ends whatever the processor is waiting for.
        self._urgent: queue.SimpleQueue = queue.SimpleQueue()
        self._state: dict[str, dict[str, Any]] = {}  # device → last known state and values
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_offline_check = 0.0
        self._denied_prefix = f"{settings.root}/{DENIED}/"
        self.processed = 0  # messages taken or quarantined since start
        # Told after each commit: (messages so far, the batch's alarms with their events);
        # the MQTT benchmark's clock.
        self.observer: Callable[[int, list[tuple[str, str, Outcome]]], None] | None = None

    # ---- lifecycle -------------------------------------------------------------------
    def start(self, connect: bool = True) -> None:
        with self.sessions() as session:
            n = self.cache.load(session)
        log.info("device ingest: %d devices in the registry", n)
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._run, name="zhili-device-ingest", daemon=True),
            threading.Thread(target=self._supervise, name="zhili-device-supervisor", daemon=True),
        ]
        for t in self._threads:
            t.start()
        if connect:
            self.link = HubLink(self.settings, self.receive)
            if not self.link.start():
                log.error("device ingest: not subscribed to %s yet", self.settings.describe())

    def stop(self) -> None:
        self._stop.set()
        if self.link is not None:
            self.link.stop()
        self._queue.put(None)
        for t in self._threads:
            t.join(timeout=10)

    def register(self, handler: ChannelHandler) -> None:
        """Let `handler` take its channel from its kinds of device."""
        for kind in handler.kinds:
            self.handlers[(handler.channel, kind)] = handler

    def submit(self, message: Message) -> None:
        if _urgent(message):
            self._urgent.put(message)
            self._queue.put(_WAKE)
        else:
            self._queue.put(message)

    def receive(self, topic: str, payload: bytes, at: dt.datetime) -> None:
        if topic.startswith(self._denied_prefix):  # the broker process refused a publish
            user = topic[len(self._denied_prefix) :]
            self._queue.put(Message(payload.decode("utf-8", "replace"), b"", at, user))
            return
        self.submit(Message(topic, payload, at))

    def denied(self, topic: str, user: str) -> None:
        """The embedded broker refused a publish (another device's topic): quarantine it."""
        self._queue.put(Message(topic, b"", utcnow(), denied_user=user))

    def publish(self, out: commands.Outgoing) -> None:
        if self.link is not None:
            self.link.publish(out.topic, out.payload)

    # ---- the processor thread -------------------------------------------------------
    def _take_urgent(self) -> list[Message]:
        out = []
        while True:
            try:
                out.append(self._urgent.get_nowait())
            except queue.Empty:
                return out

    def _run(self) -> None:
        while True:
            urgent = self._take_urgent()
            if urgent:  # before any telemetry still queued
                self.process(urgent)
                continue
            item = self._queue.get()
            if item is None:
                return
            if item is _WAKE:
                continue
            batch = [item]
            deadline = time.monotonic() + self.linger
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    self.process(self._take_urgent() + batch)
                    return
                if nxt is _WAKE:
                    break  # an alarm: write what has gathered with it, now
                batch.append(nxt)
            self.process(self._take_urgent() + batch)

    def process(self, messages: list[Message], now: dt.datetime | None = None) -> None:
        """Handle a batch in one transaction; on failure, each message alone."""
        now = now or utcnow()
        try:
            self._commit(messages, now)
        except Exception:
            if len(messages) > 1:
                for m in messages:
                    self.process([m], now)
                return
            m = messages[0]
            log.exception("device message on %s failed", m.topic)
            self._quarantine_alone(m, "processing_error", "the hub failed to process it", now)

    def _commit(self, messages: list[Message], now: dt.datetime) -> None:
        b = _Batch()
        for m in messages:
            try:
                self._check(m, b, now)
            except Rejected as r:
                b.quarantine.append(_quarantine_row(m, r.reason, r.detail, r.device_id, now))
        outgoing: list[commands.Outgoing] = []
        with self.sessions() as session:
            self._write_quarantine(session, b.quarantine, now)
            self._write_liveness(session, b, now)
            for device_id, ack, m in b.acks:
                reason = commands.acknowledge(session, device_id, ack, now)
                if reason is not None:
                    row = _quarantine_row(
                        m, reason, f"no command {ack['id']} for {device_id}", device_id, now
                    )
                    self._write_quarantine(session, [row], now)
                    b.quarantine.append(row)
                    b.accepted["cmd/ack"] -= 1
            drafts = self._write_handled(session, b, now)
            outgoing = self._write_alarms(session, b, now, drafts)
            session.commit()
        self.watch.remember(b.watch)
        for out in outgoing:
            self.publish(out)
        self.counters.update({f"accepted:{k}": v for k, v in b.accepted.items() if v})
        self.counters.update(f"quarantined:{q['reason']}" for q in b.quarantine)
        self.processed += len(messages)
        if self.observer is not None:
            self.observer(self.processed, b.events)

    def _check(self, m: Message, b: _Batch, now: dt.datetime) -> None:
        if m.denied_user is not None:
            raise Rejected(
                "topic_denied", f"the broker refused {m.denied_user} publishing here", m.denied_user
            )
        try:
            t = parse(self.settings.root, m.topic)
        except TopicError as e:
            raise Rejected("wrong_topic", str(e)) from None
        if t.channel == "cmd":
            return  # the hub's own commands, seen on their way out
        dev = self.cache.get(self.sessions, t.device_id)
        if dev is None:
            raise Rejected(
                "unknown_device", f"no device {t.device_id} in the registry", t.device_id
            )
        if not dev.active:
            raise Rejected("inactive_device", f"{dev.id} is deactivated", dev.id)
        if dev.kind != t.kind:
            raise Rejected("wrong_topic", f"{dev.id} is a {dev.kind}, not a {t.kind}", dev.id)
        if len(m.payload) > MAX_PAYLOAD:
            raise Rejected("too_large", f"{len(m.payload)} bytes > {MAX_PAYLOAD}", dev.id)
        try:
            body = orjson.loads(m.payload)
        except orjson.JSONDecodeError as e:
            raise Rejected("bad_json", str(e)[:300], dev.id) from None
        handler = self.handlers.get((t.channel, dev.kind))
        if handler is not None:
            try:
                item = handler.check(dev, body, m.at)
            except Rejected as r:
                raise Rejected(r.reason, r.detail, dev.id) from None
            b.handled.setdefault(id(handler), []).append(item)
        elif t.channel == "access":
            raise Rejected("unsupported", f"a {dev.kind} sends no gate passages", dev.id)
        else:
            err = problem(t.channel, body)
            if err is not None:
                raise Rejected("schema", err, dev.id)
            getattr(self, "_on_" + t.channel.replace("/", "_"))(dev, body, m, b, now)
        b.seen[dev.id] = max(m.at, b.seen.get(dev.id, m.at))
        b.accepted[t.channel] += 1

    # ---- per channel (raise Rejected before touching the batch) ----------------------
    def _on_heartbeat(
        self, dev: DeviceInfo, body: dict, m: Message, b: _Batch, now: dt.datetime
    ) -> None:
        _same_device(dev, body["id"])
        b.heartbeats[dev.id] = m.at
        st = self._state.setdefault(dev.id, {})
        st["deviceState"] = body["deviceState"]
        for k in ("batteryLevel", "rssi", "firmwareVersion"):
            if k in body:
                st[k] = body[k]
        st["reportedAt"] = body["dateLastValueReported"]
        b.touched.add(dev.id)
        alert = fault_alert(dev, body["deviceState"], body.get("batteryLevel"), now.date())
        if alert is not None:
            b.faults.append(alert)

    def _on_measurement(
        self, dev: DeviceInfo, body: Any, m: Message, b: _Batch, now: dt.datetime
    ) -> None:
        items = body if isinstance(body, list) else [body]
        for item in items:
            _same_device(dev, item["refDevice"])
        values = self._state.setdefault(dev.id, {}).setdefault("values", {})
        for item in items:
            observed = min(parse_time(item["dateObserved"]), now)
            values[item["controlledProperty"]] = item["numValue"]
            alarm = self.watch.check(
                dev, item["controlledProperty"], float(item["numValue"]), observed, b.watch
            )
            if alarm is not None:
                b.alarms.append(alarm)
        b.touched.add(dev.id)

    def _on_alert(
        self, dev: DeviceInfo, body: dict, m: Message, b: _Batch, now: dt.datetime
    ) -> None:
        _same_device(dev, body["alertSource"])
        if dev.kind not in FIRE_KINDS:
            raise Rejected("unsupported", f"alerts of a {dev.kind} are not taken yet", dev.id)
        b.alarms.append(from_alert(dev, body, min(parse_time(body["dateIssued"]), now)))

    def _on_cmd_ack(
        self, dev: DeviceInfo, body: dict, m: Message, b: _Batch, now: dt.datetime
    ) -> None:
        b.acks.append((dev.id, body, m))

    # ---- writing ---------------------------------------------------------------------
    def _write_quarantine(
        self, session: Session, rows: list[dict[str, Any]], now: dt.datetime
    ) -> None:
        if not rows:
            return
        session.execute(insert(DeviceQuarantine), rows)
        per: Counter = Counter(r["reason"] for r in rows)
        day = now.date()
        for reason, n in per.items():  # one writer thread: update, else insert, is safe
            done = session.execute(
                update(DeviceQuarantineCount)
                .where(DeviceQuarantineCount.day == day, DeviceQuarantineCount.reason == reason)
                .values(count=DeviceQuarantineCount.count + n)
            ).rowcount
            if not done:
                session.execute(
                    insert(DeviceQuarantineCount).values(day=day, reason=reason, count=n)
                )

    def _write_liveness(self, session: Session, b: _Batch, now: dt.datetime) -> None:
        if not b.seen:
            return
        back = returned(session, b.seen)
        if back:
            resolve_returned(session, self.ctx, back, now)
        dev = Device.__table__
        rows = [
            {"b_id": i, "b_seen": at, "b_hb": b.heartbeats.get(i), "b_state": self._state.get(i)}
            for i, at in b.seen.items()
        ]
        session.execute(
            update(dev)
            .where(dev.c.id == bindparam("b_id"))
            .values(
                last_seen=bindparam("b_seen"),
                status="online",
                last_heartbeat=func.coalesce(
                    bindparam("b_hb", type_=dev.c.last_heartbeat.type), dev.c.last_heartbeat
                ),
                state=case(
                    (bindparam("b_state", type_=dev.c.state.type).is_(None), dev.c.state),
                    else_=bindparam("b_state", type_=dev.c.state.type),
                ),
            ),
            rows,
        )

    def _write_handled(self, session: Session, b: _Batch, now: dt.datetime) -> list[Draft]:
        drafts: list[Draft] = []
        handlers = {id(h): h for h in self.handlers.values()}
        for key, items in b.handled.items():
            drafts += handlers[key].write(session, self.state, items, now)
        return drafts

    def _write_alarms(
        self, session: Session, b: _Batch, now: dt.datetime, extra: list[Draft]
    ) -> list[commands.Outgoing]:
        alarms = _new_alarms(session, b.alarms)
        outgoing: list[commands.Outgoing] = []
        drafts: list[Draft] = list(extra)
        rows: list[DeviceAlarm | None] = [None] * len(extra)
        for a in alarms:
            plan = a.power_cut_plan()
            row = DeviceAlarm(
                device_id=a.device.id,
                source_id=a.source_id,
                trigger=a.trigger,
                level=a.level,
                issued_at=a.issued_at,
                received_at=now,
                values=a.values or None,
                power_cut=plan,
            )
            session.add(row)
            session.flush()
            if plan == "command":
                cmd, out = commands.new_command(
                    session, self.settings, a.device.id, a.device.kind, row, now
                )
                row.command_id = cmd.id
                outgoing.append(out)
            try:
                drafts.append(
                    prepare(
                        self.state,
                        GATEWAY,
                        event_for(a, plan, row.command_id),
                        "device",
                        f"alarm:{a.device.id}:{a.source_id}"[:128],
                    )
                )
                rows.append(row)
            except Exception as exc:  # the alarm and the power cut stand
                log.error("alarm %s of %s opened no event: %s", a.source_id, a.device.id, exc)
        for alert in b.faults:
            try:
                drafts.append(prepare(self.state, GATEWAY, _event_in(alert), "device", alert.key))
                rows.append(None)
            except Exception as exc:
                log.error("maintenance task %s not raised: %s", alert.key, exc)
        if drafts:
            outcomes = write_batch(session, self.state, self.ctx, drafts, now=now)
            by_key = {(d.idempotency_key): o for d, o in zip(drafts, outcomes, strict=True)}
            for d, row in zip(drafts, rows, strict=True):
                if row is not None:
                    o = by_key[d.idempotency_key]
                    row.event_id, row.event_code = o.id, o.code
                    b.events.append((row.device_id, row.source_id, o))
        return outgoing

    def _quarantine_alone(self, m: Message, reason: str, detail: str, now: dt.datetime) -> None:
        try:
            with self.sessions() as session:
                self._write_quarantine(
                    session, [_quarantine_row(m, reason, detail, None, now)], now
                )
                session.commit()
        except Exception:  # the database itself is gone: the log is all we have
            log.exception("could not quarantine a message on %s", m.topic)
        self.counters[f"quarantined:{reason}"] += 1
        self.processed += 1

    # ---- the supervisor thread: resends, escalations, offline devices ------------------
    def _supervise(self) -> None:
        while not self._stop.wait(self.settings.tick_s):
            try:
                self.tick()
            except Exception:  # keep supervising
                log.exception("device supervisor tick failed")

    def tick(self, now: dt.datetime | None = None) -> None:
        now = now or utcnow()
        with self.sessions() as session:
            out, pending = commands.due(session, self.settings, now)
            for cmd in pending:
                commands.escalate(session, self.state, self.ctx, cmd, now)
            session.commit()
        for o in out:
            self.publish(o)
        every = min(self.settings.heartbeat_s / 2, 60.0)
        if time.monotonic() - self._last_offline_check >= every:
            self._last_offline_check = time.monotonic()
            detector = OfflineDetector(self.settings.heartbeat_s, self.settings.missed_heartbeats)
            run_detector(self.sessions, self.state, self.ctx, detector, now)

    def stats(self) -> dict[str, Any]:
        return {
            "queued": self._queue.qsize() + self._urgent.qsize(),
            "devices": len(self.cache),
            "connected": bool(self.link and self.link.is_connected()),
            "accepted": {
                k.split(":", 1)[1]: v for k, v in self.counters.items() if k.startswith("accepted:")
            },
            "quarantined": {
                k.split(":", 1)[1]: v
                for k, v in self.counters.items()
                if k.startswith("quarantined:")
            },
        }


_WAKE = Message("", b"", dt.datetime.min)  # "an urgent message is waiting"


def _urgent(m: Message) -> bool:
    """Alarms and command answers: written before queued telemetry, without lingering."""
    return m.denied_user is None and m.topic.endswith(("/alert", "/cmd/ack"))


def _same_device(dev: DeviceInfo, named: str) -> None:
    if named != dev.id:
        raise Rejected("device_mismatch", f"payload names {named!r} on {dev.id}'s topic", dev.id)


def _quarantine_row(
    m: Message, reason: str, detail: str, device_id: str | None, now: dt.datetime
) -> dict[str, Any]:
    return {
        "at": m.at or now,
        "topic": m.topic[:255],
        "device_id": device_id[:32] if device_id else None,
        "reason": reason,
        "detail": detail[:500],
        "payload": m.payload[:KEEP_PAYLOAD],
    }


def _new_alarms(session: Session, alarms: list[AlarmIn]) -> list[AlarmIn]:
    """Drop alarms already written (a QoS 1 redelivery) or repeated within the batch."""
    if not alarms:
        return []
    keys = {(a.device.id, a.source_id) for a in alarms}
    known = set(
        session.execute(
            select(DeviceAlarm.device_id, DeviceAlarm.source_id).where(
                or_(
                    *(and_(DeviceAlarm.device_id == d, DeviceAlarm.source_id == s) for d, s in keys)
                )
            )
        ).all()
    )
    out, seen = [], set()
    for a in alarms:
        k = (a.device.id, a.source_id)
        if k in known or k in seen:
            continue
        seen.add(k)
        out.append(a)
    return out


def _event_in(alert: Alert) -> EventIn:
    return EventIn(
        category=alert.category,
        area_code=alert.area_code,
        lon=alert.lon,
        lat=alert.lat,
        severity=alert.severity,
        title=alert.title[:128],
        description="\n".join(f"· {r}" for r in alert.reasons),
        entities=[EntityRef(kind=k, id=i) for k, i in alert.entities] or None,
    )


__all__ = ["ChannelHandler", "DeviceIngest", "Message", "Rejected"]
