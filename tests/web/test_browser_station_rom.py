"""The station page shows the range of motion the reference walks now, and follows a change.

The sliders alone showed what was last typed, not what the robot walks; a therapist could
not tell from the page whether a ROM change had been applied (it applies at a stride's end).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import walking_station_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def test_the_page_shows_the_rom_in_use_and_follows_a_change(
        browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with walking_station_page(browser, tmp_path, "station-rom") as (page, live):
        expect(page.locator("#rom_hip_now")).to_have_text("1.00", timeout=30_000)
        expect(page.locator("#rom_knee_now")).to_have_text("1.00")
        # the change sent to the station (the page's own Set path is the change API's,
        # tested in test_browser.py); the page must show it once the reference walks it
        live.get("sim-1").change("rom", [1.1, 0.9], "therapist:t", confirmed=True)
        expect(page.locator("#rom_hip_now")).to_have_text("1.10", timeout=30_000)
        expect(page.locator("#rom_knee_now")).to_have_text("0.90")
        rom = live.get("sim-1").status()["rom_scale"]
        assert rom == [1.1, 0.9]
        # once applied the sliders follow the station again, not what was typed
        expect(page.locator("#rom_hip_v")).to_have_text("1.10")
