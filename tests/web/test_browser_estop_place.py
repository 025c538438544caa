"""The console's emergency stop stays where the therapist aims (hazard H27).

A full CI run pressed the red button and nothing happened for 30 s: the page's own updates
(a fault bar or the "simulated time behind the clock" line appearing, a sentence on
symmetry wrapping onto a second line) moved the button between the pointer going down and
coming up, so the click landed elsewhere. The button now sits in the header pinned to the
top of the window. Here the page's content changes in every way it can while the SIMULATED
station walks, and the button must neither move nor leave the window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import walking_station_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

#: everything the page's polls may change above or around the controls, at once
_GROW_THE_PAGE = """
() => {
  document.getElementById("behind").style.visibility = "visible";
  const bar = document.getElementById("faultbar");
  bar.hidden = false;
  bar.textContent = "emergency_stop: pressed on the console. ".repeat(6);
  document.getElementById("symmetry").textContent = "Symmetry: ".repeat(60);
  document.getElementById("alerts").textContent = "an alert line ".repeat(40);
  const rows = document.getElementById("strides");
  for (let i = 0; i < 8; i++) rows.insertRow().insertCell().textContent = `stride ${i}`;
}
"""

_PLACE = """
() => { const r = document.getElementById("estop").getBoundingClientRect();
        return [r.x, r.y, r.width, r.height, window.innerHeight]; }
"""


def test_the_emergency_stop_does_not_move_when_the_page_changes_or_scrolls(
        browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with walking_station_page(browser, tmp_path, "estop-place") as (page, _):
        before = page.evaluate(_PLACE)
        page.evaluate(_GROW_THE_PAGE)
        grown = page.evaluate(_PLACE)
        assert grown == before, f"the button moved from {before} to {grown}"
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        assert page.evaluate("window.scrollY") > 0  # the page does scroll
        scrolled = page.evaluate(_PLACE)
        assert scrolled == before, f"scrolling moved the button to {scrolled}"
        _, y, _, h, window_h = scrolled
        assert y >= 0, "the button left the window at its top"
        assert y + h <= window_h, "the button left the window at its bottom"
        # and the press still works from there (the grown page is only drawn over)
        page.click("#estop")
        expect(page.locator("#message")).to_have_text("estop sent", timeout=30_000)
