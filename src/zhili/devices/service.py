"""The devices as the server runs them: the broker (embedded, external or none) and the
ingest with its supervisor, started with the app and stopped with it.

A broker that cannot start (the port is taken, e.g. by a Mosquitto on 1883) does not stop
the server: device ingest is then off, said loudly in the log and in /api/devices/stats.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from zhili.community.channels import attach as attach_community
from zhili.devices.broker_process import BrokerProcess
from zhili.devices.config import DISABLED, EMBEDDED, HUB_USER, MqttSettings, settings_from_env
from zhili.devices.credentials import hash_secret, new_secret
from zhili.devices.ingest import DeviceIngest
from zhili.events.runtime import HubState
from zhili.privacy.context import PrivacyContext

log = logging.getLogger(__name__)


class DeviceService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        state: HubState,
        ctx: PrivacyContext,
        settings: MqttSettings | None = None,
    ) -> None:
        self.settings = settings or settings_from_env()
        self.sessions = sessions
        self.broker: BrokerProcess | None = None
        self.ingest: DeviceIngest | None = None
        self.status = "not started"
        self._state, self._ctx = state, ctx

    def start(self) -> None:
        s = self.settings
        if s.mode == DISABLED:
            self.status = "disabled (ZHILI_MQTT_URL=none)"
            log.info("devices: MQTT disabled")
            return
        if s.mode == EMBEDDED:
            # The hub's own account on its broker: a password of this process only.
            password = new_secret()
            engine = self.sessions.kw["bind"]
            self.broker = BrokerProcess(
                engine.url.render_as_string(hide_password=False),
                {HUB_USER: hash_secret(password)},
                s.root,
                s.host,
                s.port,
                session_expiry_s=s.session_expiry_s,
            )
            try:
                self.broker.start()
            except RuntimeError as exc:
                self.broker = None
                self.status = f"unavailable: {exc}"
                log.error("devices: no device ingest, the embedded broker did not start: %s", exc)
                return
            s = self.settings = MqttSettings(
                **{**s.__dict__, "username": HUB_USER, "password": password}
            )
        self.ingest = DeviceIngest(self.sessions, self._state, self._ctx, s)
        attach_community(self.ingest)  # gate passages, cameras' thrown-object detections
        self.ingest.start()
        self.status = f"running: {s.describe()}"
        log.info("devices: %s", self.status)

    def stop(self) -> None:
        if self.ingest is not None:
            self.ingest.stop()
        if self.broker is not None:
            self.broker.stop()

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"broker": self.status}
        if self.ingest is not None:
            out |= self.ingest.stats()
        return out
