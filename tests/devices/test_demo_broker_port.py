"""`zhili demo` on a machine where 1883 is taken (every development and CI machine runs a
Mosquitto there): its embedded broker moves to a free port instead of leaving the demo
without device ingest."""

from __future__ import annotations

import os
import socket

import pytest

from zhili.cli import _demo_broker_port


def test_the_demo_broker_moves_off_a_taken_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZHILI_MQTT_URL", raising=False)
    monkeypatch.setenv("ZHILI_MQTT_PORT", "")  # restored after the test, whatever is set
    monkeypatch.delenv("ZHILI_MQTT_PORT")
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 1883))
        holder.listen()
    except OSError:  # a broker holds it already
        holder.close()
    try:
        _demo_broker_port()
        port = int(os.environ["ZHILI_MQTT_PORT"])
        assert 1883 < port < 1900
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # free, as chosen
    finally:
        holder.close()


def test_a_configured_broker_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHILI_MQTT_URL", "mqtt://127.0.0.1:1883")
    monkeypatch.delenv("ZHILI_MQTT_PORT", raising=False)
    _demo_broker_port()
    assert "ZHILI_MQTT_PORT" not in os.environ
