"""The console's pages, each for the roles that may use it, and the API docs for admins.

A page asked for without a login redirects to /login; a page the user's role may not use
answers 403 with a page that says so and where to go instead (never a blank page), and the
refusal is audited. The OpenAPI schema and its Swagger UI are for logged-in admins only;
the UI's script and style come from the ``fastapi-offline`` package, served from this server
(nothing is fetched from elsewhere, and the content-security policy stays strict).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from gaitway.web.auth import COOKIE_NAME
from gaitway.web.deps import AppContext

STATIC: Final[Path] = Path(__file__).parent / "static"
STAFF: Final[frozenset[str]] = frozenset({"admin", "therapist"})
EVERYONE: Final[frozenset[str]] = frozenset({"admin", "therapist", "patient"})
ADMIN: Final[frozenset[str]] = frozenset({"admin"})


@dataclass(frozen=True)
class Page:
    route: str
    file: str
    title: str
    roles: frozenset[str]
    #: offered in the navigation (a station's page is opened from the overview instead)
    nav: bool = True


#: every page, once: the server's guard and the navigation (``/api/me``'s pages) read it
PAGES: Final[tuple[Page, ...]] = (
    Page("/", "overview.html", "Stations", STAFF),
    Page("/station", "station.html", "Station", STAFF, nav=False),
    Page("/records", "records.html", "Patients and records", STAFF),
    Page("/patient", "patient.html", "My training", frozenset({"patient"})),
    Page("/progress", "progress.html", "Progress", EVERYONE),
    Page("/admin", "admin.html", "Users", ADMIN),
    Page("/docs", "apidocs.html", "API docs", ADMIN),
)
#: the first page of each role after logging in
HOME: Final[dict[str, str]] = {"admin": "/", "therapist": "/", "patient": "/patient"}


def nav_for(role: str) -> list[tuple[str, str]]:
    """(route, title) of the pages a role is offered, in navigation order."""
    return [(p.route, p.title) for p in PAGES if p.nav and role in p.roles]


ROLE_WORDS: Final[dict[str, str]] = {"admin": "admins", "therapist": "therapists",
                                     "patient": "patients"}


def _forbidden_page(page: Page, username: str, role: str) -> str:
    who = " and ".join(sorted(ROLE_WORDS[r] for r in page.roles))
    home = HOME.get(role, "/login")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Gaitway – not for your account</title>"
        '<link rel="stylesheet" href="/static/style.css"></head><body><main>'
        f'<h1 id="forbidden">This page is not for your account</h1>'
        f"<p>{html.escape(page.title)} is for {html.escape(who)}. You are logged in as "
        f"<strong>{html.escape(username)}</strong> ({html.escape(role)}).</p>"
        f'<p><a href="{home}">Go to your page</a> or <a href="/login">log in as someone '
        "else</a>.</p></main></body></html>")


def add_pages(app: FastAPI, ctx: AppContext) -> None:
    """The pages of ``PAGES``, /login, /favicon.ico, the API docs and the schema."""
    for page in PAGES:
        _add_page(app, ctx, page)

    async def login_page() -> FileResponse:
        return FileResponse(STATIC / "login.html", media_type="text/html")

    app.add_api_route("/login", login_page, include_in_schema=False, methods=["GET"])

    async def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    app.add_api_route("/favicon.ico", favicon, include_in_schema=False, methods=["GET"])

    def openapi_schema(request: Request) -> JSONResponse:
        sess = ctx.session(request.cookies.get(COOKIE_NAME))
        if sess is None:
            raise HTTPException(401, "not logged in; log in at /login")
        if sess.user.role != "admin":
            raise HTTPException(403, "the API schema is for admins")
        return JSONResponse(app.openapi())

    app.add_api_route("/openapi.json", openapi_schema, include_in_schema=False,
                      methods=["GET"])
    app.mount("/static/apidocs", StaticFiles(directory=str(files("fastapi_offline") / "static")),
              name="apidocs")


def _add_page(app: FastAPI, ctx: AppContext, page: Page) -> None:
    path = STATIC / page.file

    def serve_page(request: Request) -> Response:
        sess = ctx.session(request.cookies.get(COOKIE_NAME))
        if sess is None:
            return RedirectResponse("/login", status_code=303)
        if sess.user.role not in page.roles:
            ctx.audit(f"web:{sess.user.username}", "access.refused", "page", page.route,
                      role=sess.user.role, status=403)
            return HTMLResponse(_forbidden_page(page, sess.user.username, sess.user.role),
                                status_code=403)
        return FileResponse(path, media_type="text/html")

    app.add_api_route(page.route, serve_page, include_in_schema=False, methods=["GET"])
