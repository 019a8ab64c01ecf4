"""What the smart community takes from the device ingest (devices/ingest.py): gate passages
on the access channel (S1) and cameras' thrown-object detections on the alert channel (S3).

Each is a `ChannelHandler`: `check` runs on every message before the ingest's transaction
(a refusal is quarantined with its reason, never dropped), `write` once per batch inside it,
so a batch of passages is one lookup and one insert, and a detection's event commits with
the rest of the batch. `attach(ingest)` registers both; the server's DeviceService does it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from zhili.community.access import LOCAL_OFFSET
from zhili.community.cameras import thrown_object_draft
from zhili.community.passages import GATE_KINDS, Refused, check, record_batch
from zhili.devices.ingest import DeviceIngest, Rejected
from zhili.devices.registry import DeviceInfo
from zhili.devices.validation import parse_time, problem
from zhili.events.intake import Draft
from zhili.events.runtime import HubState


class AccessChannel:
    """Gate passages: a credential id, a direction and a time; nothing biometric."""

    channel = "access"
    kinds = GATE_KINDS

    def check(self, device: DeviceInfo, body: Any, at: dt.datetime) -> Any:
        try:
            passages = check(body)
        except Refused as e:
            raise Rejected(e.reason, str(e)) from None
        return (device.id, device.area_code, passages, at + LOCAL_OFFSET)

    def write(
        self, session: Session, state: HubState, items: list[Any], now: dt.datetime
    ) -> list[Draft]:
        record_batch(session, items)
        return []


class ThrownObjectChannel:
    """A camera's own analytics saw something fall: an Alert (suspiciousAction, trigger
    thrownObject, the estimated floor) → the event with the cameras and clips to pull."""

    channel = "alert"
    kinds = frozenset({"camera"})

    def check(self, device: DeviceInfo, body: Any, at: dt.datetime) -> Any:
        err = problem("alert/camera", body)
        if err is not None:
            raise Rejected("schema", err)
        if body["alertSource"] != device.id:
            raise Rejected("device_mismatch", f"payload names {body['alertSource']!r}")
        seen = min(parse_time(body["dateIssued"]), at)  # a camera clock ahead is not the future
        return (device.id, seen, body["data"].get("floorEstimate"))

    def write(
        self, session: Session, state: HubState, items: list[Any], now: dt.datetime
    ) -> list[Draft]:
        drafts, keys = [], set()
        for camera_id, at, floor in items:
            draft = thrown_object_draft(session, state, camera_id, at, floor)
            if draft.idempotency_key not in keys:  # a redelivery in the same batch
                keys.add(draft.idempotency_key)
                drafts.append(draft)
        return drafts


def attach(ingest: DeviceIngest) -> None:
    """Let the ingest take gate passages and cameras' detections."""
    ingest.register(AccessChannel())
    ingest.register(ThrownObjectChannel())
