"""Least privilege in a real browser (Chromium through Playwright): each role is offered only
its pages, a therapist has a progress page per patient of their care team, and a page a role
may not use shows why instead of a blank page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.web.conftest import PASSWORDS, make_app, shot

from gaitway.web.background import serve
from gaitway.web.config import WebSettings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app, store, live = make_app(tmp_path_factory.mktemp("roles"), settings=WebSettings(
        secret_key="roles-test", cookie_secure=False))
    with serve(app) as url:
        yield url
    live.shutdown()
    store.close()


def _login(browser: Any, url: str, user: str) -> Any:
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(f"{url}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("#submit")
    return page


def test_therapist_sees_their_pages_and_a_progress_page_per_patient(browser: Any,
                                                                    site: str) -> None:
    from playwright.sync_api import expect

    page = _login(browser, site, "therapist2")
    page.wait_for_url(f"{site}/")
    expect(page.locator("#nav a")).to_have_text(["Stations", "Patients and records", "Progress"])
    page.click("#nav a[href='/progress']")
    expect(page.locator("#patients li")).to_have_text(["SIM-DEMO-1-03 (SIMULATED)"])
    page.click("#patients a")
    page.wait_for_url(re.compile(r"/progress\?patient=\d+$"))
    expect(page.locator("#title")).to_have_text("Progress of SIM-DEMO-1-03 (SIMULATED patient)")
    expect(page.locator("#lines li").first).to_be_visible()
    shot(page, "progress-therapist")
    page.close()


def test_patient_is_offered_only_patient_pages_and_told_why_elsewhere(browser: Any,
                                                                      site: str) -> None:
    from playwright.sync_api import expect

    page = _login(browser, site, "patient1")
    page.wait_for_url(f"{site}/patient")
    expect(page.locator("#nav a")).to_have_text(["My training", "Progress"])
    page.goto(f"{site}/records")
    expect(page.locator("#forbidden")).to_have_text("This page is not for your account")
    expect(page.locator("main")).to_contain_text("for admins and therapists")
    shot(page, "forbidden")
    page.click("text=Go to your page")
    page.wait_for_url(f"{site}/patient")
    page.close()


def test_station_buttons_follow_the_state_words_and_the_alarm_sounds_on_the_first_fault(
        browser: Any, site: str) -> None:
    from playwright.sync_api import expect

    page = _login(browser, site, "therapist")  # the login click unlocks the alarm
    page.wait_for_url(f"{site}/")
    page.wait_for_function("() => window.gaitwayAlarm && window.gaitwayAlarm.state() === 'running'")
    expect(page.locator("#alarm-off")).to_be_hidden()
    words = page.evaluate("""async () => {
        const w = await import('/static/words.js');
        return [w.symmetryWords(8, 'training'), w.symmetryWords(-8, 'training'),
                w.symmetryWords(0.1, 'training'), w.symmetryWords(-149.4, 'paused'),
                w.weightWords([44, 56]), w.weightWords([null, null])];
    }""")
    assert words == [
        "Left strides take 8 % longer than right ones (symmetry index +8.0 %).",
        "Right strides take 8 % longer than left ones (symmetry index −8.0 %).",
        "Strides equally long on both legs (symmetry index +0.1 %).",
        "Symmetry: shown while the patient walks.",
        "Left leg bears 44 % of the weight on the legs, right 56 %.",
        "Weight bearing: no load on the force plates yet.",
    ]
    page.click("a[href='/station?id=sim-1']")
    page.wait_for_url(re.compile(r"/station\?id=sim-1$"))
    for enabled in ("#start", "#estop"):
        expect(page.locator(enabled)).to_be_enabled()
    for disabled in ("#pause", "#resume", "#stop", "#acknowledge", "#set_guidance"):
        expect(page.locator(disabled)).to_be_disabled()
    expect(page.locator("#stop")).to_have_attribute("title", "Not now: no session is running")
    page.click("#start")
    expect(page.locator("#state")).to_have_text(re.compile("warm_up|training"), timeout=30_000)
    expect(page.locator("#start")).to_be_disabled()
    for enabled in ("#pause", "#stop", "#set_guidance"):
        expect(page.locator(enabled)).to_be_enabled()
    expect(page.locator("#resume")).to_be_disabled()
    expect(page.locator("#wb_words")).to_have_text(re.compile(
        r"Left leg bears \d+ % of the weight on the legs, right \d+ %\."), timeout=30_000)
    expect(page.locator("#wbL_v")).to_have_text(re.compile(r"\d+ %"))
    page.click("#estop")
    # the console's answer to the press: over 10 s in full CI runs under load (open defect,
    # closing note of 2026-12-06); measured here, not hidden
    expect(page.locator("#message")).to_have_text("estop sent", timeout=30_000)
    expect(page.locator("#faultbar")).to_be_visible(timeout=10_000)
    page.wait_for_function("() => window.gaitwayAlarm.beeps >= 1", timeout=10_000)
    expect(page.locator("#acknowledge")).to_be_enabled()
    for disabled in ("#resume", "#set_guidance", "#start"):
        expect(page.locator(disabled)).to_be_disabled()
    page.click("#stop")
    expect(page.locator("#state")).to_have_text("finished", timeout=20_000)

    # a console opened without a click on the site: the notice says the sound is off until
    # the first click or key, which turns it on
    context = browser.new_context()
    context.add_cookies(page.context.cookies())  # the same login, a fresh tab
    other = context.new_page()
    other.goto(f"{site}/station?id=sim-2")
    other.wait_for_function("() => window.gaitwayAlarm && document.getElementById('alarm-off')")
    # Chromium decides whether a fresh tab's audio may start without a gesture (once in a
    # full CI run it let it run): the notice shows exactly while the sound is off
    if other.evaluate("window.gaitwayAlarm.state()") == "suspended":
        expect(other.locator("#alarm-off")).to_be_visible()
        other.keyboard.press("Tab")
    expect(other.locator("#alarm-off")).to_be_hidden()
    assert other.evaluate("window.gaitwayAlarm.state()") == "running"
    context.close()
    page.close()


def test_admin_adds_a_therapist_and_a_patient_and_disabling_ends_the_session(
        browser: Any, site: str) -> None:
    from playwright.sync_api import expect

    admin = _login(browser, site, "admin")
    admin.wait_for_url(f"{site}/")
    admin.click("#nav a[href='/admin']")
    admin.fill("#new-username", "tina")
    admin.select_option("#new-role", "therapist")
    admin.fill("#new-password", "tina-web-pass")
    admin.select_option("#new-station", "Simulated station 1")
    admin.click("#add-user-submit")
    expect(admin.locator("#admin-message")).to_have_text("tina added")
    expect(admin.locator("tr[data-user='tina']")).to_contain_text("Simulated station 1")

    admin.click("#nav a[href='/records']")
    admin.fill("#f-pseudonym", "P-WEB-1")
    admin.fill("#f-diagnosis", "stroke")
    admin.select_option("#f-affected_side", "left")
    admin.click("#patient-add")
    expect(admin.locator("#patient-message")).to_have_text("P-WEB-1 added")
    expect(admin.locator("#patient-save")).to_be_enabled()
    admin.fill("#f-birth_year", "1958")
    admin.click("#patient-save")
    expect(admin.locator("#patient-message")).to_have_text("saved")
    for guidance in ("70", "60"):  # a prescription, then an edit: a new one, the old one kept
        admin.fill("#rx-guidance_pct", guidance)
        admin.click("#rx-save")
        expect(admin.locator("#rx-message")).to_have_text(
            "prescription saved; it is the active one")
    expect(admin.locator("#prescriptions tr")).to_have_count(2)
    expect(admin.locator("#prescriptions tr.active-rx")).to_have_count(1)
    expect(admin.locator("#prescriptions tr.active-rx td").nth(4)).to_have_text("60")
    admin.fill("#search", "P-WEB")
    expect(admin.locator("#patients a")).to_have_text(["P-WEB-1"])
    admin.select_option("#team-therapist", "therapist2")  # the care team from the patient
    admin.click("#team-add")
    expect(admin.locator("#pteam")).to_have_text("Care team: therapist2")
    shot(admin, "patients")

    admin.click("#nav a[href='/admin']")
    admin.select_option("#team-patient", label="P-WEB-1")
    admin.select_option("#team-therapist", "tina")
    admin.click("#team-add")
    expect(admin.locator("#admin-message")).to_have_text("added to the care team")
    expect(admin.locator("tr[data-user='tina']")).to_contain_text("P-WEB-1")
    shot(admin, "admin-users")

    tina = browser.new_page(viewport={"width": 768, "height": 1024})
    tina.goto(f"{site}/login")
    tina.fill("#username", "tina")
    tina.fill("#password", "tina-web-pass")
    tina.click("#submit")
    tina.wait_for_url(f"{site}/")
    expect(tina.locator(".tile")).to_have_count(1)  # the station assigned to her
    tina.goto(f"{site}/records")
    expect(tina.locator("#patients a")).to_have_text(["P-WEB-1"])  # her care team only

    admin.click("button[aria-label='Disable tina']")
    expect(admin.locator("#admin-message")).to_have_text("tina disabled; their sessions ended")
    tina.fill("#search", "P")  # her next request finds the session ended: back to the login
    tina.wait_for_url(f"{site}/login", timeout=10_000)
    tina.close()
    admin.close()
