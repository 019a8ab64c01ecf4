"""A small MQTT 3.1.1 client on asyncio, for many simulated devices in one process (the
simulator, the benchmark's load): CONNECT with a username and password, PUBLISH at QoS 0 or 1,
SUBSCRIBE, incoming PUBLISH (QoS 1 acknowledged), PINGREQ for the keep-alive.

paho runs a thread per client; a simulator with hundreds of devices, each connected as itself
with its own credentials (the broker's ACL lets a device publish only its own topics), needs
hundreds of connections, which one event loop holds at little cost. Publishing writes the
encoded packet to the socket's buffer: `drain()` waits until the buffer has gone out.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable

CONNECT, CONNACK, PUBLISH, PUBACK = 0x10, 0x20, 0x30, 0x40
SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 0x82, 0x90, 0xC0, 0xD0, 0xE0


class MqttError(ConnectionError):
    pass


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _length(len(body)) + body


def connect_packet(
    client_id: str, username: str | None, password: str | None, keepalive: int
) -> bytes:
    flags = 0x02  # clean session: the brokers keep no queue for a simulated device
    payload = _str(client_id)
    if username is not None:
        flags |= 0x80
        payload += _str(username)
        if password is not None:
            flags |= 0x40
            payload += _str(password)
    return packet(
        CONNECT, _str("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + payload
    )


def publish_packet(topic: str, payload: bytes, qos: int = 0, pid: int = 0) -> bytes:
    body = _str(topic) + (struct.pack("!H", pid) if qos else b"") + payload
    return packet(PUBLISH | (qos << 1), body)


class WireClient(asyncio.Protocol):
    """One connection. `on_message(topic, payload)` is called for each PUBLISH received."""

    def __init__(self, on_message: Callable[[str, bytes], None] | None = None) -> None:
        self.on_message = on_message
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._connack: asyncio.Future[int] | None = None
        self._suback: dict[int, asyncio.Future[None]] = {}
        self._pid = 0
        self.unacked = 0  # QoS 1 publishes the broker has not acknowledged yet
        self.closed = asyncio.Event()
        self._ping: asyncio.Task | None = None

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        keepalive: int = 60,
        on_message: Callable[[str, bytes], None] | None = None,
        timeout: float = 10.0,
    ) -> WireClient:
        loop = asyncio.get_running_loop()
        _, client = await loop.create_connection(lambda: cls(on_message), host, port)
        client._connack = loop.create_future()
        assert client.transport is not None
        client.transport.write(connect_packet(client_id, username, password, keepalive))
        code = await asyncio.wait_for(client._connack, timeout)
        if code != 0:
            client.transport.close()
            raise MqttError(f"CONNACK {code} for {username or client_id}")
        client._ping = loop.create_task(client._keepalive(keepalive))
        return client

    # ---- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()
        if self._connack is not None and not self._connack.done():
            self._connack.set_exception(MqttError(f"connection lost: {exc}"))
        if self._ping is not None:
            self._ping.cancel()

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        while len(buf) >= 2:
            n, mult, i = 0, 1, 1
            while True:
                if i >= len(buf):
                    return  # the length itself is incomplete
                byte = buf[i]
                n += (byte & 0x7F) * mult
                mult *= 128
                i += 1
                if not byte & 0x80:
                    break
            if len(buf) < i + n:
                return
            self._handle(buf[0], bytes(buf[i : i + n]))
            del buf[: i + n]

    def _handle(self, header: int, body: bytes) -> None:
        kind = header & 0xF0
        if kind == CONNACK and self._connack is not None and not self._connack.done():
            self._connack.set_result(body[1])
        elif kind == PUBACK:
            self.unacked -= 1
        elif kind == SUBACK:
            fut = self._suback.pop(struct.unpack("!H", body[:2])[0], None)
            if fut is not None and not fut.done():
                if body[2:3] == b"\x80":
                    fut.set_exception(MqttError("subscription refused"))
                else:
                    fut.set_result(None)
        elif kind == PUBLISH:
            qos = (header >> 1) & 3
            (tlen,) = struct.unpack("!H", body[:2])
            topic = body[2 : 2 + tlen].decode()
            at = 2 + tlen
            if qos:
                pid = body[at : at + 2]
                at += 2
                if self.transport is not None:
                    self.transport.write(packet(PUBACK, pid))
            if self.on_message is not None:
                self.on_message(topic, body[at:])

    # ---- the client's side -----------------------------------------------------------
    def _next_pid(self) -> int:
        self._pid = self._pid % 65535 + 1
        return self._pid

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        if self.transport is None or self.transport.is_closing():
            raise MqttError("not connected")
        if qos:
            self.unacked += 1
            self.transport.write(publish_packet(topic, payload, 1, self._next_pid()))
        else:
            self.transport.write(publish_packet(topic, payload))

    def write_raw(self, data: bytes) -> None:
        """Pre-encoded packets (the benchmark's load, encoded before the clock starts)."""
        assert self.transport is not None
        self.transport.write(data)

    async def subscribe(self, topic: str, qos: int = 1, timeout: float = 10.0) -> None:
        assert self.transport is not None
        pid = self._next_pid()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._suback[pid] = fut
        self.transport.write(packet(SUBSCRIBE, struct.pack("!H", pid) + _str(topic) + bytes([qos])))
        await asyncio.wait_for(fut, timeout)

    async def drain(self, high: int = 256 * 1024) -> None:
        """Wait while more than `high` bytes wait in the socket's buffer."""
        t = self.transport
        while t is not None and not t.is_closing() and t.get_write_buffer_size() > high:
            await asyncio.sleep(0.001)

    async def _keepalive(self, keepalive: int) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while self.transport is not None and not self.transport.is_closing():
                await asyncio.sleep(max(1.0, keepalive / 2))
                self.transport.write(packet(PINGREQ, b""))

    def close(self) -> None:
        if self._ping is not None:
            self._ping.cancel()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(packet(DISCONNECT, b""))
            self.transport.close()


__all__ = ["MqttError", "WireClient", "connect_packet", "publish_packet"]
