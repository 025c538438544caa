"""A recording replayed through a console station, watched and stopped in a real browser
(Chromium through Playwright): the replay station drives the console as a live one does,
its tile says REPLAY, and the console's emergency stop reaches the replay's safety layer."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.web.conftest import TEST_OVERRUN_BOUND_S, _template, login_page

from gaitway.clinic.store import ClinicStore
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.web.app import create_app
from gaitway.web.background import serve
from gaitway.web.config import WebSettings
from gaitway.web.demo import prepare_demo
from gaitway.web.service import LiveService
from gaitway.web.setup import replay_setup

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


_LIVE: dict[str, LiveService] = {}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("replay-web")
    # 2 minutes of a SIMULATED session: the replay, paced at real time, must still be running
    # when the test presses the e-stop on a slow, shared machine
    recorded = tmp / "recorded-session"
    run_session(SessionSettings(profile="hemiparetic-left-moderate", minutes=2.0, seed=5,
                                guidance_pct=80.0), recorded)
    shutil.copy(_template(1), tmp / "clinic.sqlite")
    store = ClinicStore(f"sqlite:///{tmp / 'clinic.sqlite'}")
    setups = prepare_demo(store, stations=1, minutes=5.0)
    setups.append(replay_setup(recorded, "replay-1", therapists=setups[0].therapists))
    live = LiveService(setups, recordings_dir=tmp / "live-sessions",
                       overrun_bound_s=TEST_OVERRUN_BOUND_S)
    app = create_app(WebSettings(secret_key="replay-test", cookie_secure=False), store, live,
                     start_stations=True)
    _LIVE["live"] = live
    with serve(app) as url:
        yield url
    live.shutdown()
    store.close()


def test_a_replayed_recording_drives_the_console_and_its_estop(browser: Any, site: str) -> None:
    from playwright.sync_api import expect

    page = login_page(browser, site, "therapist", viewport=(1400, 900))
    tiles = page.locator(".tile")
    expect(tiles).to_have_count(2)
    replay_tile = tiles.filter(has=page.locator(".replay"))
    expect(replay_tile).to_have_count(1)
    expect(replay_tile.locator(".replay")).to_have_text("REPLAY")
    expect(replay_tile.locator(".sim").first).to_have_text("SIMULATED")  # what was recorded
    # the replayed strides are found by the console's own loop, as a live station's are
    expect(replay_tile.locator(".steps")).not_to_have_text("0", timeout=60_000)

    page.goto(f"{site}/station?id=replay-1")
    expect(page.locator("#replay")).to_be_visible()
    expect(page.locator("#state")).to_have_text(re.compile("warm_up|training"), timeout=30_000)
    station = _LIVE["live"].get("replay-1")
    assert station.status()["transport"] == "replay"
    assert station.running, f"the replay ended before the e-stop: {station.last_ended_by}"
    page.click("#estop")
    # the replay's safety layer detects the console's e-stop in the replayed samples
    end = time.monotonic() + 20.0
    faults: list[dict[str, Any]] = []
    while time.monotonic() < end and not faults:
        faults = [e for e in list(station.events) if e["kind"] == "fault_detected"
                  and e["details"].get("fault") == "emergency_stop"]
        time.sleep(0.2)
    kinds = [e["kind"] for e in list(station.events)]
    assert "emergency_stop_pressed" in kinds, kinds
    assert faults, (kinds[-20:], station.state, station.last_ended_by)
    bar = page.locator("#faultbar")
    expect(bar).to_contain_text("FAULT emergency_stop", timeout=15_000)
    expect(page.locator("#state")).to_have_text("paused", timeout=15_000)
    page.close()
