"""The console's header at every width a clinic's screens have (768-1920 px).

Measured on the code before (admin, station page, 1024 px): the header's line of links and
buttons squeezed into 1024 px by wrapping their words, "Patients and records" on three lines,
"EMERGENCY STOP" and the user on two, a header 78 px tall instead of 61; at 768 px its items
went on two rows (96-117 px). Now the header is one row at every width of 1024 px and more,
and at every width no two of its items overlap, none is cut off, no item's words wrap, and each
page link and button is visible or behind the Menu button, found by its accessible name, by
pointer and by keyboard. The widths are drawn by hypothesis (derandomized) with the common
screen widths always among them; each role's most crowded pages are checked, among them the
station page of an admin with a long user name (e-mail style, 58 characters).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.web.conftest import PASSWORDS, login_page, make_app

from gaitway.clinic import records
from gaitway.web.background import serve
from gaitway.web.config import WebSettings
from gaitway.web.pages import nav_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

#: the narrowest screen the console is made for: a tablet held upright
NARROWEST_PX = 768
#: from this width on the header is one row
ONE_ROW_FROM_PX = 1024
WIDEST_PX = 1920
LONG_NAME = "clinic.administrator.with.a.long.name@rehab-centre.example"
LONG_PASSWORD = "long-name-admin-pass"

#: (user, role, page): each role's pages with the most in their header (the station page has
#: the alarm slot and the emergency stop, the overview the alarm slot)
PAGES = [("admin", "admin", "/station?id=sim-1"), ("admin", "admin", "/"),
         ("therapist", "therapist", "/station?id=sim-1"), ("admin", "admin", "/records"),
         ("patient1", "patient", "/patient"), (LONG_NAME, "admin", "/station?id=sim-1")]

#: the header's items: what a therapist reads or presses (the alarm slot as one item)
_ITEMS = ".brand, header > .sim, #menu-button, #nav a, #who, #logout, #alarm-status, #estop"

_MEASURE = """
async (items) => {
  // the header has been fitted to the new width: its observer runs before the next frame
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const header = document.querySelector("header");
  const hr = header.getBoundingClientRect();
  const cs = getComputedStyle(header);
  const shown = [...header.querySelectorAll(items)].filter((e) =>
    e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden");
  const name = (e) => e.id || e.textContent.trim();
  const box = (e) => { const r = e.getBoundingClientRect(); const m = getComputedStyle(e);
    return { name: name(e), left: r.left, right: r.right, top: r.top, bottom: r.bottom,
             outer: r.height + parseFloat(m.marginTop) + parseFloat(m.marginBottom) }; };
  const boxes = shown.map(box);
  // an item whose words wrap has two pieces of text one below the other
  const wrapped = shown.filter((e) => e.id !== "alarm-status").filter((e) => {
    const range = document.createRange(); range.selectNodeContents(e);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    return rects.some((a) => rects.some((b) => b.top >= a.bottom - 1));
  }).map(name);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5
        && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) overlaps.push([a.name, b.name]);
  }
  const width = document.documentElement.clientWidth;
  const clipped = boxes.filter((b) => b.left < -0.5 || b.right > width + 0.5 || b.top < hr.top - 0.5
    || b.bottom > hr.bottom + 0.5).map((b) => b.name)
    .concat(shown.filter((e) => e.scrollWidth > e.clientWidth + 1
                                || e.scrollHeight > e.clientHeight + 1)
      .map((e) => `${name(e)} (its own content)`));
  // one row: every item crosses the header's middle line, and the header is as tall as its
  // tallest item (or its fixed least height), not more
  const middle = hr.top + hr.height / 2;
  const offRow = boxes.filter((b) => !(b.top < middle && middle < b.bottom)).map((b) => b.name);
  const rowHeight = Math.max(parseFloat(cs.minHeight) || 0, parseFloat(cs.paddingTop)
    + parseFloat(cs.paddingBottom) + Math.max(...boxes.map((b) => b.outer)));
  return { height: hr.height, rowHeight, offRow, wrapped, overlaps, clipped,
           wider: document.documentElement.scrollWidth - width, items: boxes.map((b) => b.name) };
}
"""

#: whether the element is the one a pointer at its middle lands on (nothing covers it)
_ON_TOP = """(e) => { const r = e.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit !== null && (hit === e || e.contains(hit)); }"""


@pytest.fixture(scope="module")
def pages(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Any]]:
    """The pages of ``PAGES``, each logged in in its own browser context."""
    from playwright.sync_api import expect

    app, store, live = make_app(tmp_path_factory.mktemp("header"), settings=WebSettings(
        secret_key="header-test", cookie_secure=False))
    with store.transaction() as db:
        records.add_user(db, actor="test", username=LONG_NAME, role="admin",
                         password=LONG_PASSWORD)
    opened: list[Any] = []
    try:
        with serve(app) as url:
            for user, _, route in PAGES:
                page = login_page(browser, url, user, PASSWORDS.get(user, LONG_PASSWORD))
                opened.append(page)
                page.goto(f"{url}{route}")
                expect(page.locator("#who")).not_to_have_text("")
                if route.startswith("/station") or route == "/":
                    expect(page.locator("#alarm-status")).to_be_attached()
            yield opened
    finally:
        for page in opened:
            page.close()
        live.shutdown()
        store.close()


def _names(role: str, route: str) -> tuple[list[str], list[str]]:
    """The page links and the buttons a user of ``role`` must reach in the header of ``route``."""
    links = [title for _, title in nav_for(role)]
    buttons = ["Log out"] + (["EMERGENCY STOP"] if route.startswith("/station") else [])
    return links, buttons


def _reach(page: Any, user: str, role: str, route: str, width: int) -> list[str]:
    """Each page link and button by its accessible name: visible and uncovered in the row, or
    in the menu once the Menu button opens it by pointer, and by keyboard (Enter, then Tab
    through them). Returns what is missing."""
    header = page.locator("header")
    links, buttons = _names(role, route)
    wanted = [("link", n) for n in links] + [("button", n) for n in buttons]
    at = f"{route} at {width} px as {user}"
    in_row = [(r, n) for r, n in wanted
              if header.get_by_role(r, name=n, exact=True).is_visible()
              and header.get_by_role(r, name=n, exact=True).evaluate(_ON_TOP)]
    behind = [w for w in wanted if w not in in_row]
    if not behind:
        return []
    menu = header.get_by_role("button", name="Menu", exact=True)
    if not menu.is_visible():
        return [f"{at}: {behind} neither in the row nor behind a Menu button"]
    missing: list[str] = []
    nav = header.locator("#nav")
    menu.click()
    nav.wait_for(state="visible", timeout=5_000)
    for r, n in behind:
        item = header.get_by_role(r, name=n, exact=True)
        if not (item.is_visible() and item.evaluate(_ON_TOP)):
            missing.append(f"{at}: {r} {n!r} not shown by the opened menu")
    # the menu covers neither the emergency stop nor the Menu button that closes it
    for r, n in [("button", "Menu")] + [w for w in in_row if w[1] == "EMERGENCY STOP"]:
        if not header.get_by_role(r, name=n, exact=True).evaluate(_ON_TOP):
            missing.append(f"{at}: the open menu covers {n!r}")
    page.keyboard.press("Escape")
    try:
        nav.wait_for(state="hidden", timeout=5_000)
    except Exception:  # Playwright's TimeoutError
        missing.append(f"{at}: Escape did not close the menu")
    # by keyboard: Enter on Menu opens it, and Tab then goes through what it holds, in order
    menu.focus()
    page.keyboard.press("Enter")
    nav.wait_for(state="visible", timeout=5_000)
    for r, n in behind:
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => [document.activeElement.tagName,
                                          document.activeElement.textContent.trim()]""")
        tag = {"link": "A", "button": "BUTTON"}[r]
        if focused != [tag, n]:
            missing.append(f"{at}: Tab after Menu reached {focused}, not the {r} {n!r}")
            break
    page.keyboard.press("Escape")
    nav.wait_for(state="hidden", timeout=5_000)
    return missing


