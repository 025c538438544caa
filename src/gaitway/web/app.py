"""The FastAPI application: health, auth, stations, clinic records, pages.

``create_app`` takes everything it needs (settings, store, live service) so tests and the
CLI build the same app; nothing connects at import time.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

import gaitway
from gaitway.clinic.recovery import Recovered, import_pending, pending_sessions
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError
from gaitway.settings import get_settings
from gaitway.web import api_auth, api_clinic, api_stations
from gaitway.web.auth import LoginLimiter, SessionStore
from gaitway.web.config import WebSettings
from gaitway.web.deps import AppContext
from gaitway.web.live import LiveService
from gaitway.web.live_record import store_importer

STATIC: Final[Path] = Path(__file__).parent / "static"
PAGES: Final[dict[str, str]] = {
    "/": "overview.html", "/login": "login.html", "/station": "station.html",
    "/patient": "patient.html", "/progress": "progress.html", "/records": "records.html",
}
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
                  "are SIMULATED. Everything except /health needs a login.")
    ctx = AppContext(
        settings=settings, store=store, live=live,
        sessions=SessionStore(settings.secret_key, max_age_s=settings.session_hours * 3600),
        limiter=LoginLimiter(max_failures=settings.login_max_failures,
                             window_s=settings.login_window_s),
    )
    app.state.ctx = ctx

    def audit_station(actor: str, action: str, station_id: str, details: dict[str, Any]) -> None:
        ctx.audit(actor, action, "station", station_id, **details)

    # console sessions are recorded (default: under the data directory) and imported
    live.attach_store(store_importer(store), audit_station,
                      recordings_dir=live.recordings_dir
                      or get_settings().data_dir / "live-sessions")

    @app.exception_handler(UserError)
    async def user_error(_request: Request, exc: UserError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for k, v in _HEADERS.items():
            response.headers.setdefault(k, v)
        return response

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
    for route, page in PAGES.items():
        _add_page(app, route, page)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _add_page(app: FastAPI, route: str, page: str) -> None:
    path = STATIC / page

    async def serve_page() -> FileResponse:
        return FileResponse(path, media_type="text/html")

    app.add_api_route(route, serve_page, include_in_schema=False, methods=["GET"])
