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


def _phase_advance(profile: str, speed_kmh: float, hip_rad: float, *,
                   weight_on_other: bool) -> tuple[float, float, float]:
    """How far the rhythm moves in 50 ms with the left leg late in stance at ``hip_rad``
    (the right foot planted ahead, carrying the weight or not); with the stride frequency
    and the hip angle past which a leg lifts off."""
    p = VirtualPatient(PROFILES[profile], seed=1, events=False)
    weight = p.profile.mass_kg * GRAVITY
    load = (0.2 * weight, 0.8 * weight) if weight_on_other else (0.8 * weight, 0.2 * weight)
    q = [hip_rad, 0.3, 0.1, 0.1, 0.0, 0.0]
    still = [0.0] * 6
    p.update(_DT, speed_kmh / 3.6, q, still, load)
    p.phase = 0.4  # the left leg's own phase (its offset is 0): late stance
    for _ in range(int(0.05 / _DT)):
        p.update(_DT, speed_kmh / 3.6, q, still, load)
    return (p.phase - 0.4) % 1.0, p._freq, p._lift_off_hip[0]


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(profile=st.sampled_from(sorted(PROFILES)), speed_kmh=st.floats(0.5, 3.2))
def test_an_extended_unloaded_stance_leg_starts_its_swing(profile: str,
                                                          speed_kmh: float) -> None:
    """Swing starts from the leg's state (hip extended, weight on the other foot), not from
    the clock alone: at 0.5 km/h and 0 % support the clock held a leg that had landed short in
    stance until the belt dragged its hip to the end of its range (joint_range after one
    stride, issue 12 item 4). With its load still on it, the same leg waits for the clock."""
    lift = _phase_advance(profile, speed_kmh, 0.0, weight_on_other=True)[2]
    hurried, f, _ = _phase_advance(profile, speed_kmh, lift - 0.05, weight_on_other=True)
    held, _, _ = _phase_advance(profile, speed_kmh, lift - 0.05, weight_on_other=False)
    assert hurried > 2.0 * f * 0.05
    assert held < 1.41 * f * 0.05  # the rhythm's usual bounds
    # within its usual extension the leg's load does not move the rhythm
    a, _, _ = _phase_advance(profile, speed_kmh, lift + 0.05, weight_on_other=True)
    b, _, _ = _phase_advance(profile, speed_kmh, lift + 0.05, weight_on_other=False)
    assert a == b
