"""/api/auth: password login for people; tokens expire; repeated failures lock the account."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel
from sqlalchemy.orm import Session

from zhili.api.deps import actor, db, privacy, requires
from zhili.privacy.actors import Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.identity import AuthError, authenticate, issue_token, revoke_token
from zhili.privacy.policy import NotAuthenticated

router = APIRouter(prefix="/api", tags=["auth"])


class Login(BaseModel):
    username: str
    password: str


@router.post("/auth/login")
def login(
    body: Login,
    session: Session = Depends(db),
    ctx: PrivacyContext = Depends(privacy),
    _: Actor = Depends(requires("public", "POST /api/auth/login")),
) -> dict:
    try:
        user = authenticate(session, body.username, body.password, commit=False)
    except AuthError as exc:
        session.commit()  # keep the failure count
        raise NotAuthenticated(str(exc)) from exc
    token = issue_token(session, user)
    who = Actor(id=f"user:{user.id}", role=user.role, department=user.department)
    ctx.audit(session, who, "session.login", resource=f"user:{user.id}")
    session.commit()
    return {"token": token, "token_type": "bearer", "role": user.role, "scope": user.scope}


@router.post("/auth/logout")
def logout(
    authorization: str | None = Header(default=None),
    session: Session = Depends(db),
    current: Actor = Depends(requires("me.read", "POST /api/auth/logout")),
) -> dict:
    if authorization and authorization.lower().startswith("bearer "):
        revoke_token(session, authorization[7:].strip())
        session.commit()
    return {"ok": True}


@router.get("/me")
def me(current: Actor = Depends(requires("me.read", "GET /api/me"))) -> dict:
    from zhili.privacy.policy import allowed_actions

    return {
        "id": current.id,
        "role": current.role,
        "scope": current.scope,
        "department": current.department,
        "display_name": current.display_name,
        "actions": sorted(allowed_actions(current.role)),
    }


__all__ = ["actor", "router"]
