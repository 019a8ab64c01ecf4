"""The hub's own MQTT connection: subscribes to the whole tree, hands every message to the
ingest, publishes commands at QoS 1, and reconnects by itself (1 s, doubling to 15 s).

It runs `wire.WireClient` on an event loop in a thread of its own. paho's client was the first
choice, but its per-message cost made the subscriber, not amqtt, the limit of what the hub
could take (docs/PERFORMANCE.md, "Devices").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from zhili.devices.config import MqttSettings
from zhili.devices.topics import subscriptions
from zhili.devices.wire import MqttError, WireClient

log = logging.getLogger(__name__)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """libuv's event loop where installed (cheaper socket reads), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class HubLink:
    """`on_message(topic, payload, received_at)` is called on the link's thread."""

    def __init__(
        self, settings: MqttSettings, on_message: Callable[[str, bytes, dt.datetime], Any]
    ) -> None:
        self.settings = settings
        self._on = on_message
        self.subscribed = threading.Event()
        self.refused: str | None = None
        self._client: WireClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self, timeout: float = 10) -> bool:
        self._thread = threading.Thread(target=self._run, name="zhili-mqtt-link", daemon=True)
        self._thread.start()
        return self.subscribed.wait(timeout)

    def stop(self) -> None:
        self._stopping = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._close)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def is_connected(self) -> bool:
        c = self._client
        return c is not None and c.transport is not None and not c.transport.is_closing()

    def publish(self, topic: str, payload: bytes) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            log.error("MQTT link down: %s not published (resent by the supervisor)", topic)
            return
        loop.call_soon_threadsafe(self._publish, topic, payload)

    def _publish(self, topic: str, payload: bytes) -> None:
        try:
            if self._client is None:
                raise MqttError("not connected")
            self._client.publish(topic, payload, qos=1)
        except MqttError as exc:  # the command stays due: the supervisor resends it
            log.error("MQTT link: %s not published: %s", topic, exc)

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _message(self, topic: str, payload: bytes) -> None:
        self._on(topic, payload, utcnow())

    def _run(self) -> None:
        loop = new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._connect_forever())
        finally:
            loop.close()

    async def _connect_forever(self) -> None:
        s, delay = self.settings, 1.0
        while not self._stopping:
            try:
                self._client = await WireClient.open(
                    s.host,
                    s.port,
                    f"zhili-hub-{uuid.uuid4().hex[:12]}",
                    s.username,
                    s.password,
                    keepalive=30,
                    on_message=self._message,
                )
                for t in subscriptions(s.root):
                    await self._client.subscribe(t, qos=1)
                self.refused, delay = None, 1.0
                self.subscribed.set()
                await self._client.closed.wait()
                self.subscribed.clear()
                if not self._stopping:
                    log.error("MQTT link to %s lost; reconnecting", s.describe())
            except (OSError, MqttError, TimeoutError) as exc:
                self.refused = str(exc)
                log.error("MQTT link to %s: %s (retry in %.0f s)", s.describe(), exc, delay)
            if not self._stopping:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)


__all__ = ["HubLink"]
