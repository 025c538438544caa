"""The between-session recovery model: bounds over the whole range, literature's shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.errors import UserError
from gaitway.planning.outcomes import assess, true_gait_speed_mps
from gaitway.planning.recovery import (
    DEFAULT_PARAMETERS,
    PatientTraits,
    TrainingDose,
    apply_to_profile,
    initial_state,
    mean_strength,
    recovered_share,
    update,
)
from gaitway.station.sim.profiles import PROFILES, generate_cohort, get_profile

MODERATE = get_profile("hemiparetic-left-moderate")


def _course(profile, *, seed: int, onset_d: float, weeks: int, guidance: float,
            bws: float = 30.0, steps: int = 2000, per_week: int = 5,
            participation_pct: float | None = None):
    state = initial_state(profile, seed=seed, days_since_onset_d=onset_d)
    for _ in range(weeks * per_week):
        dose = TrainingDose(minutes=30.0, steps=steps, guidance_pct=guidance, bws_pct=bws,
                            active_participation_pct=participation_pct)
        state = update(state, profile, dose, days_elapsed_d=7.0 / per_week)
    return state


doses = st.builds(
    TrainingDose,
    minutes=st.floats(0.0, 120.0), steps=st.integers(0, 6000),
    guidance_pct=st.floats(0.0, 100.0), bws_pct=st.floats(0.0, 100.0),
    active_participation_pct=st.one_of(st.none(), st.floats(-50.0, 150.0)))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(profile_id=st.sampled_from(sorted(PROFILES)), seed=st.integers(0, 2**31 - 1),
       onset=st.floats(0.0, 3650.0), days=st.floats(0.0, 60.0),
       dose_list=st.lists(doses, min_size=1, max_size=6))
def test_state_stays_in_range_and_maps_to_a_valid_profile(profile_id, seed, onset, days,
                                                          dose_list) -> None:
    base = PROFILES[profile_id]
    state = initial_state(base, seed=seed, days_since_onset_d=onset)
    for dose in dose_list:
        new = update(state, base, dose, days_elapsed_d=days)
        for side in ("left", "right"):
            s0 = mean_strength(base.side(side))
            assert s0 - 1e-9 <= new.strength(side) <= 1.0 + 1e-9
            assert 0.0 <= recovered_share(new, base, side) <= DEFAULT_PARAMETERS.training_cap_frac
            assert new.spasticity(side) >= 0.0
        assert 0.2 <= new.participation_frac <= 0.97
        assert new.endurance_min >= state.endurance_min - 1e-9
        assert new.sessions_done == state.sessions_done + 1
        assert math.isclose(new.days_since_onset_d, state.days_since_onset_d + days)
        state = new
    profile = apply_to_profile(base, state)  # the profile validates its own ranges
    assert profile.left.foot_drop <= base.left.foot_drop + 1e-12
    assert 0.0 <= assess(state, seed=seed, index=1).fac <= 5


def test_proportional_recovery_without_training_reaches_the_ratio_by_11_weeks() -> None:
    base = MODERATE
    state = initial_state(base, seed=5, days_since_onset_d=0.0)
    idle = TrainingDose(minutes=0.0, steps=0, guidance_pct=100.0, bws_pct=0.0)
    shares = []
    for _week in range(30):
        state = update(state, base, idle, days_elapsed_d=7.0)
        shares.append(recovered_share(state, base, "left"))
    ratio = PatientTraits.draw(5).ratio_frac
    assert shares[-1] == pytest.approx(ratio, abs=0.04)  # ~70 % of the lost function
    assert shares[10] >= 0.9 * shares[-1]  # most of it within the first 11 weeks
    assert shares[1] > shares[0]
    assert shares[-1] - shares[-5] < 0.01


def test_training_adds_to_spontaneous_recovery_with_a_plateau() -> None:
    none = _course(MODERATE, seed=2, onset_d=400.0, weeks=6, guidance=40.0, steps=0)
    some = _course(MODERATE, seed=2, onset_d=400.0, weeks=6, guidance=40.0, steps=1000)
    more = _course(MODERATE, seed=2, onset_d=400.0, weeks=6, guidance=40.0, steps=4000)
    huge = _course(MODERATE, seed=2, onset_d=400.0, weeks=40, guidance=0.0, steps=6000)
    r = [recovered_share(s, MODERATE, "left") for s in (none, some, more, huge)]
    assert r[0] < r[1] < r[2] < r[3] <= DEFAULT_PARAMETERS.training_cap_frac
    assert r[2] - r[1] < 4 * (r[1] - r[0])  # diminishing returns


def test_slacking_full_guidance_improves_less_than_assist_as_needed() -> None:
    gains = {}
    for guidance in (100.0, 40.0):
        speeds = [true_gait_speed_mps(_course(MODERATE, seed=s, onset_d=400.0, weeks=6,
                                              guidance=guidance)) for s in range(4)]
        gains[guidance] = float(np.mean(speeds))
    start = true_gait_speed_mps(initial_state(MODERATE, seed=0, days_since_onset_d=400.0))
    assert start < gains[100.0] < gains[40.0]
    guided = _course(MODERATE, seed=1, onset_d=400.0, weeks=6, guidance=100.0)
    aan = _course(MODERATE, seed=1, onset_d=400.0, weeks=6, guidance=40.0)
    assert guided.participation_frac < aan.participation_frac


def test_measured_participation_drives_the_dose() -> None:
    low = _course(MODERATE, seed=3, onset_d=400.0, weeks=4, guidance=60.0,
                  participation_pct=10.0)
    high = _course(MODERATE, seed=3, onset_d=400.0, weeks=4, guidance=60.0,
                   participation_pct=60.0)
    assert high.strength_left_frac > low.strength_left_frac


def test_six_weeks_of_subacute_training_walk_measurably_better() -> None:
    for profile in (MODERATE, *generate_cohort(2, seed=4)):
        s0 = initial_state(profile, seed=9, days_since_onset_d=14.0)
        s6 = _course(profile, seed=9, onset_d=14.0, weeks=6, guidance=50.0)
        assert true_gait_speed_mps(s6) > true_gait_speed_mps(s0) + 0.1
        after = apply_to_profile(profile, s6)
        side = profile.paretic_side or "left"
        assert after.side(side).knee_strength > profile.side(side).knee_strength
        assert after.side(side).foot_drop < profile.side(side).foot_drop


def test_seeded_and_patients_differ() -> None:
    a = _course(MODERATE, seed=11, onset_d=30.0, weeks=2, guidance=50.0)
    b = _course(MODERATE, seed=11, onset_d=30.0, weeks=2, guidance=50.0)
    c = _course(MODERATE, seed=12, onset_d=30.0, weeks=2, guidance=50.0)
    assert a == b
    assert a != c


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"minutes": -1.0}, "minutes"), ({"steps": -3}, "steps"),
    ({"guidance_pct": 120.0}, "guidance"), ({"bws_pct": math.nan}, "bws"),
])
def test_bad_dose_is_one_clear_error(kwargs, match) -> None:
    values = {"minutes": 10.0, "steps": 100, "guidance_pct": 50.0, "bws_pct": 20.0, **kwargs}
    with pytest.raises(UserError, match=match):
        TrainingDose(**values)


def test_state_of_another_profile_is_refused() -> None:
    state = initial_state(MODERATE, seed=1, days_since_onset_d=10.0)
    with pytest.raises(UserError, match="profile"):
        apply_to_profile(get_profile("healthy"), state)
