"""The clinic's whole workflow in one walk through the console in Chromium (issue 14's
done-when), in order: an admin adds a patient, a therapist on the patient's care team and the
patient's own account; the therapist writes a prescription, puts the patient on a station,
starts the session, watches it, ends it, opens its report and the patient's progress page,
asks for a proposal and approves it; the patient logs in and sees only their own pages.

Every step waits for a state the page shows (a message the page says only once it shows the
result, a state word, a link that appears), never for a fixed time: it must pass on a loaded
2-core machine under ``pytest -n 2``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import login_page, make_app, shot

from gaitway.web.background import serve
from gaitway.web.config import WebSettings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(480)]

PATIENT = "P-FLOW-1"
#: the session the therapist watches: at least this many steps before it is ended
WATCH_STEPS = 4
OWN_PROGRESS = "How you are doing (SIMULATED patient)"


def _admin_sets_up_the_patient_and_the_accounts(admin: Any, url: str) -> None:
    from playwright.sync_api import expect

    admin.goto(f"{url}/records")
    admin.fill("#f-pseudonym", PATIENT)
    admin.fill("#f-diagnosis", "stroke, 3 weeks")
    admin.select_option("#f-affected_side", "left")
    admin.check("#f-simulated")  # the demo clinic's stations are SIMULATED: a virtual patient
    admin.click("#patient-add")
    expect(admin.locator("#patient-message")).to_have_text(f"{PATIENT} added")

    admin.click("#nav a[href='/admin']")
    admin.wait_for_url(f"{url}/admin")
    for user, role, password, patient, station in (
            ("walt", "therapist", "walt-web-pass", None, "Simulated station 1"),
            ("flow", "patient", "flow-web-pass", PATIENT, None)):
        admin.fill("#new-username", user)
        admin.select_option("#new-role", role)
        admin.fill("#new-password", password)
        if patient:
            admin.select_option("#new-patient", label=f"{patient} (SIMULATED)")
        if station:
            admin.select_option("#new-station", station)
        admin.click("#add-user-submit")
        expect(admin.locator("#admin-message")).to_have_text(f"{user} added")
        expect(admin.locator(f"tr[data-user='{user}']")).to_contain_text(patient or station or "")
    admin.select_option("#team-patient", label=f"{PATIENT} (SIMULATED)")
    admin.select_option("#team-therapist", "walt")
    admin.click("#team-add")
    expect(admin.locator("#admin-message")).to_have_text("added to the care team")
    expect(admin.locator("tr[data-user='walt'] td").nth(4)).to_have_text(PATIENT)


def _open_patient(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/records")
    page.get_by_role("link", name=f"{PATIENT} (SIM)").click()
    expect(page.locator("#ptitle")).to_contain_text(PATIENT)


def test_the_clinic_workflow_from_new_accounts_to_the_patients_own_pages(
        browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    app, store, live = make_app(tmp_path, settings=WebSettings(secret_key="workflow-test",
                                                                cookie_secure=False))
    try:
        with serve(app) as url:
            admin = login_page(browser, url, "admin")
            _admin_sets_up_the_patient_and_the_accounts(admin, url)
            admin.close()

            # the therapist, on a tablet held upright: only her station and her patient
            walt = login_page(browser, url, "walt", "walt-web-pass", viewport=(768, 1024))
            expect(walt.locator(".tile")).to_have_count(1)
            _open_patient(walt, url)
            expect(walt.locator("#patients a")).to_have_text([f"{PATIENT} (SIM)"])
            for field, value in (("duration_min", "10"), ("speed_kmh", "1.8"),
                                 ("guidance_pct", "60"), ("bws_pct", "30")):
                walt.fill(f"#rx-{field}", value)
            walt.click("#rx-save")
            expect(walt.locator("#rx-message")).to_have_text(
                "prescription saved; it is the active one")
            expect(walt.locator("#prescriptions tr.active-rx td").nth(4)).to_have_text("60")

            walt.goto(f"{url}/station?id=sim-1")
            walt.get_by_label("Patient on this station").select_option(label=f"{PATIENT} (SIM)")
            walt.click("#assign")
            expect(walt.locator("#message")).to_have_text(
                re.compile(rf"on this station now: {PATIENT}; prescription \d+"))
            rx = walt.locator("#message").inner_text().rsplit(" ", 1)[1]
            expect(walt.locator("#patient")).to_have_text(f"patient {PATIENT}")
            expect(walt.locator("#rx-now")).to_contain_text(f"active prescription ({rx})")

            walt.click("#start")
            expect(walt.locator("#message")).to_have_text("start sent")
            expect(walt.locator("#state")).to_have_text(re.compile("warm_up|training"),
                                                         timeout=60_000)
            walt.wait_for_function(
                f"() => Number(document.querySelector('#steps').textContent) >= {WATCH_STEPS}",
                timeout=120_000)
            expect(walt.locator("#strides tr").first).to_be_visible(timeout=60_000)
            expect(walt.locator("#stop")).to_be_enabled()
            expect(walt.locator("#assign")).to_be_disabled()
            shot(walt, "workflow-station-watched")
            walt.click("#stop")
            expect(walt.locator("#state")).to_have_text("finished", timeout=30_000)
            expect(walt.locator("#start")).to_be_enabled()

            # the session is in the patient's record: its report opens from the station
            link = walt.locator("#last-report")
            expect(link).to_be_visible(timeout=90_000)
            with walt.expect_popup() as popup:
                link.click()
            report = popup.value
            report.wait_for_load_state()
            expect(report.locator("body")).to_contain_text(PATIENT)
            expect(report.locator("body")).to_contain_text("SIMULATED")
            report.close()

            _open_patient(walt, url)
            expect(walt.locator("#sessions tr")).to_have_count(1)
            walt.locator("#pprogress a").click()
            walt.wait_for_url(re.compile(r"/progress\?patient=\d+$"))
            expect(walt.locator("#title")).to_have_text(
                f"Progress of {PATIENT} (SIMULATED patient)")
            expect(walt.locator("#sessions tr")).to_have_count(1)
            expect(walt.locator("#report-links")).to_be_visible()

            # the session was ended before its plan: the proposal gives help back, checked
            # on the patient's twin before it is offered
            _open_patient(walt, url)
            walt.click("#propose")
            expect(walt.locator("#proposal-message")).to_have_text(
                re.compile(r"proposal \d+ offered for a therapist's decision"), timeout=120_000)
            card = walt.locator(".proposal.pending")
            expect(card).to_have_count(1)
            expect(card.locator(".reasons li").first).to_contain_text("guidance 60 -> 70 %")
            expect(card.locator(".twin")).to_contain_text("completed")
            shot(walt, "workflow-proposal")
            card.get_by_role("button", name="Approve (with the values above)").click()
            expect(walt.locator("#proposal-message")).to_have_text(
                re.compile(r"approved: prescription \d+ is the active one"))
            expect(walt.locator("#prescriptions tr")).to_have_count(2)
            expect(walt.locator("#prescriptions tr.active-rx td").nth(4)).to_have_text("70")
            expect(walt.locator(".proposal.approved")).to_have_count(1)
            walt.close()

            # the patient: their training and progress, nothing of the clinic's
            flow = login_page(browser, url, "flow", "flow-web-pass")
            assert flow.url == f"{url}/patient"
            expect(flow.locator("#nav a")).to_have_text(["My training", "Progress"])
            flow.click("#nav a[href='/progress']")
            expect(flow.locator("#title")).to_have_text(OWN_PROGRESS)
            expect(flow.locator("#sessions tr")).to_have_count(1)
            shot(flow, "workflow-patient-progress")
            for route in ("/records", "/station?id=sim-1", "/admin", "/progress?patient=1"):
                flow.goto(f"{url}{route}")
                if route.startswith("/progress"):  # another patient's: their own page instead
                    expect(flow.locator("#title")).to_have_text(OWN_PROGRESS)
                    continue
                expect(flow.locator("#forbidden")).to_have_text(
                    "This page is not for your account")
            assert flow.request.get(f"{url}/api/patients").status == 403
            assert flow.request.get(f"{url}/api/admin/users").status == 403
            flow.close()
    finally:
        live.shutdown()
        store.close()
