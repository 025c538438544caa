"""The station page's controls stay where the therapist aims while the page updates (hazard H31).

Two CI runs lost a press (Assign, a controller's Set) with the page's message never even
"sending": the click did not reach the button. Playwright, like a hand, goes down on the
target and comes up wherever the target is then; the station page's content above the
controls (the fault and stale bars, the "behind the clock" line, the alerts, the symmetry
words, the stride table when the columns stack) grew and shrank with its once-a-second
updates; and the notice that the alarm sound is off left the page on the first press, the
very press that turned the sound on (test_browser_alarm_press.py). Here every one of those
contents changes, alone and all at once, inside one synchronous script (no poll can undo it
between the change and the measurement), at the widths a clinic uses, and no control of the
controls panel, nor the emergency stop, may move.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import press, walking_station_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

#: each way the page's own updates change its content, as the station page's script does it
_CHANGES = (Path(__file__).parent / "station_page_changes.js").read_text().strip()

#: every change alone, then all at once; returns the controls that moved (id, before, after)
_MOVES = """
(changes) => {
  const made = (__CHANGES__)();
  const controls = [...document.querySelectorAll(
    ".controls button, .controls input, .controls select, #estop, #event-kind")]
    .filter((e) => e.getClientRects().length > 0);
  const place = () => Object.fromEntries(controls.map((e) => {
    const r = e.getBoundingClientRect(); return [e.id, [r.x, r.y, r.width, r.height]]; }));
  const same = (a, b) => a.every((v, i) => Math.abs(v - b[i]) < 0.5);
  const before = place();
  const moved = [];
  const check = (what) => { const now = place();
    for (const id in before) {
      if (!same(before[id], now[id])) moved.push([what, id, before[id], now[id]]);
    } };
  for (const name of changes) { made[name](); check(name); }
  check("all at once");
  return [Object.keys(before).length, moved];
}
""".replace("__CHANGES__", _CHANGES)

_NAMES = ["title", "fault_bar", "stale_bar", "no_bars", "behind", "state_values", "alerts",
          "symmetry", "strides", "message", "last_session", "alarm_sound", "prescription",
          "controller_settings"]

#: a desktop, the tests' laptop, a tablet held upright (columns stacked)
_WIDTHS = [(1400, 900), (1024, 768), (768, 1024)]


def test_no_control_moves_when_the_page_updates_at_any_clinic_width(
        browser: Any, tmp_path: Path) -> None:
    with walking_station_page(browser, tmp_path, "station-layout") as (page, _):
        for width, height in _WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate("window.scrollTo(0, 0)")
            count, moved = page.evaluate(_MOVES, _NAMES)
            assert count >= 15, f"{width} px: only {count} controls found"
            assert moved == [], f"{width} px: controls moved: {moved[:6]}"
        # the columns stack on the tablet: the controls come first, above the traces
        order = page.evaluate("""() => [
            document.querySelector(".controls").getBoundingClientRect().y,
            document.getElementById("hip").getBoundingClientRect().y]""")
        assert order[0] < order[1], f"on a tablet the controls sit below the traces: {order}"
        # a long fault stays readable in its fixed slot: the bar scrolls its own text
        fault = page.evaluate("""() => { const b = document.getElementById("faultbar");
            b.hidden = false; b.textContent = "SAFETY STOP: interaction force. ".repeat(40);
            return [b.scrollHeight > b.clientHeight, getComputedStyle(b).overflowY]; }""")
        assert fault == [True, "auto"], f"a fault longer than its slot cannot be read: {fault}"

def test_the_slot_says_no_fault_and_a_press_still_works_after_the_page_grew(
        browser: Any, tmp_path: Path) -> None:
    """The fixed slot is not an empty band: with no fault and a fresh read it says so; and a
    press made right after the page's content changed in every way reaches its button."""
    from playwright.sync_api import expect

    with walking_station_page(browser, tmp_path, "station-layout-slot") as (page, _):
        page.set_viewport_size({"width": 1024, "height": 768})
        expect(page.locator("#allclear")).to_be_visible()
        expect(page.locator("#faultbar")).to_be_hidden()
        grow = "(names) => { const made = (__CHANGES__)(); for (const n of names) made[n](); }"
        page.evaluate(grow.replace("__CHANGES__", _CHANGES), [n for n in _NAMES if n != "no_bars"])
        press(page, "#pause")
        expect(page.locator("#message")).to_have_text("pause sent", timeout=30_000)
        expect(page.locator("#state")).to_have_text("paused", timeout=30_000)

