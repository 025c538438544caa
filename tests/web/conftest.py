"""A console app on a temporary SQLite store with demo accounts and 3 SIMULATED stations;
the Chromium of the browser tests and their screenshots.

Screenshots go to ``$GAITWAY_TEST_ARTIFACTS/web`` (default ``test-artifacts/web``); with
GAITWAY_UPDATE_SCREENSHOTS=1 they are also copied to ``docs/screenshots``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gaitway.clinic.store import ClinicStore
from gaitway.web.app import create_app
from gaitway.web.background import chromium_path, launch_browser, serve
from gaitway.web.config import WebSettings
from gaitway.web.demo import prepare_demo
from gaitway.web.service import LiveService

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {"admin": "demo-admin-pass", "therapist": "demo-therapist-pass",
             "therapist2": "demo-therapist2-pass", "patient1": "demo-patient-pass"}


#: the test machine is shared and not real-time: a loop descheduled for a few ms 3 ticks in a
#: row is not what these tests are about (test_live_safety checks the device's 5 ms bound)
TEST_OVERRUN_BOUND_S = 0.25

_TEMPLATE: dict[int, Path] = {}


def _template(stations: int) -> Path:
    """A migrated demo store made once per test run (argon2 hashing is slow on purpose)."""
    if stations not in _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="gaitway-web-")) / "clinic.sqlite"
        with ClinicStore(f"sqlite:///{path}") as store:
            prepare_demo(store, stations=stations, minutes=5.0)
        _TEMPLATE[stations] = path
    return _TEMPLATE[stations]


def make_app(tmp: Path, *, stations: int = 3, start: bool = False,
             settings: WebSettings | None = None) -> tuple[FastAPI, ClinicStore, LiveService]:
    db = tmp / "clinic.sqlite"
    shutil.copy(_template(stations), db)
    store = ClinicStore(f"sqlite:///{db}")
    setups = prepare_demo(store, stations=stations, minutes=5.0)
    live = LiveService(setups, recordings_dir=tmp / "live-sessions",
                       overrun_bound_s=TEST_OVERRUN_BOUND_S)
    app = create_app(settings or WebSettings(secret_key="test-secret-key"), store, live,
                     start_stations=start)
    return app, store, live


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[FastAPI, ClinicStore, LiveService]]:
    app, store, live = make_app(tmp_path)
    yield app, store, live
    live.shutdown()
    store.close()


def login(client: TestClient, username: str) -> str:
    """Log in; returns the CSRF token to send with changes."""
    r = client.post("/api/login", json={"username": username, "password": PASSWORDS[username]})
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf"]
    return token


@pytest.fixture
def client(web: tuple[FastAPI, ClinicStore, LiveService]) -> Iterator[TestClient]:
    with TestClient(web[0], base_url="https://testserver") as c:
        yield c


#: how long a browser test waits for a state the page shows: the machine is shared and
#: loaded (2 cores, pytest -n 2, other jobs), so a state change can take seconds
EXPECT_TIMEOUT_MS = 15_000


def require_chromium() -> None:
    """Missing Chromium skips a browser test on a developer's machine and FAILS it in CI
    (CI=1): a browser test never passes silently unrun there."""
    if chromium_path() is None:
        msg = "Chromium is missing: install Debian's chromium or set GAITWAY_CHROMIUM"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium through Playwright, one per test module (the same for every browser test)."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        b = launch_browser(pw)
        yield b
        b.close()


def artifacts() -> Path:
    d = Path(os.environ.get("GAITWAY_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "web"
    d.mkdir(parents=True, exist_ok=True)
    return d


def shot(page: Any, name: str) -> None:
    """A full-page screenshot kept as a test artifact (and copied to the docs on request)."""
    out = artifacts() / f"{name}.png"
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000
    if os.environ.get("GAITWAY_UPDATE_SCREENSHOTS") == "1":
        (ROOT / "docs" / "screenshots").mkdir(parents=True, exist_ok=True)
        shutil.copy(out, ROOT / "docs" / "screenshots" / out.name)


def login_page(browser: Any, url: str, user: str, password: str | None = None, *,
               viewport: tuple[int, int] = (1024, 768)) -> Any:
    """A new page logged in as ``user``; returns once the user's first page is open."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(f"{url}/login")
    page.fill("#username", user)
    page.fill("#password", password or PASSWORDS[user])
    page.click("#submit")
    page.wait_for_url(lambda u: not u.endswith("/login"))
    return page


@contextmanager
def walking_station_page(browser: Any, tmp_path: Path,
                         secret_key: str) -> Iterator[tuple[Any, LiveService]]:
    """One started SIMULATED station and a therapist's page on it (1400 x 900), once its
    session walks; the page, the stations and the store are closed afterwards."""
    from playwright.sync_api import expect

    app, store, live = make_app(tmp_path, stations=1, start=True,
                                settings=WebSettings(secret_key=secret_key,
                                                     cookie_secure=False))
    try:
        with serve(app) as site:
            page = login_page(browser, site, "therapist", viewport=(1400, 900))
            try:
                page.goto(f"{site}/station?id=sim-1")
                expect(page.locator("#state")).to_have_text(re.compile("warm_up|training"),
                                                            timeout=60_000)
                yield page, live
            finally:
                page.close()
    finally:
        live.shutdown()
        store.close()


def press(page: Any, selector: str) -> None:
    """Click one of the station page's controls and wait until the page took the press (its
    message changes at once: "X sending", hazard H30). One click, as a therapist makes it:
    CI lost presses when the page moved under the pointer between its going down and coming
    up (the alarm notice leaving the page on the first press; the bars and words above the
    controls growing); since hazard H31 nothing moves (test_browser_station_layout,
    test_browser_alarm_press), and a press the page does not take is a defect, not a retry."""
    before = page.locator("#message").inner_text()
    page.click(selector)
    try:
        page.wait_for_function(
            "(t) => document.getElementById('message').textContent !== t", arg=before,
            timeout=EXPECT_TIMEOUT_MS)
    except Exception as e:  # Playwright's TimeoutError: say which press and what the page showed
        raise AssertionError(f"{selector}: clicked, the page took no press (its message "
                             f"stayed {before!r})") from e
