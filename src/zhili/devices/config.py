"""Device settings from ZHILI_* variables (read when the service is built, so tests can set
them per test).

ZHILI_MQTT_URL      empty: the embedded amqtt broker on 127.0.0.1:ZHILI_MQTT_PORT (1883);
                    mqtt://user:password@host:port: an external broker (Mosquitto), the hub
                    logging in as that user; `none`: no broker, no device ingest.
ZHILI_MQTT_ROOT     the first topic level (default zhili)
ZHILI_DEVICE_HEARTBEAT_SECONDS   the devices' heartbeat period (300)
ZHILI_DEVICE_MISSED_HEARTBEATS   offline after this many periods without a message (3)
ZHILI_DEVICE_CMD_RETRY_SECONDS   first retry of an unacknowledged command (5; doubles)
ZHILI_DEVICE_CMD_ATTEMPTS        sends before a command is given up and escalated (4)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

EMBEDDED, EXTERNAL, DISABLED = "embedded", "external", "disabled"
HUB_USER = "zhili-hub"  # the hub's own account on the broker ("zhili-" is reserved)


@dataclass(frozen=True)
class MqttSettings:
    mode: str  # embedded | external | disabled
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    root: str = "zhili"
    session_expiry_s: int = 60  # the embedded broker drops a disconnected session after this
    heartbeat_s: float = 300.0
    missed_heartbeats: int = 3
    retry_s: float = 5.0
    attempts: int = 4
    tick_s: float = 1.0  # how often the supervisor looks at commands and heartbeats

    @property
    def offline_after_s(self) -> float:
        return self.heartbeat_s * self.missed_heartbeats

    def describe(self) -> str:
        if self.mode == DISABLED:
            return "disabled"
        return f"{self.mode} mqtt://{self.host}:{self.port} root {self.root}"


def parse_url(url: str | None) -> tuple[str, str, int, str | None, str | None]:
    """(mode, host, port, username, password) from ZHILI_MQTT_URL's value."""
    if url is None or not url.strip():
        return EMBEDDED, "127.0.0.1", 1883, None, None
    if url.strip().lower() == "none":
        return DISABLED, "", 0, None, None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("mqtt", "tcp"):
        raise ValueError(f"ZHILI_MQTT_URL must be mqtt://host:port, empty or none, not {url!r}")
    return (
        EXTERNAL,
        parts.hostname or "127.0.0.1",
        parts.port or 1883,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


def settings_from_env(**overrides: object) -> MqttSettings:
    env = os.environ
    mode, host, port, user, password = parse_url(env.get("ZHILI_MQTT_URL"))
    if mode == EMBEDDED:
        port = int(env.get("ZHILI_MQTT_PORT", "1883"))
    values: dict[str, object] = {
        "mode": mode,
        "host": host,
        "port": port,
        "username": user,
        "password": password,
        "root": env.get("ZHILI_MQTT_ROOT", "zhili"),
        "heartbeat_s": float(env.get("ZHILI_DEVICE_HEARTBEAT_SECONDS", "300")),
        "missed_heartbeats": int(env.get("ZHILI_DEVICE_MISSED_HEARTBEATS", "3")),
        "retry_s": float(env.get("ZHILI_DEVICE_CMD_RETRY_SECONDS", "5")),
        "attempts": int(env.get("ZHILI_DEVICE_CMD_ATTEMPTS", "4")),
    }
    values.update(overrides)
    return MqttSettings(**values)  # type: ignore[arg-type]
