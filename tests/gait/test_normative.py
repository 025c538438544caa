"""The normative slow-walking curves and the figures the twin is held to."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.gait.normative import (
    BAND_WIDENING_DEG,
    CYCLE_POINTS,
    NORMATIVE_JOINTS,
    agreement,
    slow_walking,
)


def test_curves_carry_the_published_landmarks_of_slow_walking() -> None:
    knee = slow_walking("knee").mean_deg
    assert 70 <= 40 + int(np.argmax(knee[40:])) <= 75  # swing peak
    assert 12 <= float(np.max(knee[:30])) <= 20  # loading response
    assert 37 <= knee[80] <= 55
    assert 26 <= knee[85] <= 45
    assert 8 <= knee[90] <= 25
    hip = slow_walking("hip").mean_deg
    assert float(np.min(hip)) < -3
    assert 40 <= int(np.argmin(hip)) <= 60
    ankle = slow_walking("ankle").mean_deg
    assert 55 <= int(np.argmin(ankle)) <= 70  # push-off plantarflexion after toe-off's approach
    for j in NORMATIVE_JOINTS:
        c = slow_walking(j)
        assert c.mean_deg.shape == c.sd_deg.shape == (CYCLE_POINTS,)
        assert abs(c.mean_deg[0] - c.mean_deg[-1]) < 1e-9  # periodic
        assert np.all(c.sd_deg >= 1.0)


def test_the_mean_agrees_with_itself_and_a_late_knee_does_not() -> None:
    mean = slow_walking("knee").mean_deg
    a = agreement("knee", mean)
    assert a.correlation == pytest.approx(1.0)
    assert a.band_fraction == 1.0
    assert a.rmse_deg == 0
    early = np.roll(mean, -10)  # the swing 10 % of the cycle early: the twin's old defect
    b = agreement("knee", early)
    assert b.correlation < 0.9
    assert b.band_fraction < 0.7
    assert b.peak_pct < 66


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(joint=st.sampled_from(NORMATIVE_JOINTS), offset=st.floats(-30.0, 30.0))
def test_band_is_mean_plus_sd_plus_the_widening(joint: str, offset: float) -> None:
    c = slow_walking(joint)
    shifted = c.mean_deg + offset
    inside = float(np.mean(np.abs(offset) <= c.sd_deg + BAND_WIDENING_DEG))
    assert agreement(joint, shifted).band_fraction == pytest.approx(inside)


def test_bad_input_says_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="101 points"):
        agreement("knee", np.zeros(50))
    with pytest.raises(ValueError, match="no normative curve"):
        slow_walking("elbow")
