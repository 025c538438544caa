"""The reference bank: prebuilt tables on a grid of belt speeds, held to the set speed."""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.belt import MAX_SPEED_M_S, MIN_SPEED_M_S
from gaitway.control.refbank import GRID_STEP_M_S, ReferenceBank
from gaitway.control.settings import ROM_SCALE
from gaitway.gait.reference import JointRom, ReferenceGait, RomSettings


@functools.cache
def _bank(rom: float) -> ReferenceBank:
    return ReferenceBank(height_m=1.75, rom=RomSettings(hip=JointRom(rom), knee=JointRom(rom)))


def _grid(speed_m_s: float) -> float:
    k = round((min(max(speed_m_s, MIN_SPEED_M_S), MAX_SPEED_M_S) - MIN_SPEED_M_S)
              / GRID_STEP_M_S)
    return min(MIN_SPEED_M_S + k * GRID_STEP_M_S, MAX_SPEED_M_S)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(kmh=st.floats(0.0, 3.2), set_kmh=st.floats(0.0, 3.2),
       rom=st.sampled_from([ROM_SCALE[0], 1.0, ROM_SCALE[1]]))
def test_a_table_held_at_the_set_speed_is_the_held_gait_of_its_grid_speeds(
        kmh: float, set_kmh: float, rom: float) -> None:
    """The table a tick takes while the belt ramps to its set speed is the gait of the
    belt's grid speed held at the set speed's grid speed (as built, to rounding), made once
    and then reused; a set speed no faster than the belt gives the belt's own table."""
    bank = _bank(rom)
    v, hold = kmh / 3.6, set_kmh / 3.6
    got = bank.nearest(v, hold)
    own = bank.nearest(v)
    built = ReferenceGait(speed_m_s=_grid(v), height_m=1.75, rom=bank.rom,
                          hold_speed_m_s=_grid(hold))
    assert got.belt_factor == built.belt_factor >= own.belt_factor
    assert got.stride_time_s == own.stride_time_s
    for joint in ("hip", "knee", "ankle"):
        np.testing.assert_allclose(got.table(joint), built.table(joint), rtol=0, atol=1e-12)
    assert bank.nearest(v, hold) is got
    if _grid(hold) <= _grid(v):
        assert got is own
