"""Body-weight support: hold the unloading force at a set share of body weight.

The cable between the winch and the harness is springy and the winch lags, so the force a
harness actually holds drifts when the pelvis moves up and down in each step. The controller
commands the winch force from the set point, a proportional-integral correction on the
measured cable force, and a feed-forward of the pelvis' vertical velocity through the
cable's stiffness (the force the motion would add), so that the force follows the pelvis.
A change of the set percentage is ramped, never stepped.
"""

from __future__ import annotations

from gaitway.control.base import GRAVITY
from gaitway.errors import UserError

MAX_BWS_FRACTION = 0.8


class BwsController:
    """Force controller for the body-weight-support cable (per-tick, plain floats).

    ``fraction`` is the set unloading as a fraction of body weight (0-0.8);
    ``cable_stiffness_n_m`` and ``winch_time_constant_s`` describe the cable for feed-forward.
    """

    __slots__ = (
        "_integral",
        "_last_pelvis",
        "body_mass_kg",
        "cable_stiffness_n_m",
        "fraction",
        "ki",
        "kp",
        "ramp_per_s",
        "target_fraction",
        "winch_time_constant_s",
    )

    def __init__(
        self,
        *,
        body_mass_kg: float,
        fraction: float = 0.3,
        kp: float = 0.6,
        ki: float = 20.0,
        cable_stiffness_n_m: float = 8000.0,
        winch_time_constant_s: float = 0.02,
        ramp_per_s: float = 0.05,
    ) -> None:
        if not 20.0 <= body_mass_kg <= 250.0:
            raise UserError(f"body mass must be within 20-250 kg, got {body_mass_kg} kg")
        self.body_mass_kg = body_mass_kg
        self.fraction = check_bws(fraction)
        self.target_fraction = self.fraction
        self.kp = kp
        self.ki = ki
        self.cable_stiffness_n_m = cable_stiffness_n_m
        self.winch_time_constant_s = winch_time_constant_s
        self.ramp_per_s = ramp_per_s
        self._integral = 0.0
        self._last_pelvis = float("nan")

    def set_fraction(self, fraction: float) -> None:
        """New set point; reached by a ramp of ``ramp_per_s`` (body-weight fraction per s)."""
        self.target_fraction = check_bws(fraction)

    @property
    def setpoint_n(self) -> float:
        return self.fraction * self.body_mass_kg * GRAVITY

    def update(self, measured_n: float, pelvis_height_m: float, dt: float) -> float:
        """Winch force command (N) for this tick."""
        tgt, cur, r = self.target_fraction, self.fraction, self.ramp_per_s * dt
        if cur != tgt:
            cur = tgt if abs(tgt - cur) <= r else cur + (r if tgt > cur else -r)
            self.fraction = cur
        setpoint = cur * self.body_mass_kg * GRAVITY
        last = self._last_pelvis
        vz = 0.0 if last != last else (pelvis_height_m - last) / dt  # nan check without call
        self._last_pelvis = pelvis_height_m
        err = setpoint - measured_n
        integral = self._integral + self.ki * err * dt
        limit = 0.3 * self.body_mass_kg * GRAVITY
        integral = limit if integral > limit else (-limit if integral < -limit else integral)
        self._integral = integral
        # pelvis rising slackens the cable by k * vz per second; lead it by the winch lag
        ff = self.cable_stiffness_n_m * vz * self.winch_time_constant_s
        cmd = setpoint + self.kp * err + integral + ff
        return cmd if cmd > 0.0 else 0.0


def check_bws(fraction: float) -> float:
    if not 0.0 <= fraction <= MAX_BWS_FRACTION:
        raise UserError(
            f"body-weight support must be within 0-{MAX_BWS_FRACTION * 100:.0f} %, "
            f"got {fraction * 100:.0f} %"
        )
    return float(fraction)
