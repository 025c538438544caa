"""Request dependencies: the logged-in user, CSRF checks, role and station authorisation.

The account behind a session is read again on every request and stream check: a disabled or
deleted account's sessions end at once, and a changed role or assignment counts at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from gaitway.clinic import audit
from gaitway.clinic.models import User
from gaitway.clinic.store import ClinicStore
from gaitway.web.auth import (
    COOKIE_NAME,
    CSRF_HEADER,
    LoginLimiter,
    SessionStore,
    WebSession,
    WebUser,
    csrf_ok,
)
from gaitway.web.config import WebSettings
from gaitway.web.host import StationHost
from gaitway.web.service import LiveService


@dataclass
class AppContext:
    """What every request handler may use (one per app, on ``app.state.ctx``)."""

    settings: WebSettings
    store: ClinicStore
    live: LiveService
    sessions: SessionStore
    limiter: LoginLimiter

    def audit(self, actor: str, action: str, entity: str, entity_id: object = None,
              **details: Any) -> None:
        with self.store.transaction() as db:
            audit.record(db, actor=actor, action=action, entity=entity, entity_id=entity_id,
                         **details)

    def session(self, cookie: str | None) -> WebSession | None:
        """The session of this cookie if its account still exists and is active (then with
        the account's current role and assignments); otherwise every session of the account
        ends here, audited, and the answer is None."""
        sess = self.sessions.get(cookie)
        if sess is None:
            return None
        with self.store.reader() as db:
            row = db.get(User, sess.user.id)
            fresh = None if row is None or not row.active else WebUser(
                row.id, row.username, row.role, row.patient_id, row.station_id)
        if fresh is None:
            ended = self.sessions.end_user(sess.user.id)
            self.audit(f"web:{sess.user.username}", "session.ended", "user", sess.user.id,
                       reason="account disabled or deleted", sessions=ended)
            return None
        if fresh != sess.user:
            sess.user = fresh
        return sess


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def current_session(request: Request, ctx: Ctx) -> WebSession:
    sess = ctx.session(request.cookies.get(COOKIE_NAME))
    if sess is None:
        raise HTTPException(401, "not logged in; log in at /login")
    return sess


CurrentSession = Annotated[WebSession, Depends(current_session)]


def csrf_session(request: Request, sess: CurrentSession) -> WebSession:
    """The session, for a state-changing request that carries its CSRF token."""
    if not csrf_ok(sess, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header; reload the page")
    return sess


CsrfSession = Annotated[WebSession, Depends(csrf_session)]


def require_staff(sess: WebSession) -> None:
    if sess.user.role not in ("admin", "therapist"):
        raise HTTPException(403, "only therapists and admins may do this")


def can_view(sess: WebSession, st: StationHost) -> bool:
    u = sess.user
    if u.role == "admin":
        return True
    if u.role == "therapist":
        return u.username in st.setup.therapists
    return u.patient_id is not None and u.patient_id == st.setup.patient_id


def station_for(ctx: AppContext, sess: WebSession, station_id: str, *,
                control: bool = False) -> StationHost:
    """The station, if this user may see it (and control it, when ``control``)."""
    st = ctx.live.stations.get(station_id)
    if st is None or not can_view(sess, st):
        # the same answer for a station that exists and one that does not
        raise HTTPException(404, f"no station {station_id!r} that you may see")
    if control and sess.user.role not in ("admin", "therapist"):
        raise HTTPException(403, "only a therapist assigned to this station may control it")
    return st
