"""Range of motion against the belt: a reference whose stance cannot follow the belt's travel
is refused with one line naming the fix (issue 12 item 4: hip and knee x0.5 at 3.2 km/h ran
into interaction_force within 2.1 s, SIMULATED)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.settings import ROM_SCALE
from gaitway.errors import UserError
from gaitway.gait.reference import (
    MAX_BELT_COVERAGE,
    MIN_BELT_COVERAGE,
    JointRom,
    ReferenceGait,
    RomSettings,
    belt_factor,
    check_walkable,
    stride_time_s,
)

_MIN_V = 0.5 / 3.6
_BOUNDED = settings(max_examples=40, deadline=None, derandomize=True, database=None)


def _rom(hip: float, knee: float) -> RomSettings:
    return RomSettings(hip=JointRom(scale=hip), knee=JointRom(scale=knee))


def _foot_travel_m(ref: ReferenceGait, height_m: float) -> float:
    """The foot's backward travel relative to the hip in stance, by planar leg geometry
    (thigh 0.245 H, shank 0.246 H, Winter), independent of the module's own helper."""
    hip, knee = ref.table("hip"), ref.table("knee")
    n = hip.size - 1
    stance = slice(0, int(ref.stance_fraction * n) + 1)
    x = [0.245 * height_m * math.sin(h) + 0.246 * height_m * math.sin(h - k)
         for h, k in zip(hip[stance], knee[stance], strict=True)]
    return max(x) - min(x)


@_BOUNDED
@given(hip=st.floats(0.5, 1.5), knee=st.floats(0.5, 1.5), kmh=st.floats(0.5, 3.2),
       height=st.floats(1.5, 2.0))
def test_a_range_is_accepted_exactly_when_its_stance_covers_the_belt(
        hip: float, knee: float, kmh: float, height: float) -> None:
    v = kmh / 3.6
    ref = ReferenceGait(speed_m_s=v, height_m=height, rom=_rom(hip, knee))
    coverage = _foot_travel_m(ref, height) / (v * ref.stride_time_s * ref.stance_fraction)
    if coverage >= MIN_BELT_COVERAGE * 1.01:
        check_walkable(v, height, _rom(hip, knee), min_speed_m_s=_MIN_V)
    elif coverage < MIN_BELT_COVERAGE * 0.99:
        with pytest.raises(UserError, match="belt's travel"):
            check_walkable(v, height, _rom(hip, knee), min_speed_m_s=_MIN_V)


def test_half_the_range_at_the_top_speed_is_refused_with_what_to_do() -> None:
    rom = _rom(0.5, 0.5)
    with pytest.raises(UserError) as err:
        check_walkable(3.2 / 3.6, 1.75, rom, min_speed_m_s=_MIN_V)
    msg = str(err.value)
    assert "\n" not in msg
    assert "3.2 km/h" in msg
    assert "% of the belt's travel" in msg
    # both fixes it names are accepted
    hip = float(msg.split("hip range of motion to x")[1].split()[0])
    kmh = float(msg.split("lower the speed to ")[1].split()[0])
    check_walkable(3.2 / 3.6, 1.75, _rom(hip, 0.5), min_speed_m_s=_MIN_V)
    check_walkable(kmh / 3.6, 1.75, rom, min_speed_m_s=_MIN_V)
    with pytest.raises(UserError):  # and they are the edge: a step beyond is refused
        check_walkable(3.2 / 3.6, 1.75, _rom(hip - 0.05, 0.5), min_speed_m_s=_MIN_V)


#: how far past the belt's travel a stance may reach: the factor's solver works to 1e-6 of
#: the excursion, and the coverage grows by at most ~2 per unit of it (0.5 km/h, x1.5), so
#: 1e-5 of the belt's travel in stance (about 0.003 mm at 0.5 km/h, 1.75 m) bounds it
_COVER_TOL = 1e-5
#: a range this small covers at most a quarter of the belt at any speed and height: its curves
#: are the recorded ones scaled about their means, whatever the belt does
_TINY = 0.1


