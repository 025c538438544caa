"""Request dependencies: the logged-in user, CSRF checks, role and station authorisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from gaitway.clinic import audit
from gaitway.clinic.store import ClinicStore
from gaitway.web.auth import COOKIE_NAME, CSRF_HEADER, LoginLimiter, SessionStore, WebSession
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


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def current_session(request: Request, ctx: Ctx) -> WebSession:
    sess = ctx.sessions.get(request.cookies.get(COOKIE_NAME))
    if sess is None:
        raise HTTPException(401, "not logged in; log in at /login")
    return sess


CurrentSession = Annotated[WebSession, Depends(current_session)]


def csrf_session(request: Request, sess: CurrentSession) -> WebSession:
    """The session, for a state-changing request that carries its CSRF token."""
    from gaitway.web.auth import csrf_ok

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
