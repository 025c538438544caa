"""Usable on a tablet beside the treadmill (issue 14 item 5): every page at 1024x768 and
768x1024 without sideways scrolling and without moderate, serious or critical accessibility
violations (axe-core, injected from the axe-playwright-python package: nothing is fetched),
and by keyboard alone: log in, open a station, reach its emergency stop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.web.conftest import PASSWORDS, make_app

from gaitway.web.background import serve
from gaitway.web.config import WebSettings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
VIEWPORTS = [(1024, 768), (768, 1024)]
#: what axe-core may not find on any page (only "minor" findings are tolerated)
IMPACTS = ("moderate", "serious", "critical")
PAGES = {"therapist": ["/", "/station?id=sim-1", "/records", "/progress"],
         "admin": ["/admin"], "patient1": ["/patient", "/progress"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app, store, live = make_app(tmp_path_factory.mktemp("a11y"), settings=WebSettings(
        secret_key="a11y-test", cookie_secure=False))
    with serve(app) as url:
        yield url
    live.shutdown()
    store.close()


def _findings(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result.response["violations"] if v["impact"] in IMPACTS]


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_every_page_fits_a_tablet_and_has_no_moderate_or_worse_accessibility_violations(
        browser: Any, site: str, width: int, height: int) -> None:
    problems: list[str] = []
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{site}/login")
    problems += [f"/login: {p}" for p in _findings(page)]
    for user, routes in PAGES.items():
        context.clear_cookies()
        page.goto(f"{site}/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORDS[user])
        page.click("#submit")
        page.wait_for_url(re.compile(r"/(patient)?$"))
        for route in routes:
            page.goto(f"{site}{route}")
            page.wait_for_load_state("networkidle")
            # the page has drawn for its user (its script logged in and filled the header)
            page.wait_for_function("() => document.querySelector('#who')?.textContent")
            wide = page.evaluate("document.documentElement.scrollWidth - "
                                 "document.documentElement.clientWidth")
            if wide > 0:
                problems.append(f"{route} as {user}: {wide} px wider than the screen")
            problems += [f"{route} as {user}: {p}" for p in _findings(page)]
    context.close()
    assert problems == [], "\n".join(problems)


def test_keyboard_alone_logs_in_opens_a_station_and_reaches_the_emergency_stop(
        browser: Any, site: str) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(f"{site}/login")
    page.keyboard.press("Tab")
    page.keyboard.type("therapist")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS["therapist"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}/")
    expect(page.locator(".tile")).to_have_count(3)

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} not reached by {limit} presses of Tab")

    tab_to("a[href='/station?id=sim-1']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/station\?id=sim-1$"))
    # the emergency stop is in the pinned header: a few presses from the top of the page
    tab_to("#estop", limit=12)
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focused control is visible
    tab_to("#start")
    page.close()