def _as_on_main(tiny: ReferenceGait, hip: float, knee: float) -> dict[str, np.ndarray]:
    """The tables of the set range with no belt shrink (as on main before the shrink), from a
    reference of range x0.1: a range scales the excursion about the mean linearly."""
    out = {}
    for joint, scale in (("hip", hip), ("knee", knee)):
        t = tiny.table(joint)
        mean = float(t[:-1].mean())
        out[joint] = mean + scale / _TINY * (t - mean)
    return out


def _coverage(hip: np.ndarray, knee: np.ndarray, ref: ReferenceGait, height: float) -> float:
    n = hip.size - 1
    stance = slice(0, int(ref.stance_fraction * n) + 1)
    x = 0.245 * height * np.sin(hip[stance]) + 0.246 * height * np.sin(hip[stance] - knee[stance])
    return float(x.max() - x.min()) / (ref.speed_m_s * ref.stride_time_s * ref.stance_fraction)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(kmh=st.floats(0.5, 3.2), height=st.floats(1.0, 2.3), hip=st.floats(*ROM_SCALE),
       knee=st.floats(*ROM_SCALE))
def test_the_stance_never_covers_more_than_the_belt_and_a_range_that_fits_is_kept(
        kmh: float, height: float, hip: float, knee: float) -> None:
    """The planted foot cannot go back further than the belt takes it: at 0.5 km/h the
    recorded curves swept 1.87 of the belt's travel and guidance pushed the loaded hip into
    extension (cuff peaks 80-89 N*m, SIMULATED). Over the speeds, heights and ranges a
    session takes: the stance covers at most the belt's travel (by an independent leg
    geometry); a set range that covers no more is kept exactly as set; one that would cover
    more keeps its shape, hip and knee shrunk by one factor to exactly the belt's travel;
    the cadence is always the belt's."""
    v = kmh / 3.6
    ref = ReferenceGait(speed_m_s=v, height_m=height, rom=_rom(hip, knee))
    tiny = ReferenceGait(speed_m_s=v, height_m=height, rom=_rom(_TINY, _TINY))
    assert _coverage(tiny.table("hip"), tiny.table("knee"), tiny, height) < 0.3
    main = _as_on_main(tiny, hip, knee)
    held = _coverage(ref.table("hip"), ref.table("knee"), ref, height)
    as_set = _coverage(main["hip"], main["knee"], ref, height)
    assert held <= MAX_BELT_COVERAGE + _COVER_TOL
    assert ref.stride_time_s == stride_time_s(v, height)
    assert np.array_equal(ref.table("ankle"), tiny.table("ankle"))
    if as_set <= MAX_BELT_COVERAGE - _COVER_TOL:
        for joint in ("hip", "knee"):
            np.testing.assert_allclose(ref.table(joint), main[joint], rtol=0, atol=1e-12)
    elif as_set >= MAX_BELT_COVERAGE + _COVER_TOL:
        assert held >= MAX_BELT_COVERAGE - _COVER_TOL
        _assert_shrunk(ref, main, ref.belt_factor)
        assert ref.belt_factor < 1.0


def _assert_shrunk(ref: ReferenceGait, main: dict[str, np.ndarray], factor: float) -> None:
    """Hip and knee are ``main``'s tables shrunk about their means by ``factor``."""
    for joint in ("hip", "knee"):
        m = main[joint]
        mean = float(m[:-1].mean())
        np.testing.assert_allclose(ref.table(joint), mean + factor * (m - mean), rtol=0,
                                   atol=1e-9)


@_BOUNDED
@given(kmh=st.floats(0.5, 3.2), height=st.floats(1.0, 2.3), rom=st.floats(*ROM_SCALE),
       stance=st.floats(0.45, 0.8))
