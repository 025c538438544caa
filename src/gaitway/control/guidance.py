"""Guidance: impedance around the reference at 0-100 %, over friction and gravity compensation.

At 100 % the stiffness is high enough to come close to position control; at 0 % only the
compensation acts, so the patient moves the exoskeleton without feeling its drag or weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gaitway.control.base import Compensation, Controller, JointGains, TickContext
from gaitway.errors import UserError
from gaitway.station.channels import LEG_DOFS

#: the resistance fades in after a toe-off and out after a heel strike over this long (s)
SWING_FADE_S: Final[float] = 0.03


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
        for i in range(4):
            out[i] = comp[i] + g * (k[i] * (qr[i] - q[i]) + d[i] * (qdr[i] - qd[i]))
        return out

    def assist_level(self) -> float:
        return self.level


@dataclass(frozen=True, slots=True)
class ResistSettings:
    """Resistance: viscous damping against joint motion and a constant opposing torque."""

    damping_nm_s_rad: float = 5.0
    torque_nm: float = 0.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.damping_nm_s_rad < float("inf") and 0.0 <= self.torque_nm
                < float("inf")):
            raise UserError("resistance damping and torque must be finite and >= 0")


class ResistanceController(Controller):
    """Resistance for strong patients: opposes the swinging leg's joint motion by damping and
    a set torque.

    ``damping`` in N*m*s/rad, ``torque_nm`` a velocity-signed constant torque (smoothed near
    zero speed so that it never chatters). It acts in each leg's swing only, as the Lokomat's
    resistance does (velocity-dependent resistance to the hip and knee in swing: Lam et al.
    2008, Neurorehabil Neural Repair 22(5):438-446): in stance the belt moves the planted
    leg, and a torque against that motion is not one the patient can push through. It bent
    the loaded knee and pushed the planted foot against the belt; a healthy virtual patient
    then sank into the harness or was dragged past its joint range (0 strides at the
    settings' maximum, issue 12 item 4). Swing is the foot off its force plate
    (``TickContext.stance``); the resistance fades in and out over :data:`SWING_FADE_S`, so
    that a toe-off or a heel strike is not a torque step.
    """

    name = "resist"

    def __init__(
        self,
        *,
        damping: float = 5.0,
        torque_nm: float = 0.0,
        compensation: Compensation | None = None,
    ) -> None:
        super().__init__()
        if damping < 0.0 or torque_nm < 0.0:
            raise UserError("resistance damping and torque must be >= 0")
        self.damping = damping
        self.torque_nm = torque_nm
        self.compensation = compensation or Compensation()
        #: per side, how much of the resistance acts (0 in stance, 1 in swing), faded
        self.swing = [0.0, 0.0]

    def torques(self, ctx: TickContext) -> list[float]:
        comp = self.compensation.compute(ctx)
        out, b, t0, qd = self.out, self.damping, self.torque_nm, ctx.qd
        step = ctx.dt / SWING_FADE_S
        w = self.swing
        for s in (0, 1):
            x = w[s] + (-step if ctx.stance[s] else step)
            w[s] = 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)
        for s, joints in enumerate(LEG_DOFS):
            ws = w[s]
            for i in joints:
                v = qd[i]
                sat = v / 0.1 if -0.1 < v < 0.1 else (1.0 if v > 0.0 else -1.0)
                out[i] = comp[i] - ws * (b * v + t0 * sat)
        return out
