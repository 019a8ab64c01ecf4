"""What the /qr/<token> page needs beyond community.qr: which parts of the page a visitor
gets, the place's facts as lines to show, and a refused registration turned into the field it
is about. No service logic here: the page calls community.qr (landing, self_register,
registered, hazard_draft) and those authorize, mask and audit."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from zhili.community import qr
from zhili.community.models import CommunityPlace
from zhili.events.intake import Draft
from zhili.events.runtime import HubState
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import AuthorizationError, NotFound, can, check_department

# community.load.new_token: secrets.token_urlsafe(16), 22 characters; anything else is not a
# code of ours and is answered without a database lookup.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
FIELDS = ("name", "id_number", "phone", "room")


def well_formed(token: str) -> bool:
    return TOKEN.fullmatch(token) is not None


def place_or_none(session: Session, token: str) -> dict[str, Any] | None:
    """`qr.landing`, or None for a code that is unknown, rotated or mistyped (one answer)."""
    if not well_formed(token):
        return None
    try:
        return qr.landing(session, token)
    except NotFound:
        return None


@dataclass(frozen=True)
class Parts:
    """The parts of the page a visitor gets (the services authorize each action again)."""

    login_link: bool  # not logged in: "log in as an officer", back to this code
    residents: bool  # qr.residents, and for department handlers their department's
    unmask: bool  # may ask for the list unmasked (person.unmask, audited as such)
    verify: bool  # may verify or reject a pending registration at the door (qr.verify)
    hazard: bool  # may report a hazard here (event.report; citizens use their portal)


def parts_for(actor: Actor) -> Parts:
    residents = can(actor, "qr.residents")
    if residents:
        try:
            check_department(actor, "qr.residents")
        except AuthorizationError:
            residents = False
    return Parts(
        login_link=not actor.authenticated,
        residents=residents,
        unmask=residents and can(actor, "person.unmask"),
        verify=residents and can(actor, "qr.verify"),
        # A citizen's report belongs in the citizen portal (their channel, their follow-up);
        # hazard_draft files as staff or grid.
        hazard=actor.authenticated and actor.role != "citizen" and can(actor, "event.report"),
    )


def login_href(token: str, lang: str) -> str:
    """The login page, returning to this code afterwards (session.safe_next keeps it local)."""
    back = f"/qr/{token}" + ("?lang=en" if lang == "en" else "")
    return f"/login?next={quote(back, safe='/')}&lang={lang}"


def facts(place: dict[str, Any]) -> list[tuple[str, str]]:
    """(string key, value) lines describing the place: no personal data, as landing gives."""
    lines = [("qr_compound", place.get("compound") or "")]
    if place.get("building_id"):
        lines.append(("qr_building", str(place["building_id"])))
    if place.get("floors"):
        lines.append(("qr_floors", str(place["floors"])))
    if place.get("kind") == "building":
        lines.append(("qr_rented_flats", str(place.get("rented_flats") or 0)))
    lines.append(("qr_area", place.get("area_code") or ""))
    return [(k, v) for k, v in lines if v]


def registration_error(message: str) -> tuple[str, str, str]:
    """A refusal of qr.self_register (BadRegistration) → (field, string key, detail): the
    page marks that field and keeps everything typed."""
    detail = m.group(1) if (m := re.search(r"\(([^()]*)\)\s*$", message)) else ""
    low = message.lower()
    if low.startswith("name"):
        return "name", "qr_err_name", detail
    if low.startswith("id number"):
        return "id_number", "qr_err_id", detail
    if low.startswith("phone"):
        return "phone", "qr_err_phone", detail
    return "room", "qr_err_room", message


def register(
    session: Session, ctx: PrivacyContext, actor: Actor, token: str, form: dict[str, str]
) -> dict[str, Any] | qr.BadRegistration:
    """qr.self_register with the form; a refused registration is returned, not raised."""
    try:
        return qr.self_register(
            session,
            ctx,
            actor,
            token,
            form.get("name", ""),
            form.get("id_number", "").strip(),
            form.get("phone", "").strip() or None,
            form.get("room", "").strip() or None,
        )
    except qr.BadRegistration as exc:
        return exc


def hazard(
    state: HubState, actor: Actor, place: CommunityPlace, description: str, severity: int | None
) -> Draft:
    """The hazard at the code's place as an intake draft (qr.hazard_draft: the intake checks
    the author may report there); the page writes it and attaches the photo."""
    key = f"web-{uuid.uuid4()}"
    return qr.hazard_draft(state, actor, place, description, severity=severity, idempotency_key=key)


def apply_decision(listing: dict[str, Any], rid: int, status: str) -> dict[str, Any]:
    """The residents list after an officer's decision, without reading it again: a verified
    registration counts as registered, a rejected one leaves the list."""
    items = []
    for r in listing["items"]:
        if r["id"] == rid:
            if status == qr.REJECTED:
                continue
            r = {**r, "status": status}
        items.append(r)
    return {
        **listing,
        "items": items,
        "registered": sum(r["status"] == qr.VERIFIED for r in items),
        "pending": sum(r["status"] == qr.PENDING for r in items),
    }
