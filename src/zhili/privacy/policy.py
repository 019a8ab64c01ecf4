"""The one authorization path: `authorize(actor, action, resource)`.

The policy is data (ROLE_RULES): for each role, the actions it may take and how far:
  "any"   anywhere (aggregates, its own admin duties)
  "area"  only resources inside its area scope (a code prefix)
  "own"   only resources about the actor's own person (a citizen's own data)
An action outside the rules is 403; a resource outside the actor's area or person is 404,
the same answer as for an id that does not exist, so ids cannot be probed. Lists apply the
same rule inside their queries (see scope.py). Actions on personal data beyond one's own
tasks also need a stated purpose (purpose.py).

The three administrators are separated (MLPS 2.0 三员分立): the system administrator runs
the system, the security administrator grants roles and keys, the auditor reads the audit
log; none reads personal data and none can do another's work.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhili.privacy.actors import Actor
from zhili.privacy.purpose import Purpose

ANY, AREA, OWN = "any", "area", "own"

# Actions on personal data that need a stated purpose and legal basis.
PURPOSE_REQUIRED = frozenset({"person.read", "person.search", "person.unmask"})

_STAFF_READ = {"district.read": ANY, "person.list": AREA, "person.read": AREA}
ROLE_RULES: dict[str, dict[str, str]] = {
    "anonymous": {"district.read": ANY},
    "district_commander": {**_STAFF_READ, "person.search": AREA, "person.unmask": AREA},
    "town_officer": {**_STAFF_READ, "person.search": AREA, "person.unmask": AREA},
    "village_officer": {**_STAFF_READ, "person.search": AREA},
    "grid_worker": {**_STAFF_READ, "person.unmask": AREA},
    "part_time_grid_worker": {"district.read": ANY, "person.list": AREA},
    "department_handler": {**_STAFF_READ, "person.search": AREA, "person.unmask": AREA},
    "mediator": {"district.read": ANY, "person.read": AREA},
    "analyst": {"district.read": ANY, "stats.read": ANY},
    "system_admin": {
        "district.read": ANY,
        "user.create": ANY,
        "user.deactivate": ANY,
        "system.configure": ANY,
        "retention.run": ANY,
    },
    "security_admin": {
        "district.read": ANY,
        "user.assign_role": ANY,
        "user.unlock": ANY,
        "apikey.issue": ANY,
        "user.list": ANY,
    },
    "auditor": {"district.read": ANY, "audit.read": ANY, "audit.verify": ANY},
    "citizen": {"district.read": ANY, "person.read_self": OWN, "audit.mine": OWN},
    # Systems with API keys (department push, device gateways, Open311 clients).
    "department_system": {"event.push": AREA},
    "device_gateway": {"device.report": AREA},
    "open311_client": {"open311.submit": ANY},
    # The server's console: maintenance without personal data.
    "operator": {
        "db.upgrade": ANY,
        "user.create": ANY,
        "audit.verify": ANY,
        "audit.checkpoint": ANY,
        "retention.run": ANY,
        "hub.load": ANY,
    },
}

# The event hub (events/service.py maps each lifecycle action to one of these).
_EV_READ = {"event.read": AREA, "event.list": AREA, "event.stats": ANY, "routing.read": ANY}
_EV_REPORT = {"event.report": AREA, "event.escalate": AREA}
_EV_HANDLE = {"event.handle": AREA, "event.transfer": AREA}
_EV_DISPATCH = {"event.dispatch": AREA, "event.transfer": AREA, "event.escalate": AREA}
_EV_SUPERVISE = {"event.supervise": AREA, "event.return_visit": AREA, "event.reopen": AREA}
_EVENT_RULES: dict[str, dict[str, str]] = {
    "district_commander": {
        **_EV_READ,
        **_EV_REPORT,
        **_EV_HANDLE,
        **_EV_DISPATCH,
        **_EV_SUPERVISE,
        "routing.edit": ANY,
    },
    "town_officer": {**_EV_READ, **_EV_REPORT, **_EV_HANDLE, **_EV_DISPATCH, **_EV_SUPERVISE},
    "village_officer": {**_EV_READ, **_EV_REPORT, **_EV_HANDLE, **_EV_DISPATCH, **_EV_SUPERVISE},
    "grid_worker": {**_EV_READ, **_EV_REPORT, **_EV_HANDLE, "worker.position": ANY},
    "part_time_grid_worker": {
        "event.read": AREA,
        "event.list": AREA,
        **_EV_REPORT,
        "worker.position": ANY,
    },
    "department_handler": {
        **_EV_READ,
        **_EV_REPORT,
        **_EV_HANDLE,
        "event.return_visit": AREA,
    },
    "mediator": {**_EV_READ, **_EV_HANDLE},
    "analyst": {"event.stats": ANY, "routing.read": ANY},
    "citizen": {
        "event.report": ANY,
        "event.read_own": OWN,
        "event.rate": OWN,
        "event.reopen_own": OWN,
    },
    "department_system": {"event.read": AREA},
    "device_gateway": {"event.read": AREA},
    "open311_client": {"open311.read": ANY},
    "anonymous": {"open311.read": ANY},
    # Detectors of the modules raise warnings as the system itself (events/detectors.py).
    "detector": {"event.raise": ANY},
}
for _role, _rules in _EVENT_RULES.items():
    ROLE_RULES.setdefault(_role, {}).update(_rules)
# Devices (devices/, docs/DEVICES.md): the registry in one's area, the ingest's counters, and
# the worker's verdict that a fire alarm was false (on events in their area).
_DEVICE_STAFF = {"device.list": AREA, "device.stats": ANY, "device.false_alarm": AREA}
_DEVICE_RULES: dict[str, dict[str, str]] = {
    "district_commander": _DEVICE_STAFF,
    "town_officer": _DEVICE_STAFF,
    "village_officer": _DEVICE_STAFF,
    "grid_worker": {"device.list": AREA, "device.false_alarm": AREA},
    "department_handler": {"device.list": AREA, "device.false_alarm": AREA},
    "analyst": {"device.stats": ANY},
    "system_admin": {"device.stats": ANY},
}
for _role, _rules in _DEVICE_RULES.items():
    ROLE_RULES[_role].update(_rules)
# Open311's public list holds no personal data: anyone may read it, logged in or not.
for _rules in ROLE_RULES.values():
    _rules["open311.read"] = ANY

# Every person who logs in may see their own account.
for _role in ROLE_RULES:
    if _role not in (
        "anonymous",
        "department_system",
        "device_gateway",
        "open311_client",
        "detector",
    ):
        ROLE_RULES[_role]["me.read"] = ANY

# The smart community (community/, docs/COMMUNITY.md). Who is registered at a QR code, the
# registration queue and its verification: the area's officers, and the handlers of the
# departments that keep the rental register (DEPARTMENT_ACTIONS below). Printing the codes:
# also the grid worker who sticks them on the doors. Cameras for back-tracking a thrown
# object: officers and police handlers. Self-registration and the code's landing page are
# public routes (the code on the door is the capability).
_QR_OFFICER = {
    "qr.residents": AREA,
    "qr.list": AREA,
    "qr.verify": AREA,
    "qr.print": AREA,
    "camera.coverage": AREA,
}
_COMMUNITY_RULES: dict[str, dict[str, str]] = {
    "district_commander": _QR_OFFICER,
    "town_officer": _QR_OFFICER,
    "village_officer": _QR_OFFICER,
    "department_handler": _QR_OFFICER,
    "grid_worker": {"qr.print": AREA},
}
for _role, _rules in _COMMUNITY_RULES.items():
    ROLE_RULES[_role].update(_rules)
# Seeing who lives at a door is a read of persons: it needs a stated purpose.
PURPOSE_REQUIRED = PURPOSE_REQUIRED | {"qr.residents"}
# A department handler may take these actions only for the departments named: the floating
# population's residence registration is the police's (公安), lease registration housing's
# (住建); a thrown object is the police's to investigate (Civil Code Art. 1254).
DEPARTMENT_ACTIONS: dict[str, frozenset[str]] = {
    "qr.residents": frozenset({"police", "housing"}),
    "qr.list": frozenset({"police", "housing"}),
    "qr.verify": frozenset({"police", "housing"}),
    "camera.coverage": frozenset({"police"}),
}


def check_department(actor: Actor, action: str) -> None:
    """For department handlers: the action must belong to their department (403 if not)."""
    allowed = DEPARTMENT_ACTIONS.get(action)
    if actor.role == "department_handler" and allowed and actor.department not in allowed:
        raise Forbidden(f"{action} is for the departments {', '.join(sorted(allowed))}")


@dataclass(frozen=True)
class Resource:
    kind: str
    id: str | None = None
    area: str | None = None  # the area code the resource lies in (grid, village, ...)
    owner_person: str | None = None  # the person the resource is about, if any


class AuthorizationError(Exception):
    status = 403


class NotAuthenticated(AuthorizationError):
    status = 401


class Forbidden(AuthorizationError):
    status = 403


class NotFound(AuthorizationError):
    status = 404


class PurposeRequired(AuthorizationError):
    status = 428


def allowed_actions(role: str) -> dict[str, str]:
    return ROLE_RULES.get(role, {})


def can(actor: Actor, action: str) -> bool:
    """Whether the role may take the action at all (before looking at any resource)."""
    return action in allowed_actions(actor.role)


def in_scope(actor: Actor, area: str | None) -> bool:
    return bool(actor.scope) and area is not None and area.startswith(actor.scope)


def authorize(
    actor: Actor, action: str, resource: Resource | None = None, purpose: Purpose | None = None
) -> str:
    """Allow the act or raise. Returns the rule applied ("any", "area" or "own")."""
    rule = allowed_actions(actor.role).get(action)
    if rule is None:
        if not actor.authenticated:
            raise NotAuthenticated(f"log in to {action}")
        raise Forbidden(f"role {actor.role} may not {action}")
    if resource is not None:
        if rule == AREA and not in_scope(actor, resource.area):
            raise NotFound(f"no {resource.kind} {resource.id or ''}".strip())
        if rule == OWN and (actor.person_id is None or resource.owner_person != actor.person_id):
            raise NotFound(f"no {resource.kind} {resource.id or ''}".strip())
    if action in PURPOSE_REQUIRED and purpose is None:
        raise PurposeRequired(
            f"{action} needs a stated purpose: a legal basis and a case or event id"
        )
    return rule
