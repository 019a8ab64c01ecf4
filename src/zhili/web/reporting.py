"""Reports and positions from the pages, through the same services the API uses: intake's
`prepare` and the intake writer (group commit, acknowledged after commit), photos through
events.attachments, positions through events.workers with the dispatcher's index updated after
the commit. Each call resolves the page's user again and is authorized and audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from nicegui import run
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.api.events import ROLE_CHANNEL
from zhili.events.attachments import add_attachment
from zhili.events.intake import Draft, Outcome, prepare
from zhili.events.models import Worker
from zhili.events.schemas import EventIn
from zhili.events.workers import report_position
from zhili.privacy.actors import Actor
from zhili.privacy.policy import NotAuthenticated, NotFound, authorize
from zhili.web.context import WebContext
from zhili.web.guard import PageCtx
from zhili.web.session import actor_for_token


@dataclass
class Photo:
    data: bytes
    content_type: str
    filename: str


def my_worker(session: Session, actor: Actor) -> Worker | None:
    if not actor.person_id:
        return None
    return session.scalar(select(Worker).where(Worker.person_id == actor.person_id).limit(1))


async def submit_report(p: PageCtx, payload: EventIn, photo: Photo | None) -> Outcome | None:
    """Report an event as the page's user; the photo is attached after the event exists."""

    def draft(actor: Actor) -> Draft:
        channel = ROLE_CHANNEL.get(actor.role, "staff")
        return prepare(p.web.events.state, actor, payload, channel, f"web-{uuid.uuid4()}")

    return await submit_draft(p, draft, photo)


async def submit_draft(
    p: PageCtx, make: Callable[[Actor], Draft], photo: Photo | None
) -> Outcome | None:
    """Write the report `make` prepares for the page's user through the intake writer, then
    attach the photo (events.attachments: checked, stored by digest, on the timeline)."""
    web = p.web

    def who() -> Actor:
        with web.sessions() as session:
            actor = actor_for_token(session, p.token)
        if not actor.authenticated:
            raise NotAuthenticated("session ended: log in again")
        return actor

    async def work() -> Outcome:
        actor = await run.io_bound(who)
        outcome = await web.events.writer.write(make(actor))
        if photo is not None:

            def attach() -> None:
                with web.sessions() as session:
                    add_attachment(
                        session,
                        web.privacy,
                        actor,
                        web.data,
                        outcome.code,
                        photo.data,
                        photo.content_type,
                        photo.filename,
                    )

            await run.io_bound(attach)
        return outcome

    return await p.guarded(work)


def position(
    session: Session,
    actor: Actor,
    web: WebContext,
    lon: float,
    lat: float,
    on_duty: bool | None = None,
) -> int:
    """A grid worker's phone reports where they are (as POST /api/workers/me/position)."""
    authorize(actor, "worker.position")
    worker = my_worker(session, actor)
    if worker is None:
        raise NotFound("this account is not a grid worker")
    report_position(session, worker.id, lon, lat, on_duty)
    web.privacy.audit(
        session, actor, "worker.position", resource=f"worker:{worker.id}", result_count=1
    )
    session.commit()
    dispatcher = web.events.state.dispatcher
    if hasattr(dispatcher, "update"):  # after the commit: the index never runs ahead
        dispatcher.update(
            worker.id, grid_code=worker.grid_code, lon=lon, lat=lat, on_duty=worker.on_duty
        )
    return worker.id
