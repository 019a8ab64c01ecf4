"""/api/users and /api/keys: the system administrator creates accounts, the security
administrator grants roles, unlocks and issues system keys (separated duties)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.api.deps import db, privacy, requires
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.identity import create_user, issue_api_key, set_role, unlock
from zhili.privacy.models import User
from zhili.privacy.policy import NotFound

router = APIRouter(prefix="/api", tags=["users"])


class NewUser(BaseModel):
    username: str
    password: str
    display_name: str | None = None


class RoleGrant(BaseModel):
    role: str
    scope: str = ""
    department: str | None = None


class NewKey(BaseModel):
    name: str
    role: str
    scope: str = ""
    department: str | None = None


def _account(u: User) -> dict:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "scope": u.scope,
        "department": u.department,
        "active": u.active,
        "locked_until": u.locked_until,
    }


@router.get("/users")
def users(
    session: Session = Depends(db),
    _: Actor = Depends(requires("user.list", "GET /api/users")),
) -> dict:
    return {"items": [_account(u) for u in session.scalars(select(User).order_by(User.id))]}


@router.post("/users", status_code=201)
def new_user(
    body: NewUser,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("user.create", "POST /api/users")),
) -> dict:
    # A new account has no role until the security administrator grants one.
    user = create_user(
        session,
        body.username,
        body.password,
        role="citizen",
        scope="",
        display_name=body.display_name,
    )
    user.active = False
    ctx.audit(session, current, "user.create", resource=f"user:{user.id}")
    session.commit()
    return _account(user)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


@router.post("/users/{user_id}/role")
def grant_role(
    user_id: int,
    body: RoleGrant,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("user.assign_role", "POST /api/users/{user_id}/role")),
) -> dict:
    user = _user(session, user_id)
    set_role(session, user, body.role, body.scope, body.department)
    user.active = True
    ctx.audit(
        session, current, "user.assign_role", resource=f"user:{user.id}:{body.role}:{body.scope}"
    )
    session.commit()
    return _account(user)


@router.post("/users/{user_id}/unlock")
def unlock_user(
    user_id: int,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("user.unlock", "POST /api/users/{user_id}/unlock")),
) -> dict:
    user = _user(session, user_id)
    unlock(session, user)
    ctx.audit(session, current, "user.unlock", resource=f"user:{user.id}")
    session.commit()
    return _account(user)


@router.post("/keys", status_code=201)
def new_key(
    body: NewKey,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    current: Actor = Depends(requires("apikey.issue", "POST /api/keys")),
) -> dict:
    key = issue_api_key(session, body.name, body.role, body.scope, body.department)
    ctx.audit(session, current, "apikey.issue", resource=f"key:{body.name}:{body.role}")
    session.commit()
    return {"name": body.name, "key": key, "note": "shown once; only its hash is stored"}
