"""The dispatcher's queues: how many events wait in each state and how many are overdue,
inside the actor's area (the scope is applied in the query, like every list)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.events import lifecycle as L
from zhili.events.merging import distance_m
from zhili.events.models import Event
from zhili.events.runtime import HubState
from zhili.privacy.actors import Actor
from zhili.privacy.policy import authorize, can
from zhili.privacy.scope import scope_condition

# The queues in the order a dispatcher works them: overdue first, then the loop's order.
QUEUES = (
    "overdue",
    L.RECEIVED,
    L.TRANSFERRED,
    L.REOPENED,
    L.DISPATCHED,
    L.HANDLING,
    L.REPLIED,
    L.SUPERVISED,
    L.COMPLETED,
)
# Stateless actions offered beside the state machine's.
EXTRA_ACTIONS = ("escalate", "urge", "note")


def queue_counts(session: Session, actor: Actor) -> dict[str, int]:
    authorize(actor, "event.list")
    in_scope = scope_condition(actor, Event.area_code)
    counts = {q: 0 for q in QUEUES}
    states = [q for q in QUEUES if q != "overdue"]
    for state, n in session.execute(
        select(Event.state, func.count())
        .where(Event.state.in_(states), in_scope)
        .group_by(Event.state)
    ):
        counts[state] = n
    counts["overdue"] = (
        session.scalar(
            select(func.count()).where(Event.state.in_(L.OPEN_STATES), Event.overdue, in_scope)
        )
        or 0
    )
    return counts


def actions_now(actor: Actor, state: str, own: bool = False) -> list[str]:
    """The actions this actor may take on an event in `state` (the state machine and the
    policy both agree), in the loop's order. Merging (received or dispatched, a dispatcher's
    act) asks the page for the incident it joins."""
    from zhili.events.workflow import OWN_PERMISSION, PERMISSION

    out = []
    for action in (*L.ACTIONS, *EXTRA_ACTIONS):
        if action in L.ACTIONS and state not in L.ACTIONS[action]:
            continue
        if action in EXTRA_ACTIONS and state not in L.OPEN_STATES:
            continue
        permission = OWN_PERMISSION.get(action) if own else PERMISSION[action]
        if permission and can(actor, permission):
            out.append(action)
    return out


def departments(session: Session, state: HubState) -> list[str]:
    return sorted({r.department for r in state.book(session).rules})


def rank_nearby(event: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge candidates for an event: the same grid first, then the nearest, then the newest,
    so the incident a dispatcher means is among the few chips shown even in a busy village."""
    lon, lat = event.get("lon"), event.get("lat")

    def distance(r: dict[str, Any]) -> float:
        if None in (lon, lat, r.get("lon"), r.get("lat")):
            return float("inf")
        return distance_m(lon, lat, r["lon"], r["lat"])

    others = [r for r in rows if r["id"] != event.get("id")]
    # Newest first, then a stable sort by place keeps the newest ahead among equals.
    others.sort(key=lambda r: r.get("reported_at") or "", reverse=True)
    others.sort(key=lambda r: (r.get("area_code") != event.get("area_code"), distance(r)))
    return others
