"""/open311/v2: the Open311 GeoReport v2 API for citizen apps (see docs/OPEN311.md).

Services are the public categories of the event tree; a POSTed service request becomes an
event of channel "open311" written by the hub's intake (the API key is its author). The
public GETs show public categories only, with no reporter data, points rounded to about
100 m and the address given at community level. Every answer, errors included, is XML or
JSON as the format suffix asks, in the spec's element names.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.api.deps import db, requires
from zhili.events import lifecycle as L
from zhili.events.categories import _DATA as CATEGORY_DATA
from zhili.events.categories import Category, tree
from zhili.events.intake import Outcome, prepare
from zhili.events.models import Event, EventAction
from zhili.events.runtime import merge_policy
from zhili.events.schemas import EventIn
from zhili.geo import DistrictLayout
from zhili.privacy.actors import Actor
from zhili.privacy.identity import AuthError, resolve_api_key, resolve_token
from zhili.privacy.masking import mask_text
from zhili.privacy.policy import AuthorizationError, NotAuthenticated, can

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
SPEC = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
CHINA = dt.timezone(dt.timedelta(hours=8))  # times are stored as naive UTC, shown local
WINDOW = dt.timedelta(days=90)  # the spec's default and largest span of GET requests
MAX_REQUESTS = 1000  # the spec's default volume of GET requests
COORD_DECIMALS = 3  # ~100 m: a public point does not find a door
MAX_DESCRIPTION = 4000

# Timeline actions whose note says something to the public about the outcome (the others are
# internal: dispatch choices, supervision, return visits to the reporter, ratings, files).
PUBLIC_NOTE_ACTIONS = ("reply", "close", "reject", "transfer", "reopen")

# XML: the element each list's items take (the spec's names).
_ITEM = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


class Open311Error(Exception):
    """An error answered in the Open311 error format with this HTTP status."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status


