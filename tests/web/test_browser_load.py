"""A browser drawing the console is no patient hazard on the twin: 3 SIMULATED stations in
worker processes (as ``gaitway serve --demo`` runs them, with the device's 5 ms overrun
bound) train while the overview is open in Chromium, and none stops itself with a loop
fault; each shows how far its simulated time fell behind. (The 10-minute version, with the
README's main command: ``bench/bench_console_load.py``.)"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import PASSWORDS, _template

from gaitway.clinic.store import ClinicStore
from gaitway.web.app import create_app
from gaitway.web.background import serve
from gaitway.web.config import WebSettings
from gaitway.web.demo import prepare_demo
from gaitway.web.service import LiveService

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
WATCH_S = 30.0


def test_console_open_in_a_browser_stops_no_simulated_station(browser: Any,
                                                               tmp_path: Path) -> None:
    from playwright.sync_api import expect

    db = tmp_path / "clinic.sqlite"
    shutil.copy(_template(3), db)
    store = ClinicStore(f"sqlite:///{db}")
    setups = prepare_demo(store, stations=3, minutes=5.0)
    live = LiveService(setups, recordings_dir=tmp_path / "live", processes=True)
    app = create_app(WebSettings(secret_key="load-test", cookie_secure=False), store, live,
                     start_stations=True)
    try:
        with serve(app) as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/login")
            page.fill("#username", "therapist")
            page.fill("#password", PASSWORDS["therapist"])
            page.click("#submit")
            page.wait_for_url(f"{url}/")
            tiles = page.locator(".tile")
            expect(tiles).to_have_count(3)
            for i in range(3):
                expect(tiles.nth(i).locator(".steps")).not_to_have_text("0", timeout=120_000)
            end = time.monotonic() + WATCH_S
            seen: list[dict[str, Any]] = []
            while time.monotonic() < end:
                seen = page.request.get(f"{url}/api/stations").json()
                loop = [(s["id"], a["text"]) for s in seen for a in s["alerts"]
                        if a["kind"] == "loop_overrun"]
                assert not loop, loop
                time.sleep(1.0)
            assert all(s["running"] for s in seen)
            for s in seen:  # the lag figures reach the console, whatever they are
                assert s["behind_s"] >= 0.0
                assert s["slips"] >= 0
            expect(tiles.first.locator(".behind")).to_have_text(re.compile(r"^\d+\.\d s$"))
            page.close()
    finally:
        live.shutdown()
        store.close()
