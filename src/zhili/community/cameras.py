"""S3: objects thrown from height. Given a building, a floor range and a time window, which
cameras saw it and which clips to pull; a thrown-object detection from a camera's own
analytics opens an event (public_order.thrown_object) with that answer in it.

Façade cameras (on poles, looking up at one side of a building) show the window; the
compound's entrance and gate cameras show who came and went. Their clips are padded
differently: a fall takes seconds, but recorder clocks drift and a report's time is rough,
so façade clips get ±2 minutes; the entrances ±30 minutes, the time to come down and leave.
Where a camera is and what it looks at (role, façade side, floors) is the device registry's.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhili.community.models import CommunityPlace
from zhili.db.times import naive_utc
from zhili.devices.models import Device
from zhili.events.intake import Outcome, prepare, write_batch
from zhili.events.runtime import HubState
from zhili.events.schemas import EntityRef, EventIn
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.policy import NotFound, Resource, authorize, check_department

FACADE_PAD = dt.timedelta(minutes=2)
ENTRANCE_PAD = dt.timedelta(minutes=30)
NEAREST_ENTRANCES = 4  # unit-entrance cameras nearest the building (within ENTRANCE_M)
ENTRANCE_M = 150.0
OBLIQUE_M = 80.0  # another building's façade camera this near may see the side at an angle
FLOOR_MARGIN = 2  # a camera's floor estimate is rough: look two floors either way
CATEGORY = "public_order.thrown_object"


@dataclass(frozen=True)
class Clip:
    device_id: str
    role: str
    facing: str | None
    floors: str | None  # "1-17" for façade cameras
    start: dt.datetime
    end: dt.datetime
    why: str  # direct, oblique (another building's), entrance

    def as_dict(self) -> dict:
        d = asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        return d


@dataclass(frozen=True)
class Coverage:
    building_id: str
    label: str
    grid_code: str
    floor_from: int
    floor_to: int
    start: dt.datetime
    end: dt.datetime
    clips: list[Clip]
    gaps: list[str]  # what no camera covers, in words

    def as_dict(self) -> dict:
        return {
            "building_id": self.building_id,
            "label": self.label,
            "floors": [self.floor_from, self.floor_to],
            "window": [self.start.isoformat(), self.end.isoformat()],
            "facade_cameras": sum(c.why == "direct" for c in self.clips),
            "clips": [c.as_dict() for c in self.clips],
            "gaps": self.gaps,
        }


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(dx, math.radians(lat2 - lat1))


def _building(session: Session, building_id: str) -> CommunityPlace:
    b = session.scalar(
        select(CommunityPlace).where(
            CommunityPlace.kind == "building", CommunityPlace.ref == building_id
        )
    )
    if b is None:
        raise NotFound(f"no building {building_id}")
    return b


def coverage(
    session: Session,
    building_id: str,
    floor_from: int,
    floor_to: int,
    start: dt.datetime,
    end: dt.datetime,
) -> Coverage:
    """The cameras that cover the floors of the building, and the clips to pull."""
    if floor_from > floor_to:
        floor_from, floor_to = floor_to, floor_from
    if end < start:
        raise ValueError("the window ends before it starts")
    if end - start > dt.timedelta(days=2):
        raise ValueError("a window of at most two days: narrow it down first")
    b = _building(session, building_id)
    top = b.floors or floor_to
    floor_from, floor_to = max(1, floor_from), min(top, floor_to)
    if floor_from > floor_to:
        raise ValueError(f"{b.label} has floors 1-{top}")
    cams = session.scalars(
        select(Device).where(
            Device.kind == "camera", Device.compound_id == b.compound_id, Device.active
        )
    ).all()

    def sees(c: Device) -> bool:
        lo, hi = c.floor_from or 1, c.floor_to or 0
        return lo <= floor_to and hi >= floor_from

    facade = [c for c in cams if c.role == "facade"]
    direct = [c for c in facade if c.building_id == building_id and sees(c)]
    clips = [_clip(c, start, end, FACADE_PAD, "direct") for c in direct]
    sides = {c.facing for c in direct}
    gaps = []
    if len(sides) < 2:
        missing = {"south", "north"} - sides
        gaps.append(
            f"no façade camera on the {' and '.join(sorted(missing))} side of {b.label} "
            f"for floors {floor_from}-{floor_to}"
        )
        # Neighbours' façade cameras may catch the side at an angle.
        if b.lon is not None and b.lat is not None:
            near = sorted(
                (
                    (_metres(b.lon, b.lat, c.lon, c.lat), c)
                    for c in facade
                    if c.building_id != building_id and c.lon is not None and c.lat is not None
                ),
                key=lambda t: t[0],
            )
            clips += [
                _clip(c, start, end, FACADE_PAD, f"oblique ({d:.0f} m)")
                for d, c in near
                if d <= OBLIQUE_M and c.facing in missing
            ]
    # Who came down and left: the nearest unit entrances, and every gate of the compound.
    entrances = sorted(
        (
            (_metres(b.lon, b.lat, c.lon, c.lat), c)
            for c in cams
            if c.role == "unit_entrance" and None not in (b.lon, b.lat, c.lon, c.lat)
        ),
        key=lambda t: t[0],
    )
    clips += [
        _clip(c, start, end, ENTRANCE_PAD, f"entrance ({d:.0f} m)")
        for d, c in entrances[:NEAREST_ENTRANCES]
        if d <= ENTRANCE_M
    ]
    clips += [_clip(c, start, end, ENTRANCE_PAD, "gate") for c in cams if c.role == "gate"]
    return Coverage(
        building_id, b.label, b.grid_code, floor_from, floor_to, start, end, clips, gaps
    )


def _clip(c: Device, start: dt.datetime, end: dt.datetime, pad: dt.timedelta, why: str) -> Clip:
    floors = f"{c.floor_from}-{c.floor_to}" if c.floor_from is not None else None
    return Clip(c.id, c.role or "", c.facing, floors, start - pad, end + pad, why)


def covering(
    session: Session,
    actor: Actor,
    building_id: str,
    floor_from: int,
    floor_to: int,
    start: dt.datetime,
    end: dt.datetime,
) -> Coverage:
    """`coverage` for a person: authorized on the building's area and the department."""
    b = _building(session, building_id)
    authorize(actor, "camera.coverage", Resource(kind="building", id=b.ref, area=b.grid_code))
    check_department(actor, "camera.coverage")
    return coverage(session, building_id, floor_from, floor_to, start, end)


