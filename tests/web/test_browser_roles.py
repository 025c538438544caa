"""Least privilege in a real browser (Chromium through Playwright): each role is offered only
its pages, a therapist has a progress page per patient of their care team, and a page a role
may not use shows why instead of a blank page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.web.conftest import PASSWORDS, make_app

from gaitway.web.background import chromium_path, launch_browser, serve
from gaitway.web.config import WebSettings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if chromium_path() is None:
        msg = "Chromium is missing: install Debian's chromium or set GAITWAY_CHROMIUM"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_browser(pw)
        yield b
        b.close()


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
    page.click("text=Go to your page")
    page.wait_for_url(f"{site}/patient")
    page.close()
