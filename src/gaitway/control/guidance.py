"""Guidance: impedance around the reference at 0-100 %, over friction and gravity compensation.

At 100 % the stiffness is high enough to come close to position control; at 0 % only the
compensation acts, so the patient moves the exoskeleton without feeling its drag or weight.
"""

from __future__ import annotations

from gaitway.control.base import Compensation, Controller, JointGains, TickContext
from gaitway.errors import UserError


def check_fraction(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise UserError(f"{name} must be within 0-100 %, got {value * 100:.0f} %")
    return float(value)


class GuidanceController(Controller):
    """Joint impedance ``level * (K e + D de)`` plus compensation; ``level`` 0-1."""

    name = "guidance"

    def __init__(
        self,
        *,
        level: float = 1.0,
        gains: JointGains | None = None,
        compensation: Compensation | None = None,
    ) -> None:
        super().__init__()
        self.level = check_fraction("guidance", level)
        self._k, self._d = (gains or JointGains()).per_joint()
        self.compensation = compensation or Compensation()

    def torques(self, ctx: TickContext) -> list[float]:
        comp = self.compensation.compute(ctx)
        out, k, d, g = self.out, self._k, self._d, self.level
        q, qd, qr, qdr = ctx.q, ctx.qd, ctx.q_ref, ctx.qd_ref
        for i in (0, 1, 2, 3):
            out[i] = comp[i] + g * (k[i] * (qr[i] - q[i]) + d[i] * (qdr[i] - qd[i]))
        return out

    def assist_level(self) -> float:
        return self.level
