"""The topic layout (docs/DEVICES.md):

    <root>/v1/<kind>/<device_id>/measurement   DeviceMeasurement (one, or a list)   up
    <root>/v1/<kind>/<device_id>/alert         Alert                                up
    <root>/v1/<kind>/<device_id>/heartbeat     Device (state, battery, signal)      up
    <root>/v1/<kind>/<device_id>/access        gate passages (issue #6 item 4)      up
    <root>/v1/<kind>/<device_id>/cmd           a command from the hub (QoS 1)       down
    <root>/v1/<kind>/<device_id>/cmd/ack       the device's acknowledgement         up

The kind in the topic lets a broker's ACL and a reader tell device classes apart without a
lookup; the hub checks it against the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "v1"
KINDS = ("smoke_detector", "ev_charger", "distribution_box", "gate_face", "gate_plate", "camera")
UPLINK = ("measurement", "alert", "heartbeat", "access", "cmd/ack")
COMMAND = "cmd"


@dataclass(frozen=True)
class Topic:
    kind: str
    device_id: str
    channel: str  # one of UPLINK, or "cmd"


class TopicError(ValueError):
    pass


def topic(root: str, kind: str, device_id: str, channel: str) -> str:
    return f"{root}/{VERSION}/{kind}/{device_id}/{channel}"


def parse(root: str, name: str) -> Topic:
    """The parts of an uplink or command topic; TopicError for anything else."""
    parts = name.split("/")
    if len(parts) < 5 or parts[0] != root:
        raise TopicError(f"not under {root}/{VERSION}/<kind>/<device_id>/…")
    if parts[1] != VERSION:
        raise TopicError(f"unknown layout version {parts[1]!r}")
    kind, device_id, channel = parts[2], parts[3], "/".join(parts[4:])
    if kind not in KINDS:
        raise TopicError(f"unknown device kind {kind!r}")
    if not device_id:
        raise TopicError("empty device id")
    if channel not in UPLINK and channel != COMMAND:
        raise TopicError(f"unknown channel {channel!r}")
    return Topic(kind, device_id, channel)


def subscriptions(root: str) -> list[str]:
    """What the hub listens to: everything under the root, so that a payload on a wrong topic
    is quarantined rather than never seen (its own commands are skipped by `parse`)."""
    return [f"{root}/#"]
