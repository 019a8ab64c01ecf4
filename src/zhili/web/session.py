"""Login for the pages: the API's own password login and bearer tokens, carried in an
HttpOnly cookie. Every page and every action on a page resolves the actor from that token and
goes through the one authorization path (privacy.policy.authorize), like the API routes do.

POST /web/login (form: username, password, next) sets the cookie and redirects;
POST /web/logout revokes the token and clears the cookie."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhili.privacy.actors import ANONYMOUS, Actor
from zhili.privacy.context import PrivacyContext
from zhili.privacy.identity import AuthError, authenticate, issue_token, resolve_token, revoke_token
from zhili.privacy.models import User
from zhili.privacy.policy import can

COOKIE = "zhili_session"
router = APIRouter(prefix="/web", include_in_schema=False)


def actor_of(user: User) -> Actor:
    """The same actor the API's bearer-token dependency makes (api/deps.py)."""
    return Actor(
        id=f"user:{user.id}",
        role=user.role,
        scope=user.scope or "",
        department=user.department,
        person_id=user.person_id,
        display_name=user.display_name,
    )


def actor_for_token(session: Session, token: str | None) -> Actor:
    """The actor behind a live token, or anonymous (unknown, expired, revoked, inactive)."""
    if not token:
        return ANONYMOUS
    try:
        return actor_of(resolve_token(session, token))
    except AuthError:
        return ANONYMOUS


def login(session: Session, ctx: PrivacyContext, username: str, password: str) -> tuple[str, User]:
    """Password login exactly as POST /api/auth/login does it: failures counted, the login
    audited. Raises AuthError."""
    try:
        user = authenticate(session, username, password, commit=False)
    except AuthError:
        session.commit()  # keep the failure count
        raise
    token = issue_token(session, user)
    ctx.audit(session, actor_of(user), "session.login", resource=f"user:{user.id}")
    session.commit()
    return token, user


def safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def home_of(actor: Actor) -> str:
    """The first page a role lands on."""
    for action, path in (
        ("event.dispatch", "/screen"),
        ("worker.position", "/mobile"),
        ("event.read_own", "/citizen"),
        ("audit.read", "/audit"),
        ("event.handle", "/workbench"),
        ("event.stats", "/kpi"),
    ):
        if can(actor, action):
            return path
    return "/"


@router.post("/login")
def web_login(
    request: Request,
    username: str = Form(default=""),
    password: str = Form(default=""),
    next: str = Form(default=""),
    lang: str = Form(default="zh"),
) -> RedirectResponse:
    web = request.app.state.web
    with web.sessions() as session:
        try:
            token, user = login(session, web.privacy, username, password)
        except AuthError:
            back = f"/login?error=1&lang={quote(lang)}&next={quote(safe_next(next))}"
            return RedirectResponse(back, status_code=303)
        target = next if next and next != "/" else home_of(actor_of(user))
    sep = "&" if "?" in target else "?"
    response = RedirectResponse(
        safe_next(target) + (f"{sep}lang=en" if lang == "en" else ""), status_code=303
    )
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        max_age=8 * 3600,
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def web_logout(request: Request) -> RedirectResponse:
    token = request.cookies.get(COOKIE)
    if token:
        with request.app.state.web.sessions() as session:
            revoke_token(session, token)
            session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