# ---- output: XML and JSON ---------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _fill(el: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, list):
        child = _ITEM[name]
        for v in value:
            _fill(ET.SubElement(el, child), child, v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _fill(ET.SubElement(el, k), k, v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = _XML_INVALID.sub("", str(value))


def to_xml(root: str, value: Any) -> bytes:
    el = ET.Element(root)
    _fill(el, root, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(el, "unicode").encode()


def render(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    """`value` as `fmt`: JSON as it is, XML under `root` (lists get the spec's item names)."""
    if fmt == "json":
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    else:
        body = to_xml(root, value)
    return Response(body, status_code=status, media_type=FORMATS[fmt])


def _format_of(request: Request) -> str:
    fmt = request.path_params.get("format")
    if fmt is None:  # the catch-all route: guess from the suffix
        fmt = request.url.path.rsplit(".", 1)[-1] if "." in request.url.path else "xml"
    return fmt if fmt in FORMATS else "xml"  # XML is the spec's required format


def error_response(request: Request, status: int, description: str) -> Response:
    return render(
        _format_of(request), "errors", [{"code": status, "description": description}], status
    )


def _as_open311(exc: Exception) -> tuple[int, str]:
    """The Open311 status and description of an exception raised by a route."""
    if isinstance(exc, Open311Error):
        return exc.status, str(exc)
    if isinstance(exc, RequestValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        ]
        return 400, "; ".join(parts) or "invalid request"
    if isinstance(exc, NotAuthenticated | AuthError):
        return 403, str(exc)  # the spec: 403 for a wrong or missing key
    if isinstance(exc, AuthorizationError):
        return exc.status, str(exc)
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    if isinstance(exc, LookupError):
        return 404, str(exc)
    if isinstance(exc, ValueError):
        # The spec answers 400 for anything the request got wrong (our 409 and 422 too).
        status = getattr(exc, "status", 400)
        return (status if status in (403, 404) else 400), str(exc)
    raise exc


class Open311Route(APIRoute):
    """Every error of this router in the Open311 error format, never FastAPI's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                try:
                    status, description = _as_open311(exc)
                except Exception:
                    log.exception("open311 %s %s failed", request.method, request.url.path)
                    status, description = 500, "internal error; please tell us"
                return error_response(request, status, description)

        return route_handler


router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=Open311Route)


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"unknown format {fmt!r}: use .xml or .json")
    return fmt


def _lang(lang: str | None) -> str:
    return "en" if lang and lang.lower().startswith("en") else "zh"


# ---- times ------------------------------------------------------------------------------


def w3(v: dt.datetime | None) -> str | None:
    """Naive UTC → W3C date-time in China time with its offset (2026-05-01T09:30:00+08:00)."""
    if v is None:
        return None
    return v.replace(tzinfo=dt.UTC).astimezone(CHINA).isoformat(timespec="seconds")


def parse_w3(name: str, value: str) -> dt.datetime:
    """A W3C date or date-time → naive UTC. No offset means China time (as we answer)."""
    s = re.sub(r" (\d\d:?\d\d)$", r"+\1", value.strip())  # an unencoded "+" arrives as " "
    try:
        v = dt.datetime.fromisoformat(s)
    except ValueError:
        msg = f"{name} must be a W3C date-time, e.g. 2026-01-01T00:00:00Z"
        raise Open311Error(400, msg) from None
    if v.tzinfo is None:
        v = v.replace(tzinfo=CHINA)
    return v.astimezone(dt.UTC).replace(tzinfo=None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# ---- services ---------------------------------------------------------------------------


def _services() -> dict[str, Category]:
    return {c.code: c for c in tree().public()}


def _crowd_families() -> frozenset[str]:
    # Families whose reports merge into incidents: there a reported crowd can lift the level.
    return merge_policy().families


CROWD_ATTRIBUTE = "crowd_size"


def _attributes(c: Category, lang: str) -> list[dict[str, Any]]:
    if c.family not in _crowd_families():
        return []
    return [
        {
            "variable": True,
            "code": CROWD_ATTRIBUTE,
            "datatype": "number",
            "required": False,
            "datatype_description": "整数 0-1000000" if lang == "zh" else "a whole number",
            "order": 1,
            "description": "现场大约有多少人聚集或受影响？（选填）"
            if lang == "zh"
            else "About how many people are gathered or affected? (optional)",
            "values": [],
        }
    ]


def _service(c: Category, lang: str) -> dict[str, Any]:
    t = tree()
    family = t.families[c.family]
    hours = t.classes[c.deadline_class]
    if lang == "zh":
        description = f"{family.zh} · {c.zh}：受理后按时限 {hours:g} 小时办理"
        group = family.zh
    else:
        description = f"{family.en} · {c.en}: handled within {hours:g} hours of receipt"
        group = family.en
    return {
        "service_code": c.code,
        "service_name": c.name(lang),
        "description": description,
        "metadata": bool(_attributes(c, lang)),
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys([c.zh, c.en, family.zh, family.en])),
        "group": group,
    }


# ---- public view of a request -----------------------------------------------------------


@dataclass
class Areas:
    towns: dict[str, str]
    villages: dict[str, str]

    def community(self, area_code: str) -> tuple[str | None, str | None]:
        """(address, address_id) at community level: the village or community and its town."""
        town = self.towns.get(area_code[:9]) if len(area_code) >= 9 else None
        village = self.villages.get(area_code[:12]) if len(area_code) >= 12 else None
        if village and town:
            return f"{town}{village}", area_code[:12]
        if town:
            return town, area_code[:9]
        return None, None


_AREAS: dict[int, Areas] = {}


def areas_of(layout: DistrictLayout) -> Areas:
    found = _AREAS.get(id(layout))
    if found is None:
        found = _AREAS[id(layout)] = Areas(
            dict(zip(layout.towns["code"].to_list(), layout.towns["name"].to_list(), strict=True)),
            dict(
                zip(
                    layout.villages["code"].to_list(),
                    layout.villages["name"].to_list(),
                    strict=True,
                )
            ),
        )
    return found


def scrub(text: str | None, e: Event | None = None) -> str | None:
    """Public text without ID numbers, phones, e-mail addresses or the reporter's name."""
    return mask_text(text, (e.reporter_name,) if e is not None else ())


def _notice(department: str, hours: float, lang: str) -> str:
    if lang == "zh":
        return f"由{department}办理，时限 {hours:g} 小时"
    return f"Handled by {department} within {hours:g} hours"


def public_request(
    e: Event,
    note: str | None,
    incident: str | None,
    areas: Areas,
    lang: str,
) -> dict[str, Any]:
    """One event as a GeoReport request, with nothing about who reported it."""
    cat = tree().categories.get(e.category)
    closed = e.state in L.CLOSED_STATES
    if e.state == L.DUPLICATE and incident:
        status_notes = (
            f"已并入事件 {incident} 一并处理" if lang == "zh" else f"merged into {incident}"
        )
    else:
        status_notes = scrub(note, e) or L.STATES[e.state][0 if lang == "zh" else 1]
    address, address_id = areas.community(e.area_code)
    return {
        "service_request_id": e.code,
        "status": "closed" if closed else "open",
        "status_notes": status_notes,
        "service_name": cat.name(lang) if cat else e.category,
        "service_code": e.category,
        # Only Open311 reporters wrote for the public; other channels' texts stay inside.
        "description": scrub(e.description, e) if e.channel == "open311" else None,
        "agency_responsible": e.department,
        "service_notice": _notice(e.department, e.deadline_hours, lang),
        "requested_datetime": w3(e.created_at),
        "updated_datetime": w3(e.completed_at if closed and e.completed_at else e.updated_at),
        "expected_datetime": w3(e.due_at),
        "address": address,
        "address_id": address_id,
        "lat": round(e.lat, COORD_DECIMALS) if e.lat is not None else None,
        "long": round(e.lon, COORD_DECIMALS) if e.lon is not None else None,
    }


def _public_requests(
    session: Session, events: list[Event], layout: DistrictLayout, lang: str
) -> list[dict[str, Any]]:
    """Many events at once: their latest public notes and incidents in two queries."""
    ids = [e.id for e in events]
    notes: dict[int, str] = {}
    incidents: dict[int, str] = {}
    if ids:
        for event_id, note in session.execute(
            select(EventAction.event_id, EventAction.note)
            .where(
                EventAction.event_id.in_(ids),
                EventAction.action.in_(PUBLIC_NOTE_ACTIONS),
                EventAction.note != "",
            )
            .order_by(EventAction.id)
        ):
            notes[event_id] = note  # the latest wins
        wanted = {e.incident_id for e in events if e.incident_id is not None}
        if wanted:
            incidents = dict(
                session.execute(select(Event.id, Event.code).where(Event.id.in_(wanted))).all()
            )
    areas = areas_of(layout)
    return [
        public_request(
            e,
            notes.get(e.id),
            incidents.get(e.incident_id) if e.incident_id else None,
            areas,
            lang,
        )
        for e in events
    ]


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


# ---- routes -----------------------------------------------------------------------------


@router.get("/discovery.{format}")
def discovery(
    format: str,
    request: Request,
    _: Actor = Depends(requires("open311.read", f"GET {PREFIX}/discovery.{{format}}")),
) -> Response:
    fmt = _fmt(format)
    mtime = (CATEGORY_DATA / "categories.yaml").stat().st_mtime
    changeset = dt.datetime.fromtimestamp(mtime, CHINA).isoformat(timespec="seconds")
    url = str(request.base_url).rstrip("/") + PREFIX
    return render(
        fmt,
        "discovery",
        {
            "changeset": changeset,
            "contact": "区社会治理综合指挥中心（Zhili 治理平台）/ the district's social governance "
            "command centre, which runs Zhili",
            "key_service": "写入（POST requests）需要 api_key：由安全管理员签发，角色 "
            "open311_client（POST /api/keys）。读取无需 api_key。"
            " / Submitting needs an api_key issued by the security administrator "
            "(role open311_client); reading needs none.",
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": url,
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@router.get("/services.{format}")
def services(
    format: str,
    lang: str | None = None,
    _: Actor = Depends(requires("open311.read", f"GET {PREFIX}/services.{{format}}")),
) -> Response:
    fmt, lg = _fmt(format), _lang(lang)
    return render(fmt, "services", [_service(c, lg) for c in _services().values()])


@router.get("/services/{service_code}.{format}")
def service_definition(
    service_code: str,
    format: str,
    lang: str | None = None,
    _: Actor = Depends(
        requires("open311.read", f"GET {PREFIX}/services/{{service_code}}.{{format}}")
    ),
) -> Response:
    fmt, lg = _fmt(format), _lang(lang)
    c = _services().get(service_code)
    if c is None:
        raise Open311Error(404, f"service_code {service_code!r} not found")
    return render(
        fmt, "service_definition", {"service_code": c.code, "attributes": _attributes(c, lg)}
    )


def _public_events() -> Select[tuple[Event]]:
    return select(Event).where(Event.category.in_(list(_services())))


@router.get("/requests.{format}")
def requests_list(
    format: str,
    request: Request,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    lang: str | None = None,
    session: Session = Depends(db),
    _: Actor = Depends(requires("open311.read", f"GET {PREFIX}/requests.{{format}}")),
) -> Response:
    """Newest first; 90 days (ending now, or at end_date, or from start_date) and at most
    1000 requests. service_request_id (comma list) overrides every other filter."""
    fmt, lg = _fmt(format), _lang(lang)
    q = _public_events()
    ids = _csv(service_request_id)
    if ids:
        q = q.where(Event.code.in_(ids[:MAX_REQUESTS]))
    else:
        start = parse_w3("start_date", start_date) if start_date else None
        end = parse_w3("end_date", end_date) if end_date else None
        if start is None and end is None:
            end = _now()
        if start is None:
            start = (end or _now()) - WINDOW
        if end is None:
            end = start + WINDOW
        if end < start:
            raise Open311Error(400, "end_date lies before start_date")
        if end - start > WINDOW:
            raise Open311Error(400, "start_date to end_date may not span more than 90 days")
        q = q.where(Event.created_at >= start, Event.created_at <= end)
        codes = _csv(service_code)
        if codes:
            q = q.where(Event.category.in_(codes))
        wanted = {s.lower() for s in _csv(status)}
        if wanted - {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed (comma separated)")
        if wanted == {"open"}:
            q = q.where(Event.state.in_(L.OPEN_STATES))
        elif wanted == {"closed"}:
            q = q.where(Event.state.in_(L.CLOSED_STATES))
    rows = list(
        session.scalars(q.order_by(Event.created_at.desc(), Event.id.desc()).limit(MAX_REQUESTS))
    )
    layout = request.app.state.events.state.layout
    return render(fmt, "service_requests", _public_requests(session, rows, layout, lg))


@router.get("/requests/{service_request_id}.{format}")
def request_one(
    service_request_id: str,
    format: str,
    request: Request,
    lang: str | None = None,
    session: Session = Depends(db),
    _: Actor = Depends(
        requires("open311.read", f"GET {PREFIX}/requests/{{service_request_id}}.{{format}}")
    ),
) -> Response:
    fmt, lg = _fmt(format), _lang(lang)
    e = session.scalar(_public_events().where(Event.code == service_request_id))
    if e is None:
        raise Open311Error(404, f"service_request_id {service_request_id!r} not found")
    layout = request.app.state.events.state.layout
    return render(fmt, "service_requests", _public_requests(session, [e], layout, lg))


@router.get("/tokens/{token}.{format}")
def token_lookup(
    token: str,
    format: str,
    session: Session = Depends(db),
    _: Actor = Depends(requires("open311.read", f"GET {PREFIX}/tokens/{{token}}.{{format}}")),
) -> Response:
    fmt = _fmt(format)
    code = session.scalar(
        _public_events().with_only_columns(Event.code).where(Event.token == token)
    )
    if code is None:
        raise Open311Error(404, f"token {token!r} not found")
    return render(fmt, "service_requests", [{"service_request_id": code, "token": token}])


# ---- POST a service request -------------------------------------------------------------

_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](?:\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class Submitter:
    key: Actor  # the app's API key: the author of the report
    person_id: str | None  # the citizen the app acts for, from their bearer token


def _submitter(session: Session, api_key: str | None, authorization: str | None) -> Submitter:
    if not api_key:
        raise Open311Error(403, "api_key was not provided")
    try:
        k = resolve_api_key(session, api_key)
    except AuthError as exc:
        raise Open311Error(403, f"invalid api_key: {exc}") from exc
    key = Actor(
        id=f"key:{k.id}",
        role=k.role,
        scope=k.scope or "",
        department=k.department,
        display_name=k.name,
    )
    if not can(key, "open311.submit"):
        raise Open311Error(403, "this api_key may not submit service requests")
    person = None
    if authorization and authorization.lower().startswith("bearer "):
        try:
            user = resolve_token(session, authorization[7:].strip())
        except AuthError as exc:
            raise Open311Error(403, f"invalid bearer token: {exc}") from exc
        if user.role == "citizen":
            person = user.person_id  # the report becomes the citizen's own
    return Submitter(key, person)


def _float(fields: dict[str, str], name: str) -> float | None:
    raw = fields.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number (WGS-84 degrees), not {raw!r}") from None


def _reporter_name(first: str, last: str) -> str | None:
    first, last = first.strip(), last.strip()
    # Chinese order: family name first, no space.
    name = last + first if _CJK.search(first + last) else f"{first} {last}".strip()
    if len(name) > 64:
        raise Open311Error(400, "first_name and last_name may have at most 64 characters")
    return name or None


def _event_in(fields: dict[str, str], attributes: dict[str, list[str]]) -> EventIn:
    """The form of a POST as the hub's one input shape (errors in Open311 terms)."""
    code = fields.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    c = _services().get(code)
    if c is None:
        raise Open311Error(404, f"service_code {code!r} not found")
    lat, lon = _float(fields, "lat"), _float(fields, "long")
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat and long must be sent together")
    if lat is not None and lon is not None and not (3 <= lat <= 54 and 73 <= lon <= 135):
        raise Open311Error(400, f"lat {lat}, long {lon} lies outside the district")
    address_id = fields.get("address_id", "").strip() or None
    if address_id is not None and not re.fullmatch(r"\d{6}(\d{3}){0,3}", address_id):
        raise Open311Error(400, "address_id must be one of our area codes (6, 9, 12 or 15 digits)")
    address = fields.get("address_string", "").strip() or None
    if lat is None and address_id is None:
        if address:
            raise Open311Error(
                400,
                "address_string alone cannot be located here: send lat and long, or an "
                "address_id (an area code)",
            )
        raise Open311Error(400, "a location is required: lat and long, or address_id")
    description = fields.get("description", "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, "description may have at most 4,000 characters")
    if address and len(address) > 255:
        raise Open311Error(400, "address_string may have at most 255 characters")
    crowd = None
    for name, values in attributes.items():
        if name != CROWD_ATTRIBUTE or not _attributes(c, "en"):
            raise Open311Error(400, f"service {code} has no attribute {name!r}")
        raw = values[-1].strip() if values else ""
        if raw:
            if not raw.isdigit() or int(raw) > 1_000_000:
                raise Open311Error(400, f"attribute[{name}] must be a whole number 0-1000000")
            crowd = int(raw)
    contact = ", ".join(
        v for v in (fields.get("phone", "").strip(), fields.get("email", "").strip()) if v
    )
    if len(contact) > 128:
        raise Open311Error(400, "phone and email may have at most 128 characters together")
    return EventIn(
        category=c.code,
        description=description,
        lon=lon,
        lat=lat,
        area_code=address_id,
        address=address,
        crowd_size=crowd,
        reporter_name=_reporter_name(fields.get("first_name", ""), fields.get("last_name", "")),
        reporter_contact=contact or None,
    )


async def _fields(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Form fields (query parameters too; the form wins) and the attribute[...] values."""
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    form = await request.form()
    for source in (request.query_params.multi_items(), form.multi_items()):
        for k, v in source:
            if not isinstance(v, str):
                continue  # files are not part of GeoReport v2
            m = _ATTRIBUTE.match(k)
            if m:
                attributes.setdefault(m.group(1), []).append(v)
            else:
                fields[k] = v
    return fields, attributes


@dataclass
class Submission:
    fields: dict[str, str]
    attributes: dict[str, list[str]]
    submitter: Submitter


def submits(route: str) -> Callable[[Request], Coroutine[Any, Any, Submission]]:
    """Declare a POST route's action (open311.submit, for the authorization matrix) and check
    the API key, which Open311 sends as the form field api_key (X-API-Key works too)."""
    requires("open311.submit", route)  # registers the route; its header-only check is not used

    async def check(request: Request) -> Submission:
        fields, attributes = await _fields(request)
        api_key = fields.get("api_key") or request.headers.get("x-api-key")
        authorization = request.headers.get("authorization")

        def who() -> Submitter:
            with request.app.state.sessions() as session:
                return _submitter(session, api_key, authorization)

        return Submission(fields, attributes, await run_in_threadpool(who))

    return check


def _post_notice(o: Outcome, lang: str) -> str:
    if o.incident_code:
        if lang == "zh":
            return f"已并入事件 {o.incident_code} 一并处理"
        return f"merged into {o.incident_code}, handled together"
    due = o.due_at.replace(tzinfo=dt.UTC).astimezone(CHINA) if o.due_at else None
    if lang == "zh":
        return f"已受理，由{o.department}办理" + (
            f"，预计 {due:%Y-%m-%d %H:%M} 前办结" if due else ""
        )
    return f"Received; {o.department} handles it" + (f" by {due:%Y-%m-%d %H:%M}" if due else "")


@router.post("/requests.{format}")
async def create_request(
    format: str,
    request: Request,
    sub: Submission = Depends(submits(f"POST {PREFIX}/requests.{{format}}")),
) -> Response:
    """Create a service request, form-encoded as the spec says. The API key is the author;
    with a citizen's bearer token as well, the report is that citizen's own."""
    fmt = _fmt(format)
    payload = _event_in(sub.fields, sub.attributes)
    hub = request.app.state.events
    draft = prepare(
        hub.state, sub.submitter.key, payload, "open311", request.headers.get("idempotency-key")
    )
    if sub.submitter.person_id:
        draft.reporter_person = sub.submitter.person_id
    outcome = await hub.writer.write(draft)
    return render(
        fmt,
        "service_requests",
        [
            {
                "service_request_id": outcome.code,
                "token": outcome.token,
                "service_notice": _post_notice(outcome, _lang(sub.fields.get("lang"))),
                "account_id": sub.fields.get("account_id", "").strip() or None,
            }
        ],
        201 if outcome.created else 200,
    )


# Anything else under the prefix answers in the Open311 format too; without this, other paths
# and methods would reach FastAPI's or the web UI's own error pages. It reads nothing and only
# ever answers 404 or 405, so it is a plain route, not an API route of the authorization
# matrix. Added last: routes match in order.
async def _unknown(request: Request) -> Response:
    if request.method not in ("GET", "HEAD", "POST"):
        return error_response(
            request, 405, f"GeoReport v2 takes GET and POST only, not {request.method}"
        )
    return error_response(
        request, 404, f"no resource {request.url.path}; see {PREFIX}/discovery.xml"
    )


router.add_route(
    f"{PREFIX}/{{path:path}}",  # add_route takes no prefix
    _unknown,
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