def test_a_leg_with_its_own_stance_shares_the_factor(kmh: float, height: float, rom: float,
                                                     stance: float) -> None:
    """The virtual patient's legs (each with its own stance fraction, built from the same
    curves) shrink by the robot's factor at the same speed and range, so that the patient
    walks as short a step as the robot leads."""
    v = kmh / 3.6
    robot = ReferenceGait(speed_m_s=v, height_m=height, rom=_rom(rom, rom))
    leg = ReferenceGait(speed_m_s=v, height_m=height, rom=_rom(rom, rom), stance_fraction=stance)
    tiny = ReferenceGait(speed_m_s=v, height_m=height, rom=_rom(_TINY, _TINY),
                         stance_fraction=stance)
    assert leg.belt_factor == robot.belt_factor
    _assert_shrunk(leg, _as_on_main(tiny, rom, rom), robot.belt_factor)


@_BOUNDED
@given(kmh=st.floats(0.1, 3.2), set_kmh=st.floats(0.0, 3.2), height=st.floats(1.0, 2.3),
       hip=st.floats(*ROM_SCALE), knee=st.floats(*ROM_SCALE), stance=st.floats(0.45, 0.8))
def test_a_gait_is_held_at_the_set_speed_while_the_belt_ramps_to_it(
        kmh: float, set_kmh: float, height: float, hip: float, knee: float,
        stance: float) -> None:
    """While the belt is slower than it is set to (a start, a resume, a pause's run-down),
    the hold is the set speed's: the belt's speed's own curves and cadence, hip and knee
    shrunk by the belt factor of the faster of the two speeds (held at each speed passed
    through, a restarting belt shrank the gait toward no stance sweep: factor 0.22 at
    0.1 km/h). The cheap copy a control tick takes (``with_belt_factor``) is the same gait."""
    v, hold = kmh / 3.6, set_kmh / 3.6
    rom = _rom(hip, knee)
    own = ReferenceGait(speed_m_s=v, height_m=height, rom=rom, stance_fraction=stance)
    held = ReferenceGait(speed_m_s=v, height_m=height, rom=rom, stance_fraction=stance,
                         hold_speed_m_s=hold)
    assert held.belt_factor == belt_factor(max(v, hold), height, rom) >= own.belt_factor
    assert held.stride_time_s == own.stride_time_s == stride_time_s(v, height)
    tiny = ReferenceGait(speed_m_s=v, height_m=height, rom=_rom(_TINY, _TINY),
                         stance_fraction=stance)
    main = _as_on_main(tiny, hip, knee)
    _assert_shrunk(held, main, held.belt_factor)
    assert np.array_equal(held.table("ankle"), own.table("ankle"))
    copied = own.with_belt_factor(held.belt_factor)
    assert copied.belt_factor == held.belt_factor
    assert copied.belt_coverage == pytest.approx(held.belt_coverage, rel=1e-9)
    for joint in ("hip", "knee", "ankle"):
        np.testing.assert_allclose(copied.table(joint), held.table(joint), rtol=0, atol=1e-12)
    for phase in (0.0, 0.13, 0.5, 0.77):
        np.testing.assert_allclose(copied.hip_knee(phase), held.hip_knee(phase), rtol=0,
                                   atol=1e-9)


@pytest.mark.parametrize("kmh", [0.5, 2.0, 3.2])
def test_the_recorded_range_is_accepted_and_unchanged(kmh: float) -> None:
    ref = check_walkable(kmh / 3.6, 1.75, RomSettings(), min_speed_m_s=_MIN_V)
    assert ref.stride_time_s == stride_time_s(kmh / 3.6, 1.75)
    plain = ReferenceGait(speed_m_s=kmh / 3.6, height_m=1.75)
    assert np.array_equal(ref.table("hip"), plain.table("hip"))


@_BOUNDED
@given(kmh=st.floats(0.5, 3.2), height=st.floats(1.0, 2.3))
def test_the_recorded_range_is_never_refused(kmh: float, height: float) -> None:
    check_walkable(kmh / 3.6, height, RomSettings(), min_speed_m_s=_MIN_V)
