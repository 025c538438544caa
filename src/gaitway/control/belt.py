"""Belt speed: 0.5-3.2 km/h with limited acceleration, and an optional self-paced mode.

Self-paced: the patient's cadence (from the phase estimator) says at what speed they want to
walk. Inverting the stride-time law of the reference gait (a power law in speed, after Grieve)
gives that speed; it is low-pass filtered and then rate-limited like
any other speed change, so the belt follows the patient without surging. It never goes faster
than ``self_paced_max_m_s``: the fastest speed the robot's range of motion walks (its stance
must cover the belt's travel, :func:`gaitway.gait.reference.check_walkable`), which the control
stack sets from the range, so a self-paced patient never outruns the range a therapist set.
"""

from __future__ import annotations

import math
from typing import Final

from gaitway.errors import UserError
from gaitway.gait.reference import stride_time_s

#: the belt's range, the one list of it: settings, the planning rules and the console ask here
MIN_SPEED_KMH: Final[float] = 0.5
MAX_SPEED_KMH: Final[float] = 3.2
MIN_SPEED_M_S: Final[float] = MIN_SPEED_KMH / 3.6
MAX_SPEED_M_S: Final[float] = MAX_SPEED_KMH / 3.6


def check_speed(speed_m_s: float) -> float:
    if not MIN_SPEED_M_S - 1e-9 <= speed_m_s <= MAX_SPEED_M_S + 1e-9:
        raise UserError(
            f"belt speed must be within {MIN_SPEED_KMH}-{MAX_SPEED_KMH} km/h, "
            f"got {speed_m_s * 3.6:.2f} km/h"
        )
    return float(min(max(speed_m_s, MIN_SPEED_M_S), MAX_SPEED_M_S))


class BeltController:
    """Commanded belt speed with an acceleration limit (m/s^2), manual or self-paced."""

    __slots__ = (
        "_c",
        "_filtered",
        "_inv_exp",
        "acceleration_m_s2",
        "height_m",
        "self_paced",
        "self_paced_max_m_s",
        "self_paced_time_constant_s",
        "speed",
        "target",
    )

    def __init__(
        self,
        *,
        speed_m_s: float,
        height_m: float,
        acceleration_m_s2: float = 0.1,
        self_paced: bool = False,
        self_paced_time_constant_s: float = 4.0,
        start_from_rest: bool = True,
    ) -> None:
        self.target = check_speed(speed_m_s)
        if acceleration_m_s2 <= 0.0 or acceleration_m_s2 > 1.0:
            raise UserError(f"belt acceleration must be within 0-1 m/s^2, got {acceleration_m_s2}")
        self.acceleration_m_s2 = acceleration_m_s2
        self.height_m = height_m
        self.self_paced = self_paced
        self.self_paced_time_constant_s = self_paced_time_constant_s
        #: the fastest the self-paced mode may take the belt (the range of motion's limit)
        self.self_paced_max_m_s = MAX_SPEED_M_S
        self.speed = 0.0 if start_from_rest else self.target
        self._filtered = self.target
        # stride_time = c * v^-p (a power law)  ->  v = (c / T)^(1/p)
        self._c = stride_time_s(1.0, height_m)
        p = math.log(stride_time_s(0.5, height_m) / self._c) / math.log(2.0)
        self._inv_exp = 1.0 / p

    def set_speed(self, speed_m_s: float) -> None:
        self.target = check_speed(speed_m_s)
        self._filtered = self.target

    def speed_for_stride_time(self, stride_s: float) -> float:
        return float((self._c / stride_s) ** self._inv_exp)

    def update(self, dt: float, patient_stride_s: float = math.nan) -> float:
        """Commanded speed for this tick; in self-paced mode, pass the patient's stride time."""
        if self.self_paced and patient_stride_s == patient_stride_s and patient_stride_s > 0.0:
            want = (self._c / patient_stride_s) ** self._inv_exp
            want = min(max(want, MIN_SPEED_M_S), self.self_paced_max_m_s)
            self._filtered += (want - self._filtered) * dt / self.self_paced_time_constant_s
            # a new, smaller range lowers the limit at once, not over the filter's time
            self._filtered = min(self._filtered, self.self_paced_max_m_s)
            self.target = self._filtered
        v, tgt, dv = self.speed, self.target, self.acceleration_m_s2 * dt
        if v != tgt:
            v = tgt if abs(tgt - v) <= dv else v + (dv if tgt > v else -dv)
            self.speed = v
        return v
