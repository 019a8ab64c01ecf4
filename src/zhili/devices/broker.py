"""The embedded MQTT broker (amqtt 0.12, MQTT 3.1.1) in a thread of its own, with the
device credentials and topic rules enforced by two plugins.

Why its own thread and event loop: the broker then runs the same way beside the web server,
in a console command and in the tests, and a busy broker never stalls the server's loop.

Sessions: amqtt keeps a disconnected persistent session (clean_session=0) and queues its
messages in memory without bound, so the broker refuses such a CONNECT outright (CONNACK
"not authorized") and expires whatever session is left after `session_expiry_s`. Commands are
not lost to this: the hub keeps them in `device_commands` and resends until acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from amqtt.broker import Broker
from amqtt.contexts import Action, BaseContext, BrokerConfig, ListenerConfig
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from zhili.devices.credentials import CredentialStore
from zhili.devices.topics import COMMAND, UPLINK

log = logging.getLogger(__name__)
# amqtt narrates every connection at INFO; its warnings still come through.
for _name in ("amqtt", "amqtt.broker", "transitions"):
    logging.getLogger(_name).setLevel(logging.WARNING)

# The plugins are built by amqtt from dotted paths and a dict of plain settings, so the live
# objects they need (the credential store, the quarantine callback) are found by a key.
_CONTEXTS: dict[str, BrokerContext] = {}


@dataclass
class BrokerContext:
    store: CredentialStore
    root: str
    hub_users: frozenset[str]
    # Called for a publish the topic rules refused: (topic, username) → quarantined by ingest.
    on_denied: Callable[[str, str], None] | None = None


class DeviceAuthPlugin(BaseAuthPlugin):
    """CONNECT: username = device id (or the hub's account), password checked against the
    stored hash; no anonymous clients, no persistent sessions."""

    @dataclass
    class Config:
        key: str = ""

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self.zhili = _CONTEXTS[self.config.key]

    async def authenticate(self, *, session: Session) -> bool | None:
        if not session.clean_session:
            log.warning("refused %s: persistent sessions are not accepted", session.client_id)
            return False
        password = session.password
        if isinstance(password, bytes | bytearray):
            password = password.decode("utf-8", "replace")
        # The hash check and the registry read are off the broker's loop.
        ok = await asyncio.to_thread(self.zhili.store.check, session.username, password)
        if not ok:
            log.warning("refused %s: bad credentials for %r", session.client_id, session.username)
        return ok


class DeviceTopicPlugin(BaseTopicPlugin):
    """A device publishes only its own uplink topics and subscribes only to its own commands;
    the hub's accounts may do anything under the root."""

    @dataclass
    class Config:
        key: str = ""

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self.zhili = _CONTEXTS[self.config.key]

    async def topic_filtering(
        self,
        *,
        session: Session | None = None,
        topic: str | None = None,
        action: Action | None = None,
    ) -> bool:
        user = session.username if session is not None else None
        if not user or not topic:
            return False
        z = self.zhili
        if user in z.hub_users:
            return topic.startswith(z.root + "/") or topic == z.root
        allowed = _device_may(z.root, user, topic, action)
        if not allowed and action == Action.PUBLISH and z.on_denied is not None:
            z.on_denied(topic, user)  # refused, but never silently
        return allowed


def _device_may(root: str, user: str, topic: str, action: Action | None) -> bool:
    parts = topic.split("/")
    if len(parts) < 5 or parts[0] != root or parts[1] != "v1" or parts[3] != user:
        return False
    channel = "/".join(parts[4:])
    if action == Action.PUBLISH:
        return channel in UPLINK
    if action in (Action.SUBSCRIBE, Action.RECEIVE):
        return channel == COMMAND
    return False


def _direct_topic_check(broker: Broker) -> None:
    """Ask our topic plugin directly. amqtt 0.12 asks its topic plugins through a new task and
    a gather for every publish and again for every delivery; with our plugin the only one,
    awaiting it in place gives the same answers for less (measured in PERFORMANCE.md)."""
    manager = getattr(broker, "plugins_manager", None)
    plugins = list(getattr(manager, "_topic_plugins", None) or [])
    if len(plugins) != 1 or not isinstance(plugins[0], DeviceTopicPlugin):
        return  # some other arrangement: leave amqtt's way alone
    plugin = plugins[0]

    async def topic_filtering(session: Session, topic: str, action: Action) -> bool:
        return bool(await plugin.topic_filtering(session=session, topic=topic, action=action))

    broker._topic_filtering = topic_filtering  # type: ignore[method-assign]


class EmbeddedBroker:
    """amqtt on 127.0.0.1:port in a daemon thread; `start` returns once it listens (or raises
    if it cannot, e.g. the port is taken), `stop` shuts it down."""

    def __init__(
        self,
        store: CredentialStore,
        root: str,
        host: str = "127.0.0.1",
        port: int = 1883,
        session_expiry_s: int = 60,
        on_denied: Callable[[str, str], None] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self._key = f"zhili-{id(self)}"
        _CONTEXTS[self._key] = BrokerContext(
            store,
            root,
            frozenset(u for u in store.accounts if u.startswith("zhili-")),
            on_denied=on_denied,
        )
        self._config = BrokerConfig(
            listeners={"default": ListenerConfig(bind=f"{host}:{port}")},
            session_expiry_interval=session_expiry_s,
            plugins={
                f"{__name__}.DeviceAuthPlugin": {"key": self._key},
                f"{__name__}.DeviceTopicPlugin": {"key": self._key},
            },
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Broker | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def set_denied_callback(self, fn: Callable[[str, str], None] | None) -> None:
        _CONTEXTS[self._key].on_denied = fn

    def start(self, timeout: float = 15) -> None:
        self._thread = threading.Thread(target=self._run, name="zhili-mqtt-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the embedded MQTT broker did not start in time")
        if self._error is not None:
            raise RuntimeError(f"embedded MQTT broker on {self.host}:{self.port}: {self._error}")
        log.info("embedded MQTT broker on %s:%d", self.host, self.port)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._broker = Broker(self._config, loop=loop)
            loop.run_until_complete(self._broker.start())
            _direct_topic_check(self._broker)
        except BaseException as exc:  # reported to start()
            self._error = exc.__cause__ or exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    def stop(self, timeout: float = 10) -> None:
        loop, broker = self._loop, self._broker
        if loop is None or broker is None or self._error is not None or loop.is_closed():
            _CONTEXTS.pop(self._key, None)
            return
        fut = asyncio.run_coroutine_threadsafe(broker.shutdown(), loop)
        try:
            fut.result(timeout)
        except Exception as exc:  # stopping anyway
            log.warning("embedded MQTT broker shutdown: %s", exc)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
        _CONTEXTS.pop(self._key, None)

    @property
    def running(self) -> bool:
        return self._ready.is_set() and self._error is None and self._thread is not None
