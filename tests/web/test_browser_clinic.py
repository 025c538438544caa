"""The therapist's clinic workflow in a real browser (Chromium through Playwright): a proposal
approved with an edit on the patients page, a patient put on a station whose next session then
follows the approved prescription, the event log filtered by kind."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.web.conftest import PASSWORDS, make_app, press, shot
from tests.web.test_planning_api import _pending_proposal

from gaitway.session.settings import SETTING_RANGES
from gaitway.web.background import serve
from gaitway.web.config import WebSettings
from gaitway.web.demo import demo_pseudonym

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def test_therapist_approves_a_proposal_and_puts_the_patient_on_a_station(
        browser: Any, tmp_path: Any) -> None:
    from playwright.sync_api import expect

    app, store, live = make_app(tmp_path, settings=WebSettings(secret_key="clinic-test",
                                                                cookie_secure=False))
    _, proposal = _pending_proposal(store)
    try:
        with serve(app) as url:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.goto(f"{url}/login")
            page.fill("#username", "therapist")
            page.fill("#password", PASSWORDS["therapist"])
            page.click("#submit")
            page.wait_for_url(f"{url}/")
            page.goto(f"{url}/records")
            page.get_by_role("link", name=demo_pseudonym(0)).click()
            card = page.locator(f"#proposal-{proposal}")
            expect(card.locator(".reasons li")).to_have_text(["guidance 60 -> 50 %: tracking"])
            expect(card.locator(".twin")).to_contain_text("SIMULATED check on the patient's twin")
            # the bounds are the server's one list of ranges: a session's 80 %, not 100
            lo, hi = SETTING_RANGES.bws_pct
            card.get_by_label(f"Body-weight support % ({lo:g}–{hi:g})").fill("30")
            expect(page.locator("#rx-bws_pct")).to_have_attribute("max", f"{hi:g}")
            shot(page, "records-proposal")
            card.get_by_role("button", name="Approve (with the values above)").click()
            expect(page.locator("#proposal-message")).to_have_text(
                re.compile(r"approved: prescription \d+ is the active one"))
            rx = page.locator("#proposal-message").inner_text().split()[2]
            expect(page.locator(f"#proposal-{proposal} h3")).to_have_text(
                f"Proposal {proposal} – approved")
            expect(page.locator("tr.active-rx td").nth(5)).to_have_text("30")

            page.goto(f"{url}/station?id=sim-1")
            for slider, (lo, hi) in (("#speed", SETTING_RANGES.speed_kmh),
                                     ("#bws", SETTING_RANGES.bws_pct),
                                     ("#rom_knee", SETTING_RANGES.rom_scale)):
                expect(page.locator(slider)).to_have_attribute("min", f"{lo:g}")
                expect(page.locator(slider)).to_have_attribute("max", f"{hi:g}")
            page.get_by_label("Patient on this station").select_option(
                label=f"{demo_pseudonym(1)} (SIM)")
            press(page, "#assign")
            # the page's answer first (shown once a read after the answer has run): on a
            # starved test server the request itself may take a while; a failure then says
            # whether the answer came and what it was
            expect(page.locator("#message")).to_contain_text(
                f"on this station now: {demo_pseudonym(1)}", timeout=30_000)
            expect(page.locator("#patient")).to_have_text(f"patient {demo_pseudonym(1)}")
            page.get_by_label("Patient on this station").select_option(
                label=f"{demo_pseudonym(0)} (SIM)")
            press(page, "#assign")
            expect(page.locator("#message")).to_contain_text(
                f"on this station now: {demo_pseudonym(0)}", timeout=30_000)
            expect(page.locator("#rx-now")).to_contain_text(f"active prescription ({rx})")
            press(page, "#start")
            expect(page.locator("#stop")).to_be_enabled()
            expect(page.locator("#assign")).to_be_disabled()
            expect(page.locator("#guidance_now")).to_have_text("50 %", timeout=30_000)
            page.get_by_label("Show").select_option("session_start")
            lines = page.locator("#events > div")
            expect(lines).to_have_count(1)
            expect(lines.first).to_contain_text("session_start")
            shot(page, "station-patient-and-log-filter")
            press(page, "#stop")
            expect(page.locator("#start")).to_be_enabled(timeout=30_000)
            page.close()
    finally:
        live.shutdown()
        store.close()
