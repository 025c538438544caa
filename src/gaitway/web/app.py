"""The FastAPI application: health, auth, stations, clinic records, pages.

``create_app`` takes everything it needs (settings, store, live service) so tests and the
CLI build the same app; nothing connects at import time.

Every answer carries the security headers; every answer except the static assets carries
``Cache-Control: no-store`` (patients, sessions, reports, pages: nothing personal stays in a
browser's or a proxy's cache). A 403 or 404 from the API to a logged-in user is audited as a
refused attempt. X-Forwarded-For/-Proto count only from the proxies named in
``GAITWAY_WEB_FORWARDED_ALLOW_IPS`` (off by default).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import gaitway
from gaitway.clinic.recovery import Recovered, import_pending, pending_sessions
from gaitway.clinic.store import ClinicStore
from gaitway.errors import ConflictError, UnwalkableError, UserError
from gaitway.settings import get_settings
from gaitway.web import api_admin, api_auth, api_clinic, api_planning, api_stations
from gaitway.web.auth import COOKIE_NAME, LoginLimiter, SessionStore
from gaitway.web.config import WebSettings
from gaitway.web.deps import AppContext
from gaitway.web.live_record import store_importer
from gaitway.web.pages import STATIC, add_pages
from gaitway.web.redact import RepeatFilter, scrub
from gaitway.web.service import LiveService

#: the same refusal (user, method, path, status) is audited at most once in this many seconds,
#: with the count of the ones in between
REFUSAL_REPEAT_S: Final[float] = 60.0
#: answers that hold nothing personal and may be cached (the pages' scripts, styles, icon)
CACHEABLE: Final[tuple[str, ...]] = ("/static/", "/favicon.ico")
_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
}


def create_app(settings: WebSettings, store: ClinicStore, live: LiveService, *,
               start_stations: bool = False) -> FastAPI:
    """The app; ``start_stations`` starts a session on every station when serving begins."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        recover_left_sessions()  # before any new session: only what a crash left behind
        if start_stations:
            live.start_all("server")
        yield
        live.shutdown()

    def recover_left_sessions() -> None:
        """Import, in the background, the sessions a crash ended before their import."""
        folder = live.recordings_dir
        pending = pending_sessions(store, folder) if folder is not None else []
        if not pending:
            return

        def report(r: Recovered) -> None:
            if r.result is not None:
                ctx.audit("web:recovery", "session.recovered", "session", r.result.session_id,
                          status=r.result.status, directory=str(r.directory))
            else:
                ctx.audit("web:recovery", "session.recovery_failed", "session",
                          r.directory.name, directory=str(r.directory), reason=r.error)

        threading.Thread(target=import_pending, args=(store, pending),
                         kwargs={"actor": "web:recovery", "on_result": report},
                         name="gaitway-recovery", daemon=True).start()

    app = FastAPI(title="Gaitway console API", version=gaitway.__version__, lifespan=lifespan,
                  description="Therapist console and patient view. Stations run in-process "
                  "are SIMULATED. Everything except /health needs a login; this schema and "
                  "its docs (/docs) are for admins.",
                  docs_url=None, redoc_url=None, openapi_url=None)
    ctx = AppContext(
        settings=settings, store=store, live=live,
        sessions=SessionStore(settings.secret_key, max_age_s=settings.session_hours * 3600),
        limiter=LoginLimiter(free_failures=settings.login_free_failures,
                             base_delay_s=settings.login_delay_base_s,
                             max_delay_s=max(settings.login_delay_max_s,
                                             settings.login_delay_base_s)),
    )
    app.state.ctx = ctx

    def audit_station(actor: str, action: str, station_id: str, details: dict[str, Any]) -> None:
        ctx.audit(actor, action, "station", station_id, **details)

    # console sessions are recorded (default: under the data directory) and imported
    live.attach_store(store_importer(store), audit_station,
                      recordings_dir=live.recordings_dir
                      or get_settings().data_dir / "live-sessions")

    @app.exception_handler(ConflictError)
    async def conflict(_request: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse({"detail": scrub(str(exc)), "needs_confirmation": exc.confirmable},
                            status_code=409)

    @app.exception_handler(UnwalkableError)
    async def unwalkable(_request: Request, exc: UnwalkableError) -> JSONResponse:
        # settings each valid, refused together (range of motion and speed): unprocessable
        return JSONResponse({"detail": scrub(str(exc))}, status_code=422)

    @app.exception_handler(UserError)
    async def user_error(_request: Request, exc: UserError) -> JSONResponse:
        return JSONResponse({"detail": scrub(str(exc))}, status_code=400)

    refusals = RepeatFilter(window_s=REFUSAL_REPEAT_S)

    def audit_refusal(request: Request, exc: StarletteHTTPException) -> None:
        sess = ctx.sessions.get(request.cookies.get(COOKIE_NAME))
        if sess is None:
            return
        key = (sess.user.username, request.method, request.url.path, exc.status_code)
        repeats = refusals.admit(key)
        if repeats is not None:  # a page polling what it may not see: one entry a minute
            ctx.audit(f"web:{sess.user.username}", "access.refused", "request",
                      request.url.path[:64], method=request.method, status=exc.status_code,
                      role=sess.user.role, reason=str(exc.detail)[:200], repeats=repeats)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        decision = api_planning.decision_of(request.method, request.url.path)
        sess = ctx.sessions.get(request.cookies.get(COOKIE_NAME)) if decision else None
        if decision is not None and sess is not None:  # a refused decision is audited
            why = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}"
                            for e in exc.errors())
            await run_in_threadpool(api_planning.refused_decision, ctx, sess, *decision,
                                    status=422, reason=why)
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (403, 404) and not request.url.path.startswith(CACHEABLE):
            await run_in_threadpool(audit_refusal, request, exc)
        return await http_exception_handler(request, exc)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for k, v in _HEADERS.items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith(CACHEABLE):
            response.headers["Cache-Control"] = "no-store"
        return response

    if settings.forwarded_allow_ips.strip():
        app.add_middleware(ProxyHeadersMiddleware,
                           trusted_hosts=[h.strip() for h in
                                          settings.forwarded_allow_ips.split(",") if h.strip()])

    @app.get("/health", tags=["health"])
    def health() -> dict[str, object]:
        """Liveness, without login: the server answers and how many stations it runs."""
        return {"status": "ok", "stations": len(live.stations),
                "running": sum(st.running for st in live.stations.values())}

    app.include_router(api_auth.router)
    app.include_router(api_stations.router)
    app.include_router(api_stations.controllers_router)
    app.include_router(api_stations.ws_router)
    app.include_router(api_stations.remote_router)
    app.include_router(api_clinic.router)
    app.include_router(api_planning.router)
    app.include_router(api_admin.router)
    add_pages(app, ctx)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
