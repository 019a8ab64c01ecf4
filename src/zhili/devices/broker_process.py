"""The embedded broker in a process of its own, as `zhili serve` runs it.

amqtt is pure Python: in a thread of the server it shares one interpreter lock with the
ingest and the web server. In its own process it has a core to itself (docs/PERFORMANCE.md,
"Devices"). The child checks devices' credentials against the same database (its own engine
on the same URL) and the hub's accounts by the hashes it is given; a publish its topic rules
refuse is told to the ingest as a message on `<root>/_denied/<username>` carrying the refused
topic (only the broker and the hub's accounts may publish there: devices write only their own
uplink topics), so the ingest can quarantine it as before. The child stops with the parent:
it exits when its pipe closes. Linux and macOS only (a fork server), as the rest of the server.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import socket
from multiprocessing.connection import Connection

DENIED = "_denied"
log = logging.getLogger(__name__)


def _port_free(host: str, port: int) -> str | None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            return str(exc)
    return None


def _serve(
    conn: Connection,
    url: str,
    accounts: dict[str, str],
    root: str,
    host: str,
    port: int,
    session_expiry_s: int,
) -> None:
    import asyncio

    from zhili.db import make_engine, make_sessionmaker
    from zhili.devices.broker import EmbeddedBroker
    from zhili.devices.credentials import CredentialStore

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s broker %(message)s")
    try:  # libuv's loop: cheaper socket work for amqtt (PERFORMANCE.md, "Devices")
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    engine = make_engine(url)
    store = CredentialStore(make_sessionmaker(engine), accounts)
    broker = EmbeddedBroker(store, root, host, port, session_expiry_s=session_expiry_s)

    def denied(topic: str, user: str) -> None:  # on the broker's loop, inside its plugin
        inner = broker._broker
        if inner is not None:
            asyncio.get_running_loop().create_task(
                inner.internal_message_broadcast(f"{root}/{DENIED}/{user}", topic.encode(), 0)
            )

    broker.set_denied_callback(denied)
    try:
        broker.start()
    except RuntimeError as exc:
        conn.send(f"error: {exc}")
        return
    conn.send("ready")
    with contextlib.suppress(EOFError):
        conn.recv()  # "stop", or EOFError when the parent is gone
    broker.stop()
    engine.dispose()


class BrokerProcess:
    """`start` returns once the child listens (RuntimeError if it cannot); `stop` ends it."""

    def __init__(
        self,
        url: str,
        accounts: dict[str, str],
        root: str,
        host: str = "127.0.0.1",
        port: int = 1883,
        session_expiry_s: int = 60,
    ) -> None:
        self.url, self.accounts, self.root = url, accounts, root
        self.host, self.port, self.session_expiry_s = host, port, session_expiry_s
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None

    def start(self, timeout: float = 30) -> None:
        taken = _port_free(self.host, self.port)
        if taken is not None:  # say so at once rather than after starting a process
            raise RuntimeError(f"embedded MQTT broker on {self.host}:{self.port}: {taken}")
        # A fork server: started once, it has the broker's modules imported already and
        # forks each broker from a clean, single-threaded process (a fork of the server,
        # with its threads, is not safe; a spawn imports everything anew each time).
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["zhili.devices.broker", "zhili.db"])
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve,
            args=(
                child,
                self.url,
                self.accounts,
                self.root,
                self.host,
                self.port,
                self.session_expiry_s,
            ),
            name="zhili-mqtt-broker",
            daemon=True,
        )
        self._proc.start()
        child.close()
        if not self._conn.poll(timeout):
            self.stop()
            raise RuntimeError("the embedded MQTT broker did not start in time")
        answer = self._conn.recv()
        if answer != "ready":
            self.stop()
            raise RuntimeError(str(answer))
        log.info("embedded MQTT broker (pid %s) on %s:%d", self._proc.pid, self.host, self.port)

    def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send("stop")
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(timeout=10)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(timeout=5)
            self._proc = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.is_alive()


__all__ = ["DENIED", "BrokerProcess"]
