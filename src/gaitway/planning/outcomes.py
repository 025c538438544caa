"""Clinical tests of a virtual patient, read off their recovery state (SIMULATED).

The twin walks on a treadmill; the clinical tests that progress is judged by (10-metre walk,
6-minute walk, FAC) are overground. These mappings stand in for them, so that the virtual
course has the outcomes a clinic records. They are modelling choices written down in
docs/planning.md (not fitted to patients), with test-retest noise of the published size:

- comfortable gait speed from the weaker leg's strength, spasticity and participation (moderate
  hemiparesis about 0.3 m/s, mild about 0.7 m/s, severe under 0.1 m/s);
- 6MWT: six minutes at a speed that endurance holds up;
- FAC from the measured speed (household walkers, Perry et al. 1995: FAC 4 from 0.35 m/s);
- at the first week the TWIST inputs: trunk control test (0-100) and hip extension (MRC 0-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from gaitway.planning.recovery import SIDES, RecoveryState

#: test-retest SD of the 10MWT gait speed (m/s) and of the 6MWT (m)
SPEED_NOISE_MPS: Final[float] = 0.04
SIX_MWT_NOISE_M: Final[float] = 18.0
#: FAC category boundaries on comfortable gait speed, m/s (FAC k from the k-th value on)
FAC_SPEED_BOUNDS_MPS: Final[tuple[float, ...]] = (0.03, 0.1, 0.2, 0.35, 0.8)
HEALTHY_SPEED_MPS: Final[float] = 1.3


@dataclass(frozen=True, slots=True)
class VirtualAssessment:
    """One day's clinical tests of a virtual patient (all SIMULATED)."""

    gait_speed_mps: float
    six_mwt_m: float
    fac: int
    trunk_control_score: float
    hip_extension_mrc: int


def true_gait_speed_mps(state: RecoveryState) -> float:
    """Noise-free comfortable overground speed of the virtual patient."""
    weaker = min(state.strength(s) for s in SIDES)
    spas = max(state.spasticity(s) for s in SIDES)
    f = float(np.clip((weaker - 0.15) / 0.8, 0.0, 1.0))
    spas_penalty = 1.0 - 0.015 * max(spas - 3.0, 0.0)
    return float(HEALTHY_SPEED_MPS * f**1.4 * max(spas_penalty, 0.5)
                 * (0.8 + 0.2 * state.participation_frac))


def fac_for_speed(speed_mps: float) -> int:
    return int(sum(speed_mps >= b for b in FAC_SPEED_BOUNDS_MPS))


def assess(state: RecoveryState, *, seed: int, index: int) -> VirtualAssessment:
    """The tests as a therapist would measure them today (seeded noise)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, index, 0xA55E55]))
    v_true = true_gait_speed_mps(state)
    v = float(np.clip(v_true + rng.normal(0.0, SPEED_NOISE_MPS), 0.0, 2.0))
    holds = 0.75 + 0.2 * min(state.endurance_min / 40.0, 1.0)
    six = float(np.clip(v_true * 360.0 * holds + rng.normal(0.0, SIX_MWT_NOISE_M), 0.0, 900.0))
    mean_s = sum(state.strength(s) for s in SIDES) / 2.0
    tct = float(np.clip(100.0 * (mean_s - 0.3) / 0.45 + rng.normal(0.0, 8.0), 0.0, 100.0))
    weaker_side = min(SIDES, key=state.strength)
    mrc = int(np.clip(round(5.0 * state.strength(weaker_side) + rng.normal(0.0, 0.4)), 0, 5))
    return VirtualAssessment(gait_speed_mps=round(v, 3), six_mwt_m=round(six, 1),
                             fac=fac_for_speed(v), trunk_control_score=round(tct, 1),
                             hip_extension_mrc=mrc)
