"""Login, logout and who-am-I. Every login and failed login goes to the audit log."""

from __future__ import annotations

import functools
import secrets

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from gaitway.clinic.models import User
from gaitway.clinic.security import hash_password, verify_password
from gaitway.web.auth import COOKIE_NAME, WebUser
from gaitway.web.deps import CsrfSession, Ctx, CurrentSession
from gaitway.web.pages import HOME, nav_for

router = APIRouter(prefix="/api", tags=["auth"])


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username does not exist, so both cases take as long."""
    return hash_password(secrets.token_urlsafe(16))


class LoginIn(BaseModel):
    model_config = ConfigDict(strict=True)

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class NavOut(BaseModel):
    route: str
    title: str


class MeOut(BaseModel):
    """Who is logged in, their CSRF token, and the pages their role may use (the only ones
    the navigation offers); ``home`` is where the console starts for them."""

    username: str
    role: str
    csrf: str
    patient_id: int | None
    home: str
    pages: list[NavOut]


def _me(user: WebUser, csrf: str) -> MeOut:
    return MeOut(username=user.username, role=user.role, csrf=csrf, patient_id=user.patient_id,
                 home=HOME.get(user.role, "/login"),
                 pages=[NavOut(route=r, title=t) for r, t in nav_for(user.role)])


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", response_model=MeOut, responses={401: {}, 429: {}})
def login(body: LoginIn, request: Request, response: Response, ctx: Ctx) -> MeOut:
    """Log in with username and password; sets the session cookie. After failed logins from
    one address for one username, that pair waits longer and longer (429 with Retry-After)."""
    client = _client(request)
    wait = ctx.limiter.retry_after(client, body.username)
    if wait > 0:
        ctx.audit(f"web:{body.username}", "login.rate_limited", "user", None, client=client,
                  retry_after_s=round(wait, 1))
        raise HTTPException(429, f"too many failed logins; try again in {int(wait) + 1} s",
                            headers={"Retry-After": str(int(wait) + 1)})
    with ctx.store.reader() as db:
        user = db.scalar(select(User).where(User.username == body.username))
    ok = verify_password(user.password_hash if user else _dummy_hash(), body.password)
    if user is None or not ok or not user.active:
        delay = ctx.limiter.failed(client, body.username)
        ctx.audit(f"web:{body.username}", "login.failed", "user",
                  user.id if user else None, client=client, next_delay_s=delay)
        raise HTTPException(401, "wrong username or password")
    ctx.limiter.succeeded(client, body.username)
    web_user = WebUser(user.id, user.username, user.role, user.patient_id, user.station_id)
    cookie, sess = ctx.sessions.create(web_user)
    response.set_cookie(COOKIE_NAME, cookie, max_age=int(ctx.sessions.max_age_s),
                        httponly=True, secure=ctx.settings.cookie_secure, samesite="strict",
                        path="/")
    ctx.audit(f"web:{user.username}", "login", "user", user.id, client=client)
    return _me(web_user, sess.csrf)


@router.post("/logout", status_code=204, responses={401: {}, 403: {}})
def logout(request: Request, response: Response, sess: CsrfSession, ctx: Ctx) -> None:
    """End the session on the server and clear the cookie."""
    ctx.sessions.end(request.cookies.get(COOKIE_NAME))
    response.delete_cookie(COOKIE_NAME, path="/")
    ctx.audit(f"web:{sess.user.username}", "logout", "user", sess.user.id)


@router.get("/me", response_model=MeOut, responses={401: {}})
def me(sess: CurrentSession) -> MeOut:
    """Who is logged in, and the CSRF token the pages send with every change."""
    return _me(sess.user, sess.csrf)
