"""The station page sets each controller's own settings (path tunnel and flow, support
bounds, resistance) while that controller runs, and shows the values in use.

Before, the API took only guidance, support, speed, controller and range of motion: a
therapist who switched to resistance could not set how much, and the page said the path
controller's tunnel could be set while nothing on it could set it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import press, shot, walking_station_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_the_page_sets_the_running_controllers_own_settings(
        browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with walking_station_page(browser, tmp_path, "station-controller-settings") as (page, live):
        groups = {k: page.locator(f'[data-change="{k}"]')
                  for k in ("tunnel_width", "path_flow", "support_bounds", "resistance")}
        for g in groups.values():  # guidance has no settings of its own
            expect(g).to_be_hidden()
        page.once("dialog", lambda d: d.accept())  # a controller switch asks first
        page.get_by_label("Controller").select_option("resist")
        press(page, "#set_controller")
        expect(page.locator("#controller_now")).to_have_text("resist", timeout=30_000)
        expect(groups["resistance"]).to_be_visible(timeout=10_000)
        for k in ("tunnel_width", "path_flow", "support_bounds"):
            expect(groups[k]).to_be_hidden()
        # the sliders show the resistance in use (the session's: 1.0 N*m*s/rad, 0 N*m)
        expect(page.locator("#resist_damping_v")).to_have_text("1.0")
        expect(page.locator("#resist_torque_v")).to_have_text("0.0")
        page.locator("#resist_damping").fill("1.5")
        page.locator("#resist_torque").fill("4")
        press(page, "#set_resistance")
        expect(page.locator("#message")).to_have_text("change sent", timeout=30_000)
        st = live.get("sim-1")
        deadline = 30_000
        applied = page.locator("#events > div", has_text="change_applied")
        expect(applied.filter(has_text="change resistance, value 1.5 / 4")).to_have_count(
            1, timeout=deadline)
        now = st.status()["controller_settings"]
        assert (now["resist_damping_nm_s_rad"], now["resist_torque_nm"]) == (1.5, 4.0)
        expect(page.locator("#resist_damping_v")).to_have_text("1.5")
        expect(page.locator("#resist_torque_v")).to_have_text("4.0")
        shot(page, "station-resistance")
        # assist-as-needed: its support bounds, and nothing of resistance's
        page.once("dialog", lambda d: d.accept())
        page.get_by_label("Controller").select_option("aan")
        press(page, "#set_controller")
        expect(page.locator("#controller_now")).to_have_text("aan", timeout=30_000)
        expect(groups["support_bounds"]).to_be_visible(timeout=10_000)
        expect(groups["resistance"]).to_be_hidden()
        page.locator("#support_min").fill("40")
        page.locator("#support_max").fill("90")
        press(page, "#set_support_bounds")
        expect(page.locator("#message")).to_have_text("change sent", timeout=30_000)
        expect(applied.filter(has_text="change support_bounds, value 0.4 / 0.9")).to_have_count(
            1, timeout=deadline)
        expect(page.locator("#support_min_v")).to_have_text("40")
        expect(page.locator("#support_max_v")).to_have_text("90")
