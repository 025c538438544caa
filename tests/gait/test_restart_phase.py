"""Where walking restarts after a pause: the gait's phase nearest the legs' posture, with the
leg that carries the weight kept in stance, and for legs in motion their velocities too
(gaitway.gait.reference.nearest_phase)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaitway.gait.reference import ReferenceGait, nearest_phase

_DEG = math.pi / 180.0
_REF = ReferenceGait(speed_m_s=0.486, height_m=1.75)
_HIP, _KNEE = _REF.table("hip"), _REF.table("knee")
_UNTIL = _REF.stance_fraction - 0.2


def _err(phase: float, posture: tuple[float, float, float, float]) -> float:
    """The squared distance of the posture from the tables' sample at ``phase`` (each leg
    read at its own phase, as the fit reads them)."""
    size = _HIP.size - 1
    il, ir = int((phase % 1.0) * size), int(((phase + 0.5) % 1.0) * size)
    return float((_HIP[il] - posture[0]) ** 2 + (_HIP[ir] - posture[1]) ** 2
                 + (_KNEE[il] - posture[2]) ** 2 + (_KNEE[ir] - posture[3]) ** 2)


def test_a_pause_with_the_weight_on_the_trailing_foot_restarts_with_it_in_stance() -> None:
    """The pause of the envelope's self-paced assist-as-needed case (SIMULATED): left foot
    7 deg ahead, 65 % of the weight on the right. The fit alone restarts at the left's heel
    strike, with the loaded right leg in pre-swing; carrying the weight, the right leg goes
    on in stance with a fifth of a cycle left before it lifts."""
    posture = (8.1 * _DEG, 1.5 * _DEG, 3.6 * _DEG, 5.0 * _DEG)
    free = nearest_phase(_HIP, _HIP, _KNEE, _KNEE, posture)
    assert (free + 0.5) % 1.0 > _UNTIL  # the right leg was about to swing
    kept = nearest_phase(_HIP, _HIP, _KNEE, _KNEE, posture, carrying=1, stance_until=_UNTIL)
    assert (kept + 0.5) % 1.0 <= _UNTIL
    assert kept > 0.8  # the left in terminal swing: it lands before the right lifts


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(hl=st.floats(-15.0, 30.0), hr=st.floats(-15.0, 30.0), kl=st.floats(0.0, 60.0),
       kr=st.floats(0.0, 60.0), leg=st.sampled_from([0, 1]))
def test_the_loaded_leg_is_in_stance_at_the_nearest_such_phase(hl: float, hr: float,
                                                               kl: float, kr: float,
                                                               leg: int) -> None:
    posture = (hl * _DEG, hr * _DEG, kl * _DEG, kr * _DEG)
    p = nearest_phase(_HIP, _HIP, _KNEE, _KNEE, posture, carrying=leg, stance_until=_UNTIL)
    own = (p + 0.5 * leg) % 1.0
    assert own <= _UNTIL + 1e-9
    phases = np.arange(200) / 200  # the fit's own grid
    allowed = [float(x) for x in phases if (x + 0.5 * leg) % 1.0 <= _UNTIL]
    assert _err(p, posture) <= min(_err(x, posture) for x in allowed) + 1e-12


def _rates(tab: np.ndarray, rate_hz: float) -> np.ndarray:
    return np.gradient(tab) * ((tab.size - 1) * rate_hz)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(phase=st.floats(0.0, 0.995), rate_hz=st.floats(0.3, 1.2),
       noise=st.tuples(*(st.floats(-0.03, 0.03) for _ in range(4))))
def test_legs_in_motion_fit_their_own_phase_with_their_velocities(
        phase: float, rate_hz: float, noise: tuple[float, float, float, float]) -> None:
    """Legs walking the gait at ``phase``, seen with an error of up to 0.03 rad per joint
    (the robot's encoders and the anatomical angles differ by that much near standing), fit
    their phase within 0.05 cycles with their velocities counted too: the velocity term
    never pulls a walking leg's fit off its phase (the virtual patient's refit after a
    resume, gaitway.station.sim.patient._FOLLOW_AFTER_S)."""
    size = _HIP.size - 1
    il, ir = int(phase * size), int(((phase + 0.5) % 1.0) * size)
    posture = (float(_HIP[il]) + noise[0], float(_HIP[ir]) + noise[1],
               float(_KNEE[il]) + noise[2], float(_KNEE[ir]) + noise[3])
    dh, dk = _rates(_HIP, rate_hz), _rates(_KNEE, rate_hz)
    velocity = (float(dh[il]), float(dh[ir]), float(dk[il]), float(dk[ir]))
    fit = nearest_phase(_HIP, _HIP, _KNEE, _KNEE, posture, velocity=velocity, rate_hz=rate_hz)
    assert abs((fit - phase + 0.5) % 1.0 - 0.5) < 0.05

