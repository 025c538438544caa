"""The station page sends the emergency stop again when a press gets no answer (hazard H25):
a request lost on its way (here the browser's network layer fails the first one) is followed
by another, the console shows the answer, and the press reaches the SIMULATED station."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import login_page, make_app, walking_station_page

from gaitway.web.background import serve
from gaitway.web.config import WebSettings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def _presses_logged(station: Any, within_s: float = 10.0) -> list[dict[str, Any]]:
    """The station's logged e-stop presses, once there is one (the press is logged on a
    thread of its own after the input is set) or after ``within_s``."""
    end = time.monotonic() + within_s
    presses: list[dict[str, Any]] = []
    while time.monotonic() < end and not presses:
        presses = [e for e in list(station.events) if e["kind"] == "emergency_stop_pressed"]
        time.sleep(0.1)
    return presses


def test_a_press_whose_request_is_lost_is_sent_again_and_stops_the_station(
        browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import Route, expect

    with walking_station_page(browser, tmp_path, "estop-retry") as (page, live):
        seen: list[str] = []

        def lose_the_first(route: Route) -> None:
            seen.append(route.request.method)
            if len(seen) == 1:
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/api/stations/sim-1/estop", lose_the_first)
        page.click("#estop")
        expect(page.locator("#message")).to_have_text("estop sent", timeout=30_000)
        assert seen == ["POST", "POST"], seen
        bar = page.locator("#faultbar")
        expect(bar).to_contain_text("emergency_stop", timeout=30_000)
        presses = _presses_logged(live.get("sim-1"))
        assert len(presses) == 1, presses  # the lost request never reached the server


def test_the_stop_works_while_the_page_still_waits_for_its_lists(
        browser: Any, tmp_path: Path) -> None:
    """A server slow to answer the page's first requests (here the patient list is held
    unanswered) must not leave the red button without a handler: the press reaches the
    station. On the page before, the handler was set only after those answers."""
    from playwright.sync_api import Route, expect

    app, store, live = make_app(tmp_path, stations=1, start=True,
                                settings=WebSettings(secret_key="estop-early",
                                                     cookie_secure=False))
    held: list[Route] = []
    try:
        with serve(app) as site:
            page = login_page(browser, site, "therapist", viewport=(1400, 900))
            def hold_the_station_pages(route: Route) -> None:
                # only the station page's own request is held: the page the login landed on
                # may ask for the list too, and its request says nothing about this page
                if "/station" in route.request.frame.url:
                    held.append(route)
                else:
                    route.continue_()

            page.route("**/api/patients", hold_the_station_pages)
            page.goto(f"{site}/station?id=sim-1")
            page.wait_for_function("() => document.readyState === 'complete'")
            end = time.monotonic() + 30.0
            while time.monotonic() < end and not held:
                page.wait_for_timeout(100)
            assert held, "the station page never asked for its patient list"
            station = live.get("sim-1")
            page.click("#estop")
            expect(page.locator("#message")).to_have_text("estop sent", timeout=30_000)
            presses = _presses_logged(station)
            assert len(presses) == 1, presses
            assert page.locator("#assign-patient option").count() == 0  # still held
            for route in held:
                route.continue_()
            page.close()
    finally:
        live.shutdown()
        store.close()
