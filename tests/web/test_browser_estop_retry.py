"""The station page sends the emergency stop again when a press gets no answer (hazard H25):
a request lost on its way (here the browser's network layer fails the first one) is followed
by another, the console shows the answer, and the press reaches the SIMULATED station."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import login_page, make_app

from gaitway.web.background import serve
from gaitway.web.config import WebSettings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def test_a_press_whose_request_is_lost_is_sent_again_and_stops_the_station(
        browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import Route, expect

    app, store, live = make_app(tmp_path, stations=1, start=True,
                                settings=WebSettings(secret_key="estop-retry",
                                                     cookie_secure=False))
    try:
        with serve(app) as site:
            page = login_page(browser, site, "therapist", viewport=(1400, 900))
            page.goto(f"{site}/station?id=sim-1")
            expect(page.locator("#state")).to_have_text(re.compile("warm_up|training"),
                                                        timeout=60_000)
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
            station = live.get("sim-1")
            end = time.monotonic() + 10.0
            presses: list[dict[str, Any]] = []
            while time.monotonic() < end and not presses:
                presses = [e for e in list(station.events)
                           if e["kind"] == "emergency_stop_pressed"]
                time.sleep(0.1)
            assert len(presses) == 1, presses  # the lost request never reached the server
            page.close()
    finally:
        live.shutdown()
        store.close()
