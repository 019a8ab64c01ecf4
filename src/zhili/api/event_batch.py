"""POST /api/events/batch: a department system (or device gateway) pushes many reports in one
request, as it syncs its own queue. Each item is what POST /api/events takes, checked,
authorized against its own place and written on its own: a bad item fails alone with its
status and reason, and the rest are written. Items carry their own idempotency keys, so a
system that resends a whole batch after a timeout creates nothing twice."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError

from zhili.api.deps import requires
from zhili.api.errors import error_status
from zhili.api.events import ROLE_CHANNEL
from zhili.events.intake import Draft, prepare
from zhili.events.schemas import EventIn
from zhili.privacy.actors import Actor
from zhili.privacy.policy import AuthorizationError

router = APIRouter(prefix="/api", tags=["events"])

MAX_ITEMS = 500  # about one second of a busy system's reports; a larger queue sends more batches


class BatchIn(BaseModel):
    events: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description=(
            "Reports, each as POST /api/events takes it (EventIn) plus an optional "
            "idempotency_key (1-128 characters). Each is validated on its own."
        ),
    )


def item_error(exc: BaseException) -> tuple[int, str]:
    """The status and message one item gets, as the single-report route would answer it."""
    if isinstance(exc, ValidationError):  # before ValueError, which it is: say which field
        return 422, "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in exc.errors()
        )
    status = error_status(exc)
    if status is None:
        return 500, "the report could not be written; resend it with the same idempotency_key"
    return status, str(exc)


@router.post("/events/batch")
async def report_batch(
    body: BatchIn,
    request: Request,
    current: Actor = Depends(requires("event.push|device.report", "POST /api/events/batch")),
) -> dict:
    """Push up to 500 reports. The answer lists one result per item, in order: `status` 201
    (created), 200 (an idempotent resend: the event made before) or the 4xx of that item
    alone, with `event` or `error`."""
    hub = request.app.state.events
    channel = ROLE_CHANNEL.get(current.role, "staff")
    results: list[dict[str, Any] | None] = [None] * len(body.events)
    drafts: list[Draft] = []
    placed: list[int] = []
    for i, item in enumerate(body.events):
        try:
            fields = dict(item)
            key = fields.pop("idempotency_key", None)
            if key is not None and not isinstance(key, str):
                raise ValueError("idempotency_key must be a string")
            drafts.append(prepare(hub.state, current, EventIn.model_validate(fields), channel, key))
            placed.append(i)
        except (ValidationError, AuthorizationError, ValueError, LookupError) as exc:
            status, message = item_error(exc)
            results[i] = {"index": i, "status": status, "error": message}
    outcomes = await hub.writer.write_many(drafts) if drafts else []
    for i, outcome in zip(placed, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            status, message = item_error(outcome)
            results[i] = {"index": i, "status": status, "error": message}
        else:
            status = 201 if outcome.created else 200
            results[i] = {"index": i, "status": status, "event": outcome.as_dict()}
    done = [r for r in results if r is not None]
    return {
        "created": sum(r["status"] == 201 for r in done),
        "replayed": sum(r["status"] == 200 for r in done),
        "failed": sum(r["status"] >= 400 for r in done),
        "results": done,
    }