def camera_actor(camera: Device) -> Actor:
    """A camera's analytics report as a device of its grid (policy: device.report there)."""
    return Actor(
        id=f"device:{camera.id}",
        role="device_gateway",
        scope=camera.area_code,
        display_name=camera.id,
    )


def thrown_object_draft(
    session: Session,
    state: HubState,
    camera_id: str,
    at: dt.datetime,
    floor_estimate: int | None,
    reporter: Actor | None = None,
):  # type: ignore[no-untyped-def]
    """The event a detection opens, with the cameras and clips for back-tracking in it."""
    cam = session.get(Device, camera_id)
    if cam is None or cam.kind != "camera":
        raise NotFound(f"no camera {camera_id}")
    at = naive_utc(at)
    reasons = [f"摄像机 {camera_id} 自带分析检测到高空抛物（{at:%Y-%m-%d %H:%M:%S} UTC）"]
    address = None
    if cam.building_id:
        b = _building(session, cam.building_id)
        address = b.label
        if floor_estimate is not None and b.floors and floor_estimate > b.floors:
            # The analytics' estimate is rough: above the roof means the top floors.
            reasons.append(f"估计楼层 {floor_estimate} 高于楼顶（{b.floors} 层），按顶层回溯")
            floor_estimate = b.floors
        lo = hi = floor_estimate or 1
        if floor_estimate is None:
            lo, hi = 1, b.floors or 1
        cov = coverage(
            session,
            cam.building_id,
            lo - FLOOR_MARGIN,
            hi + FLOOR_MARGIN,
            at - dt.timedelta(seconds=30),
            at + dt.timedelta(seconds=30),
        )
        side = f"{cam.facing} 侧" if cam.facing else ""
        floors = f"约 {floor_estimate} 层" if floor_estimate else "楼层未知"
        reasons.append(f"位置：{b.label} {side}{floors}（回溯 {cov.floor_from}-{cov.floor_to} 层）")
        for c in cov.clips:
            reasons.append(
                f"调取 {c.device_id}（{c.role}{'/' + c.facing if c.facing else ''}，{c.why}）"
                f"{c.start:%H:%M:%S}—{c.end:%H:%M:%S}"
            )
        reasons += [f"盲区：{g}" for g in cov.gaps]
    payload = EventIn(
        category=CATEGORY,
        area_code=cam.area_code,
        lon=cam.lon,
        lat=cam.lat,
        address=address,
        severity=3,
        title=f"{address or camera_id} 高空抛物"
        + (f"（约 {floor_estimate} 层）" if floor_estimate else ""),
        description="\n".join(f"· {r}" for r in reasons),
        reported_at=at,
        external_id=f"{camera_id}@{at:%Y%m%dT%H%M%S}",
        entities=[EntityRef(kind="device", id=camera_id)],
    )
    actor = reporter or camera_actor(cam)
    channel = "device" if actor.role == "device_gateway" else "staff"
    # One detection, one event: the camera's retries carry the same key.
    return prepare(state, actor, payload, channel, f"thrown:{camera_id}:{at:%Y%m%dT%H%M%S}")


def on_thrown_object(
    sessions: sessionmaker[Session],
    state: HubState,
    ctx: PrivacyContext,
    camera_id: str,
    at: dt.datetime,
    floor_estimate: int | None,
) -> Outcome:
    """One detection written alone → its event (merged with the other cameras' detections of
    the same throw: same family, near in space and time). The MQTT ingest writes the same
    draft in its batch (community/channels.py)."""
    with sessions() as session:
        draft = thrown_object_draft(session, state, camera_id, at, floor_estimate)
        [outcome] = write_batch(session, state, ctx, [draft])
        session.commit()
    return outcome
