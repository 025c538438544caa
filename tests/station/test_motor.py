"""The virtual patient's effort rule (error and effort, Emken et al. 2007): slacking under
help that removes the error, more effort when the error grows, always within its bounds."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.station.sim.motor import EffortLearner, EffortRule

RULE = EffortRule()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(drive=st.floats(0.0, 1.0), error=st.floats(0.0, 1.0),
       strength=st.floats(0.0, 1.0))
def test_drive_stays_within_floor_and_ceiling(drive: float, error: float,
                                              strength: float) -> None:
    u = RULE.next_drive(drive, error, RULE.tolerance_for(strength))
    assert RULE.floor <= u <= 1.0


@settings(max_examples=40, deadline=None, derandomize=True)
@given(drive=st.floats(0.2, 1.0), low=st.floats(0.0, 0.2), extra=st.floats(0.001, 0.3))
def test_more_error_never_less_effort(drive: float, low: float, extra: float) -> None:
    tol = RULE.tolerance_for(1.0)
    assert RULE.next_drive(drive, low + extra, tol) >= RULE.next_drive(drive, low, tol)


def test_help_that_removes_the_error_makes_the_patient_slack() -> None:
    """Within the tolerance the drive decays by the forgetting factor each stride, to the
    floor: 60 strides (about a minute and a half at 2 km/h) take it below a tenth of its
    start above the floor."""
    u = 1.0
    tol = RULE.tolerance_for(1.0)
    for _ in range(60):
        u = RULE.next_drive(u, 0.5 * tol, tol)
    assert u - RULE.floor < 0.1 * (1.0 - RULE.floor) + 0.05
    assert u >= RULE.floor


def test_fixed_point_balances_error_and_effort() -> None:
    tol = RULE.tolerance_for(1.0)
    excess = 0.002  # rad beyond the tolerance
    u = 0.5
    for _ in range(500):
        u = RULE.next_drive(u, tol + excess, tol)
    expect = RULE.error_gain_per_rad * excess / (1.0 - RULE.forgetting)
    assert u == pytest.approx(max(RULE.floor, min(1.0, expect)), rel=1e-6)


def test_a_weaker_leg_tolerates_more_error() -> None:
    assert RULE.tolerance_for(0.3) > RULE.tolerance_for(0.9)


def test_learner_closes_a_stride_when_the_phase_wraps() -> None:
    learner = EffortLearner(RULE, strength=(1.0, 0.4))
    big = (RULE.tolerance_for(0.4) + 0.05) ** 2  # squared error, beyond both tolerances
    for k in range(300):  # three strides of 100 samples on each leg
        phase = (k % 100) / 100.0
        learner.add(0, phase, 0.0)  # left: no error -> slacks
        learner.add(1, (phase + 0.5) % 1.0, big)  # right: a large error -> tries harder
    assert learner.strides == [2, 3]
    assert learner.drive[0] < RULE.initial
    assert learner.drive[1] == pytest.approx(1.0)
    assert learner.last_error_rad[1] == pytest.approx(math.sqrt(big))
    learner.pause()  # standing: the stride in progress is dropped, effort kept
    before = list(learner.drive)
    learner.add(0, 0.0, 1.0)
    assert learner.drive == before


def test_rule_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="forgetting"):
        EffortRule(forgetting=1.0)
    with pytest.raises(ValueError, match="floor"):
        EffortRule(floor=0.5, initial=0.2)
