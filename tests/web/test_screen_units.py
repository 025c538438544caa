"""The console's change kinds in screen units: one table, every controller's settings in it,
conversions over the whole range, a clear refusal of a value of the wrong form."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.changes import ChangeKind
from gaitway.control.registry import CONTROLLERS
from gaitway.errors import UserError
from gaitway.gait.reference import RomSettings
from gaitway.web.screen_units import CHANGE_KINDS, SCREEN_CHANGES, to_channel


def test_every_setting_a_controller_offers_the_console_is_a_kind_the_api_takes() -> None:
    # the page shows a control for each of a controller's console_changes: the API must
    # take each of them (before, path's tunnel_width and AAN's support_bounds were refused)
    for spec in CONTROLLERS.values():
        assert set(spec.console_changes) <= set(CHANGE_KINDS), spec.name
    assert len({c.kind for c in SCREEN_CHANGES.values()}) == len(SCREEN_CHANGES)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(x=st.floats(-1e6, 1e6, allow_nan=False), y=st.floats(-1e6, 1e6, allow_nan=False))
def test_screen_values_become_the_channels_units(x: float, y: float) -> None:
    assert to_channel("guidance", x) == (ChangeKind.GUIDANCE, x / 100.0)
    assert to_channel("bws", x) == (ChangeKind.BWS, x / 100.0)
    assert to_channel("speed", x) == (ChangeKind.SPEED, x / 3.6)
    assert to_channel("tunnel_width", x) == (ChangeKind.TUNNEL_WIDTH, math.radians(x))
    assert to_channel("path_flow", x) == (ChangeKind.PATH_FLOW, x)
    assert to_channel("support_bounds", [x, y]) == (ChangeKind.SUPPORT_BOUNDS,
                                                    (x / 100.0, y / 100.0))
    assert to_channel("resistance", [x, y]) == (ChangeKind.RESISTANCE, (x, y))


def test_rom_and_controller_keep_their_forms() -> None:
    kind, rom = to_channel("rom", [1.1, 0.9])
    assert kind is ChangeKind.ROM
    assert isinstance(rom, RomSettings)
    assert (rom.hip.scale, rom.knee.scale) == (1.1, 0.9)
    assert to_channel("controller", "aan") == (ChangeKind.CONTROLLER, "aan")


@pytest.mark.parametrize("kind", CHANGE_KINDS)
@pytest.mark.parametrize("value", [True, None, {"a": 1}, [1.0, 2.0, 3.0], [True, 1.0]])
def test_a_value_of_the_wrong_form_is_refused_saying_what_to_send(kind: str,
                                                                  value: object) -> None:
    with pytest.raises(UserError, match=kind if kind != "controller" else "controller needs"):
        to_channel(kind, value)


@pytest.mark.parametrize("kind", ["warp", "", None, 3, "Guidance"])
def test_an_unknown_kind_is_refused_with_the_list(kind: object) -> None:
    with pytest.raises(UserError, match="kind must be one of guidance, bws, speed"):
        to_channel(kind, 1.0)