@settings(max_examples=12, deadline=None, derandomize=True)
@given(width=st.integers(NARROWEST_PX, WIDEST_PX))
@example(width=768)
@example(width=800)
@example(width=1024)
@example(width=1280)
@example(width=1366)
@example(width=1440)
@example(width=1920)
def test_the_header_is_one_row_from_1024_px_and_every_control_is_reachable_at_any_width(
        pages: list[Any], width: int) -> None:
    problems: list[str] = []
    height = 1024 if width < ONE_ROW_FROM_PX else 800
    for page, (user, role, route) in zip(pages, PAGES, strict=True):
        page.set_viewport_size({"width": width, "height": height})
        m = page.evaluate(_MEASURE, _ITEMS)
        at = f"{route} at {width} px as {user}"
        if m["wrapped"]:
            problems.append(f"{at}: words wrap inside {m['wrapped']}")
        if m["overlaps"]:
            problems.append(f"{at}: overlapping {m['overlaps']}")
        if m["clipped"]:
            problems.append(f"{at}: cut off {m['clipped']}")
        if m["wider"] > 0:
            problems.append(f"{at}: the page is {m['wider']} px wider than the screen")
        if width >= ONE_ROW_FROM_PX and (m["offRow"] or abs(m["height"] - m["rowHeight"]) > 1):
            problems.append(f"{at}: not one row: header {m['height']:.1f} px for a row of "
                            f"{m['rowHeight']:.1f} px, off the row {m['offRow']}")
        problems += _reach(page, user, role, route, width)
    assert problems == [], "\n".join(problems)


def test_the_menu_s_place_moves_nothing_on_the_station_page(pages: list[Any]) -> None:
    """Opening and closing the menu at a tablet's width moves none of the station page's
    controls (hazard H31): the menu opens over the page, not inside it."""
    page = pages[0]
    page.set_viewport_size({"width": NARROWEST_PX, "height": 1024})
    place = """() => [...document.querySelectorAll(".controls button, #estop, #menu-button")]
        .filter((e) => e.getClientRects().length > 0)
        .map((e) => { const r = e.getBoundingClientRect(); return [e.id, r.x, r.y]; })"""
    before = page.evaluate(place)
    assert len(before) >= 8, before
    page.locator("#menu-button").click()
    page.locator("#nav").wait_for(state="visible", timeout=5_000)
    assert page.evaluate(place) == before
    page.keyboard.press("Escape")
    page.locator("#nav").wait_for(state="hidden", timeout=5_000)
    assert page.evaluate(place) == before
    assert "compact" in (page.locator("header").get_attribute("class") or "").split()
