"""The next-session rules: bounded steps, each with its reason, over the whole range."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.settings import ROM_SCALE
from gaitway.errors import UnwalkableError
from gaitway.gait.reference import DEFAULT_HEIGHT_M, check_walkable
from gaitway.planning.rules import (
    BWS_STEP_PCT,
    DURATION_STEP_MIN,
    GUIDANCE_STEP_PCT,
    MAX_DURATION_MIN,
    MIN_GUIDANCE_PCT,
    SPEED_STEP_KMH,
    SessionSnapshot,
    TrainingSettings,
    next_settings,
)

GOOD = SessionSnapshot(complete=True, safety_stop=False, tracking_error_rms_deg=2.0,
                       active_participation_pct=30.0, symmetry_index_pct=10.0)
H = DEFAULT_HEIGHT_M
START = TrainingSettings(duration_min=20.0, speed_kmh=1.5, guidance_pct=60.0, bws_pct=30.0)


def test_steady_sessions_take_support_away_with_reasons() -> None:
    rising = [GOOD, SessionSnapshot(True, False, 2.1, 31.0, 10.0),
              SessionSnapshot(True, False, 2.4, 35.0, 12.0)]
    new, steps = next_settings(START, rising, height_m=H)
    assert new.guidance_pct == 50.0
    assert new.bws_pct == 25.0
    assert new.speed_kmh == 1.7
    assert new.duration_min == 25.0
    sentence = steps[0].sentence()
    assert sentence.startswith("guidance 60 -> 50 %: tracking error stayed under 3 deg for 3 "
                               "sessions while active participation rose")


def test_too_few_sessions_keep_the_settings() -> None:
    assert next_settings(START, [GOOD, GOOD], height_m=H) == (START, ())
    assert next_settings(START, [], height_m=H) == (START, ())


def test_a_safety_stop_or_poor_tracking_gives_help_back() -> None:
    stop = SessionSnapshot(False, True, 2.0, 30.0, 10.0)
    new, steps = next_settings(START, [GOOD, GOOD, stop], height_m=H)
    assert new.guidance_pct == 70.0
    assert "safety stop" in steps[0].reason
    poor = SessionSnapshot(True, False, 7.5, 30.0, 10.0)
    new, steps = next_settings(START, [GOOD, GOOD, poor], height_m=H)
    assert (new.guidance_pct, len(steps)) == (70.0, 1)
    assert "7.5 deg" in steps[0].reason


snapshots = st.builds(
    SessionSnapshot, complete=st.booleans(), safety_stop=st.booleans(),
    tracking_error_rms_deg=st.one_of(st.none(), st.floats(0.0, 30.0)),
    active_participation_pct=st.one_of(st.none(), st.floats(0.0, 100.0)),
    symmetry_index_pct=st.one_of(st.none(), st.floats(0.0, 100.0)))
all_settings = st.builds(
    TrainingSettings, duration_min=st.floats(1.0, 120.0), speed_kmh=st.floats(0.5, 3.2),
    guidance_pct=st.floats(0.0, 100.0), bws_pct=st.floats(0.0, 80.0))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(current=all_settings, recent=st.lists(snapshots, max_size=6))
def test_every_step_is_bounded_and_explained(current, recent) -> None:
    new, steps = next_settings(current, recent, height_m=H)
    assert abs(new.guidance_pct - current.guidance_pct) <= GUIDANCE_STEP_PCT + 1e-9
    assert 0.0 <= new.guidance_pct <= 100.0
    assert new.guidance_pct >= min(current.guidance_pct, MIN_GUIDANCE_PCT)
    assert 0.0 <= current.bws_pct - new.bws_pct <= BWS_STEP_PCT + 1e-9
    assert 0.0 <= new.speed_kmh - current.speed_kmh <= SPEED_STEP_KMH + 1e-9
    assert new.speed_kmh <= 3.2
    assert 0.0 <= new.duration_min - current.duration_min <= DURATION_STEP_MIN + 1e-9
    assert new.duration_min <= max(MAX_DURATION_MIN, current.duration_min)
    assert (new == current) == (not steps)
    for s in steps:
        assert s.old != s.new
        assert len(s.reason) > 10
    if recent and (recent[-1].safety_stop or not recent[-1].complete):
        assert new.guidance_pct >= current.guidance_pct
        assert new.bws_pct == current.bws_pct


def test_the_belt_is_never_proposed_faster_than_the_range_of_motion_walks() -> None:
    """A halved hip range walks up to 2.0 km/h at 1.75 m (the legs' stance must cover 70 % of
    the belt's travel): steady sessions at 1.9 km/h step the belt to 2.0 and no further,
    while support and guidance still come down."""
    small = TrainingSettings(duration_min=20.0, speed_kmh=1.9, guidance_pct=60.0, bws_pct=30.0,
                             hip_rom_scale=0.5)
    with pytest.raises(UnwalkableError):  # the step the rules took before: 2.1 km/h
        check_walkable(2.1 / 3.6, H, small.rom, min_speed_m_s=0.5 / 3.6)
    steady = [GOOD, GOOD, GOOD]
    new, _ = next_settings(small, steady, height_m=H)
    assert new.speed_kmh == 2.0
    again, steps = next_settings(new, steady, height_m=H)
    assert again.speed_kmh == 2.0
    assert again.guidance_pct < new.guidance_pct
    assert all(s.setting != "belt speed" for s in steps)
    # a shorter patient walks the same range slower: the step stops sooner
    short, _ = next_settings(small, steady, height_m=1.5)
    assert short.speed_kmh == 1.9


walkable_settings = st.builds(
    TrainingSettings, duration_min=st.floats(1.0, 120.0), speed_kmh=st.floats(0.5, 3.2),
    guidance_pct=st.floats(0.0, 100.0), bws_pct=st.floats(0.0, 80.0),
    hip_rom_scale=st.floats(*ROM_SCALE), knee_rom_scale=st.floats(*ROM_SCALE))


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(current=walkable_settings, recent=st.lists(snapshots, min_size=3, max_size=6),
       height=st.floats(1.0, 2.3))
def test_no_proposal_is_one_a_session_would_refuse(current, recent, height) -> None:
    """Over the whole proposal space (every setting, range of motion and height the store
    accepts): from settings a session accepts, the rules never propose ones it refuses."""
    try:
        check_walkable(current.speed_kmh / 3.6, height, current.rom, min_speed_m_s=0.5 / 3.6)
    except UnwalkableError:
        # the store refuses these: a session never starts from them; no step makes it worse
        new, _ = next_settings(current, recent, height_m=height)
        assert new.speed_kmh == current.speed_kmh
        return
    new, _ = next_settings(current, recent, height_m=height)
    check_walkable(new.speed_kmh / 3.6, height, new.rom, min_speed_m_s=0.5 / 3.6)
