"""Residents as staff see them: lists inside the actor's area, profiles for a stated purpose,
always masked unless unmasking is allowed and asked for, every read audited."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.hub.models import Resident
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.masking import mask_record
from zhili.privacy.policy import NotFound, Resource, authorize, can
from zhili.privacy.purpose import Purpose
from zhili.privacy.scope import scope_condition


@dataclass(frozen=True)
class ResidentView:
    person_id: str
    name: str
    id_number: str
    sex: str
    birth_year: int
    phone: str | None
    address: str | None
    grid_code: str
    migrant: bool
    elderly_alone: bool
    masked: bool


def _view(row: Resident, masked: bool) -> ResidentView:
    record = {
        "person_id": row.person_id,
        "name": row.name,
        "id_number": row.id_number,
        "sex": row.sex,
        "birth_year": row.birth_date.year,
        "phone": row.phone,
        "address": row.address,
        "grid_code": row.grid_code,
        "migrant": row.migrant,
        "elderly_alone": row.elderly_alone,
        "masked": masked,
    }
    return ResidentView(**(mask_record(record) if masked else record))


def list_residents(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    area: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[ResidentView]]:
    """Residents within the actor's scope (and within `area` if given), masked."""
    authorize(actor, "person.list")
    query = select(Resident).where(scope_condition(actor, Resident.grid_code))
    if area:
        query = query.where(Resident.grid_code.startswith(area, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Resident.person_id).limit(limit).offset(offset)).all()
    ctx.audit(
        session,
        actor,
        "person.list",
        resource=f"residents?area={area or actor.scope}",
        subjects=[r.person_id for r in rows],
        result_count=len(rows),
    )
    session.commit()
    return total, [_view(r, masked=True) for r in rows]


def get_resident(
    session: Session,
    ctx: PrivacyContext,
    actor: Actor,
    person_id: str,
    purpose: Purpose | None,
    unmask: bool = False,
) -> ResidentView:
    """One resident's profile. Staff state a purpose; a citizen may read their own."""
    row = session.get(Resident, person_id)
    if row is None:
        raise NotFound(f"no person {person_id}")
    resource = Resource(kind="person", id=person_id, area=row.grid_code, owner_person=person_id)
    own = can(actor, "person.read_self")
    action = "person.read_self" if own else "person.unmask" if unmask else "person.read"
    authorize(actor, action, resource, purpose if not own else None)
    if unmask and not own:
        authorize(actor, "person.read", resource, purpose)
    ctx.audit(
        session,
        actor,
        action,
        resource=f"person:{person_id}",
        subjects=[person_id],
        purpose=purpose if not own else None,
        result_count=1,
    )
    session.commit()
    return _view(row, masked=not (own or unmask))


def as_dict(view: ResidentView) -> dict:
    return asdict(view)
