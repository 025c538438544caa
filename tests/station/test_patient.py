"""The virtual patient on hand-made joint states (no twin needed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.gait.reference import GRAVITY
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import PROFILES

_DT = 0.002  # the twin updates its patient at 500 Hz


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(profile=st.sampled_from(sorted(PROFILES)), knee_rad=st.floats(0.5, 1.2))
def test_a_foot_caught_in_the_air_by_a_stop_is_lowered_not_kicked_down(
        profile: str, knee_rad: float) -> None:
    """A stop that catches a leg in swing: the patient sets that foot down, as a person
    does, over half a second. A step of the knee's target to standing extended a knee caught
    at 60 deg at 9 rad/s, the drives' hard velocity limit (a joint_velocity stop)."""
    p = VirtualPatient(PROFILES[profile], seed=1, events=False)
    weight = p.profile.mass_kg * GRAVITY
    q = [0.1, -0.1, knee_rad, 0.1, 0.1, 0.0]  # left leg in swing, right foot planted
    still = [0.0] * 6
    for _ in range(200):  # walking at 2 km/h
        p.update(_DT, 2.0 / 3.6, q, still, (0.0, weight))
    first = []
    for _ in range(int(0.05 / _DT)):  # the belt stopped: the patient stands
        first.append(p.update(_DT, 0.0, q, still, (0.0, weight))[2])
    limit = p._tmax[2] * p.day_strength * p.participation_now
    assert max(abs(t) for t in first) < 0.2 * limit  # no kick at the start
    for _ in range(int(0.5 / _DT)):
        late = p.update(_DT, 0.0, q, still, (0.0, weight))[2]
    assert late < -0.5 * min(limit, p._kp[2] * (knee_rad - 0.08))  # set down, to standing
