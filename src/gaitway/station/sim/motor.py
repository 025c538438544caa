"""The virtual patient's effort, learnt from stride to stride (error-and-effort trade-off).

People walking in a robot adapt their effort to the help they get: under steady assistance
their muscle activity falls within minutes ("slacking"), and when the help is taken away it
rises again, up to what they can give. Emken et al. (2007, J Neurophysiol 97:3997) showed that
stride-to-stride adaptation in a robotic gait trainer follows an error-and-effort rule,

    u[i+1] = f * u[i] + g * max(e[i] - e0, 0)

where ``u`` is the effort (here each leg's drive: the fraction of the patient's own joint
impedance put in, 0-1), ``e`` the kinematic error the stride left (RMS over the stride of the
hip and knee angles against the gait the patient tries for, rad), ``f < 1`` the forgetting
factor that makes effort decay whenever the error does not call for it, ``g`` the error gain
and ``e0`` the error a leg tolerates before it tries harder (larger for a weaker leg: a
patient is used to their own deviations). Its fixed point ``u* = g (e - e0) / (1 - f)`` is
where error and effort balance: a robot that removes the error removes the reason for the
effort. The drive is kept between a floor (the
tone that holds a walking leg together) and a ceiling of 1 (all the patient has; strength,
fatigue and the day's form bound the torque that drive can produce).

The constants are modelling choices tuned on the twin so that the published directions
(docs/validation/response.md) appear; they are not fitted to data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

#: a phase step below this (cycles) is the leg's own phase wrapping: a stride ends
_WRAP: Final[float] = -0.5


@dataclass(frozen=True, slots=True)
class EffortRule:
    """Parameters of the stride-to-stride effort rule (per leg)."""

    #: f: the share of the last stride's effort kept (time constant 1 / (1 - f) strides)
    forgetting: float = 0.95
    #: g: drive added per radian of RMS kinematic error in a stride (beyond the tolerance)
    error_gain_per_rad: float = 5.0
    #: e0 of a full-strength leg (rad), and what each unit of weakness (1 - mean strength of
    #: hip, knee and ankle) adds to it
    tolerance_rad: float = math.radians(2.5)
    tolerance_per_weakness_rad: float = math.radians(2.5)
    #: lowest drive: postural tone, a leg is never fully limp while walking
    floor: float = 0.1
    #: drive at the start of a session (a patient starts a session trying)
    initial: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 < self.forgetting < 1.0:
            raise ValueError(f"forgetting factor must be within (0, 1), got {self.forgetting}")
        if self.error_gain_per_rad < 0.0 or self.tolerance_rad < 0.0:
            raise ValueError("error gain and tolerance must be >= 0")
        if not 0.0 <= self.floor <= self.initial <= 1.0:
            raise ValueError("need 0 <= floor <= initial <= 1")

    def tolerance_for(self, strength: float) -> float:
        """e0 of a leg whose mean strength (0-1) is ``strength``."""
        return self.tolerance_rad + self.tolerance_per_weakness_rad * (1.0 - strength)

    def next_drive(self, drive: float, error_rad: float, tolerance_rad: float) -> float:
        """The drive of the next stride, after a stride that left ``error_rad``."""
        excess = error_rad - tolerance_rad
        u = self.forgetting * drive + (self.error_gain_per_rad * excess if excess > 0.0 else 0.0)
        return self.floor if u < self.floor else (1.0 if u > 1.0 else u)


class EffortLearner:
    """Both legs' drives, updated at the end of each of the leg's own strides.

    ``add`` is called at a fixed rate with each leg's own gait phase and squared error; a
    phase that wraps closes the stride and applies the rule. No allocation per call.
    """

    __slots__ = ("_err2", "_last_phase", "_n", "drive", "last_error_rad", "rule", "strides",
                 "tolerance_rad")

    def __init__(self, rule: EffortRule | None = None,
                 strength: tuple[float, float] = (1.0, 1.0)) -> None:
        """``strength``: each leg's mean strength (0-1), which sets its tolerance."""
        self.rule = rule or EffortRule()
        self.tolerance_rad = [self.rule.tolerance_for(s) for s in strength]
        self.drive = [self.rule.initial, self.rule.initial]
        self.last_error_rad = [math.nan, math.nan]
        self.strides = [0, 0]
        self._err2 = [0.0, 0.0]
        self._n = [0, 0]
        self._last_phase = [math.nan, math.nan]

    def add(self, side: int, phase: float, err2: float) -> None:
        """One sample of leg ``side`` (0 left, 1 right): its phase (0-1) and the mean squared
        joint-angle error against the goal gait (rad^2)."""
        last = self._last_phase[side]
        self._last_phase[side] = phase
        if phase - last < _WRAP:  # NaN (first call) compares False
            self._close(side)
        self._err2[side] += err2
        self._n[side] += 1

    def pause(self) -> None:
        """Standing: the stride in progress is dropped, effort is kept as it is."""
        self._err2[0] = self._err2[1] = 0.0
        self._n[0] = self._n[1] = 0
        self._last_phase[0] = self._last_phase[1] = math.nan

    def _close(self, side: int) -> None:
        n = self._n[side]
        if n > 0:
            e = math.sqrt(self._err2[side] / n)
            self.last_error_rad[side] = e
            self.drive[side] = self.rule.next_drive(self.drive[side], e,
                                                    self.tolerance_rad[side])
            self.strides[side] += 1
        self._err2[side] = 0.0
        self._n[side] = 0
