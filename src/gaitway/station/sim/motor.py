"""The virtual patient's effort, learnt from stride to stride (error-and-effort trade-off).

People walking in a robot adapt their effort to the help they get: under steady assistance
their muscle activity falls within minutes ("slacking"), and when the help is taken away it
rises again, up to what they can give. Emken et al. (2007, J Neurophysiol 97:3997) showed that
stride-to-stride adaptation in a robotic gait trainer follows an error-and-effort rule,

    u[i+1] = f * u[i] + (1 - f) * w * s[i] + g * a[i] * max(e[i] - e0, 0)

where ``u`` is the effort (here each leg's drive: the fraction of the patient's own joint
torques put in, 0-1), ``e`` the kinematic error the stride left (RMS over the swing of the
hip and knee angles from the path of the gait the patient tries for, rad: the swing is what
the leg's own effort shapes, as Emken et al. measured step height; in stance the belt and the
robot set the angles). The error is the distance from that path's nearest point within a
tenth of a stride of the leg's own phase (:func:`path_error2`), not from the point at its own
phase: a step is judged by its shape, not against an inner clock. Against the clock, a
severely affected leg whose rhythm runs 0.04 cycles off the robot's showed 13 deg of error
under full guidance that no effort could remove; its drive sat at the ceiling, its extensors
fought the robot's knee flexion, and its activation fell as guidance fell, against the
published direction (issue 19). ``f < 1`` the forgetting
factor that makes effort decay whenever the error does not call for it, ``g`` the error gain
and ``e0`` the error a leg tolerates before it tries harder (larger for a weaker leg: a
patient is used to their own deviations). The middle term is added here (issue 19): ``s`` is
the leg's own share of the positive work done on its hip and knee in the stride (its muscles'
against the cuffs'), and ``w`` the drive a leg settles at that does all of it. Walking needs
drive for its work, not only for its error: on the error alone, a patient walking by
themselves (path control) whose gait is already close to normal walking slacked as if the
robot carried them. A leg the cuffs carry (``s`` small) slacks toward the floor over tens of
strides (Emken et al. 2007); a leg left to do its own work keeps the drive that work needs.
``a`` (0-1, also added here) is the leg's authority over its swing: its own share of the
torque on its hip and knee over the samples whose error counts (its muscles' against the
cuffs'). Emken et al.'s rule is a gradient step on a cost of error and effort, and the step
on the error is as large as the error's change per unit of effort: a leg that a stiff cuff
holds on the robot's path changes its error little by trying harder, so an error the robot
holds it in (the robot's path differs from the patient's own gait, whatever the patient
does) no longer keeps its drive up. Walking by itself (0 % guidance, path control inside the
tunnel) ``a`` is near 1 and the rule is Emken et al.'s.
Forgetting is a decay in time, not per stride: ``f = exp(-T / tau)`` for a stride of ``T``
seconds, so that slacking takes minutes at any cadence, while the error is corrected once per
stride; a faster cadence thus asks for more drive for the same error. The fixed point
``u* = w s + g a (e - e0) / (1 - f)`` is where error, work and effort balance: a robot that
removes the error and does the work removes the reason for the effort. The drive is kept
between a floor (the tone that holds a walking leg together) and a ceiling of 1 (all
the patient has; strength, fatigue and the day's form bound the torque that drive can
produce).

What the drive scales (see :mod:`gaitway.station.sim.patient`):
- the pull toward the intended posture and velocity;
- the moments that accelerate the swinging leg along the intended path (:func:`swing_moments`),
  which grow with the square of the cadence: faster walking needs larger joint moments;
- part of the knee extensors' answer to load (:func:`load_response_gain`): the gain of that
  reflex is set by descending drive, so a slacking patient lets the robot hold the knee;
- the takeover: a further share of the moments that move the leg along its intended stride
  (its viscosity along the intended joint rates, and the swing moments), which the cuffs supply
  to a passive leg: the share of the stride's positive work the cuffs supplied, learnt over
  strides (:attr:`EffortLearner.help_learnt`). So the drive buys positive work: where it rises
  (less help leaves more error and more of the stride's work to the leg, ``s`` rises and with
  it the drive) the patient takes the work over and the robot's work falls; where it falls
  (slacking) the work is handed back to the robot; where the robot does not help there is
  nothing to take over.

The constants are modelling choices, set so that the published directions
(docs/validation/response.md) follow from these causes; they are not fitted to data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gaitway.station.sim.anthropometrics import FOOT, SHANK, THIGH

#: a phase step below this (cycles) is the leg's own phase wrapping: a stride ends
_WRAP: Final[float] = -0.5
#: share of the knee extensors' load response that does not depend on drive (spinal)
_LOAD_RESPONSE_FLOOR: Final[float] = 0.4
#: how far (cycles, either side) the leg's own rhythm may run from the goal's point the
#: kinematic error is measured against (:func:`path_error2`): a tenth of a stride, more than
#: the rhythm of a severely affected leg runs off the robot's (about 0.04 cycles)
TIMING_WINDOW: Final[float] = 0.1
#: samples per stride searched for the nearest point of the goal's path (every 5 ms of a
#: 1 s stride is finer than the error's tolerance needs)
_PATH_SAMPLES: Final[int] = 200


@dataclass(frozen=True, slots=True)
class EffortRule:
    """Parameters of the stride-to-stride effort rule (per leg)."""

    #: tau: time constant of the decay of effort that the error does not call for (s); the
    #: per-stride forgetting factor is exp(-T / tau)
    forgetting_tau_s: float = 30.0
    #: g: drive added per radian of RMS kinematic error in a stride (beyond the tolerance).
    #: With the error measured from the goal's path (no timing error) a healthy leg under full
    #: guidance shows about 1 deg and at 30 % about 1.5 deg: at 0.6 (and a tolerance of 1 deg
    #: + 2 deg per unit of weakness) that difference bought no drive, the leg slacked alike at
    #: both, and a softer robot did more work on the slack, viscous leg (assist-as-needed more
    #: robot work than full guidance, issue 19). Modelling choices, not fitted
    error_gain_per_rad: float = 2.5
    #: e0 of a full-strength leg (rad), and what each unit of weakness (1 - mean strength of
    #: hip, knee and ankle) adds to it. At 1 deg per unit a severe paretic leg (weakness 0.75)
    #: tolerated the 0.4 deg more error that assist-as-needed leaves it: its drive stayed low
    #: and the softer robot did more work on it than full guidance (+1.0 J, issue 19)
    tolerance_rad: float = math.radians(0.3)
    tolerance_per_weakness_rad: float = math.radians(0.4)
    #: lowest drive: postural tone, a leg is never fully limp while walking
    floor: float = 0.1
    #: drive at the start of a session (a patient starts a session trying)
    initial: float = 1.0
    #: w: the drive a leg settles at per unit of its own share of the positive work on its
    #: hip and knee (the work the cuffs do not supply): walking without help needs drive for
    #: its work, not only for its error
    need_weight: float = 0.6
    #: per stride, how far each leg's learnt help share (the share of the positive work on
    #: hip and knee the cuffs supply, which the takeover takes over) moves toward the last
    #: stride's: a feedforward learnt over a few strides (Emken and Reinkensmeyer 2005)
    help_rate: float = 0.3

    def __post_init__(self) -> None:
        if not 0.0 < self.forgetting_tau_s < math.inf:
            raise ValueError(
                f"forgetting time constant must be > 0 s and finite, got {self.forgetting_tau_s}")
        if self.error_gain_per_rad < 0.0 or self.tolerance_rad < 0.0:
            raise ValueError("error gain and tolerance must be >= 0")
        if not 0.0 <= self.floor <= self.initial <= 1.0:
            raise ValueError("need 0 <= floor <= initial <= 1")
        if not 0.0 < self.help_rate <= 1.0:
            raise ValueError(f"help rate must be within (0, 1], got {self.help_rate}")

    def tolerance_for(self, strength: float) -> float:
        """e0 of a leg whose mean strength (0-1) is ``strength``."""
        return self.tolerance_rad + self.tolerance_per_weakness_rad * (1.0 - strength)

    def forgetting(self, stride_s: float) -> float:
        """f of a stride that lasted ``stride_s`` seconds."""
        return math.exp(-stride_s / self.forgetting_tau_s)

    def next_drive(self, drive: float, error_rad: float, tolerance_rad: float,
                   stride_s: float, own_share: float = 0.0, authority: float = 1.0) -> float:
        """The drive of the next stride, after a stride of ``stride_s`` s that left
        ``error_rad`` and in which the leg did ``own_share`` (0-1) of the positive work on
        its hip and knee itself (the cuffs the rest), with ``authority`` (0-1) its own share
        of the torque on hip and knee where the error counted."""
        excess = error_rad - tolerance_rad
        f = self.forgetting(stride_s)
        u = (f * drive + (1.0 - f) * self.need_weight * own_share
             + (self.error_gain_per_rad * authority * excess if excess > 0.0 else 0.0))
        return self.floor if u < self.floor else (1.0 if u > 1.0 else u)


def path_error2(goal_hip: Sequence[float], goal_knee: Sequence[float], phase: float,
                hip_rad: float, knee_rad: float, *, window: float = TIMING_WINDOW) -> float:
    """The squared distance (rad^2, hip and knee summed) of the leg's posture from the goal
    gait's path: its nearest point within ``window`` (cycles) either side of ``phase``.

    ``goal_hip``/``goal_knee``: the goal over one stride, sampled evenly in phase, the last
    sample equal to the first. A person judges a step by its shape (how far the knee bends,
    how far the hip swings), not against an inner clock: a leg moved along normal walking a
    little earlier or later than the patient's own rhythm shows no error that effort could
    remove. Never more than the error against the goal at ``phase`` itself."""
    n = len(goal_hip) - 1
    x = (phase % 1.0) * n
    i = int(x)
    if i >= n:
        i = n - 1
    a = x - i
    dh = goal_hip[i] + (goal_hip[i + 1] - goal_hip[i]) * a - hip_rad
    dk = goal_knee[i] + (goal_knee[i + 1] - goal_knee[i]) * a - knee_rad
    best = dh * dh + dk * dk
    reach = int(window * n)
    step = max(1, n // _PATH_SAMPLES)
    for j in range(i - reach, i + reach + 1, step):
        jj = j % n
        dh = goal_hip[jj] - hip_rad
        dk = goal_knee[jj] - knee_rad
        d = dh * dh + dk * dk
        if d < best:
            best = d
    return best


def load_response_gain(drive: float) -> float:
    """Share (0-1) of the knee extensors' full answer to load at ``drive``: a spinal part
    that stays, and a part whose gain descending drive sets (it slacks with the drive)."""
    return _LOAD_RESPONSE_FLOOR + (1.0 - _LOAD_RESPONSE_FLOOR) * drive


def swing_moments(hip_rad: npt.ArrayLike, knee_rad: npt.ArrayLike, swing: npt.ArrayLike, *,
                  height_m: float, mass_kg: float) -> tuple[list[float], list[float]]:
    """The hip and knee moments (N*m per (stride/s)^2; flexion +) that move the swinging leg
    along an intended path, per phase sample.

    ``hip_rad``/``knee_rad``: the path over one stride, sampled evenly in phase (the last
    sample equal to the first); ``swing``: 0 in stance, 1 in swing (the ground carries the
    stance leg, whose moments the load response stands for). The leg is a planar double
    pendulum hanging from a fixed hip (thigh; shank and foot as one body, Winter's segment
    fractions); only the terms that grow with the cadence are kept (inertia, Coriolis and
    centripetal), so at stride frequency ``f`` (1/s) the moments are these times ``f**2``.
    Gravity is left to the robot's and the patient's posture terms: it does not change with
    speed.
    """
    hip = np.asarray(hip_rad, dtype=float)
    knee = np.asarray(knee_rad, dtype=float)
    w = np.asarray(swing, dtype=float)
    n = hip.size - 1
    m1 = THIGH.mass * mass_kg
    l1 = THIGH.length * height_m
    r1 = THIGH.com * l1
    i1 = m1 * (THIGH.gyration * l1) ** 2
    ls, lf = SHANK.length * height_m, FOOT.length * height_m
    ms, mf = SHANK.mass * mass_kg, FOOT.mass * mass_kg
    m2 = ms + mf
    r2 = (ms * SHANK.com * ls + mf * ls) / m2  # the foot's mass at the ankle
    i2 = (ms * ((SHANK.gyration * ls) ** 2 + (SHANK.com * ls - r2) ** 2)
          + mf * ((FOOT.gyration * lf) ** 2 + (ls - r2) ** 2))
    # absolute angles: thigh a = hip flexion, shank b = hip - knee (both forward +)
    a = hip
    b = hip - knee

    def d(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        y = np.gradient(np.concatenate((x[-2:-1], x, x[1:2])), 1.0 / n)  # periodic ends
        out: npt.NDArray[np.float64] = y[1:-1]
        return out

    da, db = d(a), d(b)
    dda, ddb = d(da), d(db)
    c = m2 * l1 * r2
    cos_ab, sin_ab = np.cos(a - b), np.sin(a - b)
    q_a = (i1 + m1 * r1 ** 2 + m2 * l1 ** 2) * dda + c * cos_ab * ddb + c * sin_ab * db ** 2
    q_b = c * cos_ab * dda + (i2 + m2 * r2 ** 2) * ddb - c * sin_ab * da ** 2
    # generalised forces -> joint moments: hip = Q_a + Q_b; the shank's forward moment is
    # knee extension, so knee flexion = -Q_b
    hip_m: list[float] = (w * (q_a + q_b)).tolist()
    knee_m: list[float] = (w * -q_b).tolist()
    return hip_m, knee_m


class EffortLearner:
    """Both legs' drives, updated at the end of each of the leg's own strides.

    ``add`` is called at a fixed rate with each leg's own gait phase and squared error; a
    phase that wraps closes the stride and applies the rule. No allocation per call.
    """

    __slots__ = ("_err2", "_held", "_help", "_last_phase", "_n", "_own", "_steer", "_t",
                 "drive", "help_learnt", "last_authority", "last_error_rad", "last_own_share",
                 "rule", "strides", "tolerance_rad")

    def __init__(self, rule: EffortRule | None = None,
                 strength: tuple[float, float] = (1.0, 1.0)) -> None:
        """``strength``: each leg's mean strength (0-1), which sets its tolerance."""
        self.rule = rule or EffortRule()
        self.tolerance_rad = [self.rule.tolerance_for(s) for s in strength]
        self.drive = [self.rule.initial, self.rule.initial]
        self.last_error_rad = [math.nan, math.nan]
        self.strides = [0, 0]
        #: each leg's share (0-1) of the positive work on its hip and knee that it did itself
        #: in its last stride
        self.last_own_share = [math.nan, math.nan]
        #: each leg's learnt share (0-1) of the positive work on its hip and knee that the
        #: cuffs supply: what the takeover takes over (none before the first stride)
        self.help_learnt = [0.0, 0.0]
        #: each leg's share (0-1) of the torque on its hip and knee in its last swing that
        #: was its own (the rest the cuffs')
        self.last_authority = [math.nan, math.nan]
        self._own = [0.0, 0.0]
        self._help = [0.0, 0.0]
        self._steer = [0.0, 0.0]
        self._held = [0.0, 0.0]
        self._err2 = [0.0, 0.0]
        self._n = [0, 0]
        self._t = [0.0, 0.0]
        self._last_phase = [math.nan, math.nan]

    def add(self, side: int, phase: float, err2: float, dt: float, *,
            counts: bool = True, own_w: float = 0.0, help_w: float = 0.0,
            own_nm: float = 0.0, help_nm: float = 0.0) -> None:
        """One sample of leg ``side`` (0 left, 1 right): its phase (0-1), the mean squared
        joint-angle error against the goal gait (rad^2) and the time since the last sample
        (s). ``counts``: whether this sample's error is part of the stride's error (the
        swing; in stance the foot on the belt and the robot set the leg's angles).
        ``own_w``/``help_w``: the positive power the leg's muscles and the cuffs put into its
        hip and knee at this sample (W): over the stride, the leg's own share of the work
        that moves it. ``own_nm``/``help_nm``: the size of the muscles' and the cuffs' torque
        on hip and knee (N*m), summed where ``counts``: the leg's authority over its error."""
        last = self._last_phase[side]
        self._last_phase[side] = phase
        if phase - last < _WRAP:  # NaN (first call) compares False
            self._close(side)
        if counts:
            self._err2[side] += err2
            self._n[side] += 1
            self._steer[side] += own_nm
            self._held[side] += help_nm
        self._own[side] += own_w
        self._help[side] += help_w
        self._t[side] += dt

    def pause(self) -> None:
        """Standing: the stride in progress is dropped, effort is kept as it is."""
        self._err2[0] = self._err2[1] = 0.0
        self._own[0] = self._own[1] = self._help[0] = self._help[1] = 0.0
        self._steer[0] = self._steer[1] = self._held[0] = self._held[1] = 0.0
        self._n[0] = self._n[1] = 0
        self._t[0] = self._t[1] = 0.0
        self._last_phase[0] = self._last_phase[1] = math.nan

    def _close(self, side: int) -> None:
        n = self._n[side]
        if n > 0:
            e = math.sqrt(self._err2[side] / n)
            self.last_error_rad[side] = e
            total = self._own[side] + self._help[side]
            share = self._own[side] / total if total > 0.0 else 0.0
            self.last_own_share[side] = share
            if total > 0.0:
                h = self.help_learnt[side]
                self.help_learnt[side] = h + self.rule.help_rate * (1.0 - share - h)
            torque = self._steer[side] + self._held[side]
            authority = self._steer[side] / torque if torque > 0.0 else 1.0
            self.last_authority[side] = authority
            self.drive[side] = self.rule.next_drive(self.drive[side], e,
                                                    self.tolerance_rad[side], self._t[side],
                                                    share, authority)
            self.strides[side] += 1
        self._err2[side] = 0.0
        self._own[side] = self._help[side] = 0.0
        self._steer[side] = self._held[side] = 0.0
        self._n[side] = 0
        self._t[side] = 0.0
