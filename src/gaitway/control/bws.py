"""Body-weight support: hold the unloading force at a set share of body weight.

The cable between the winch and the harness is springy and the winch lags, so the force a
harness actually holds drifts when the pelvis moves up and down in each step. The controller
commands the winch force from the set point, a proportional-integral correction on the
measured cable force, and a feed-forward of the pelvis' vertical velocity through the
cable's stiffness (the force the motion would add), so that the force follows the pelvis.
A change of the set percentage is ramped, never stepped.

At low support the cable holds only a few millimetres of stretch, so when the pelvis rises
after a heel strike the cable can go slack for a moment (measured on the twin: docs/safety/
harness_slack.md). While it is slack the force error says nothing about the set point (no
force the winch could add reaches the patient until the cable is taut again), so the integral
is held (anti-windup): before, it wound up by the set point times ``ki`` per second (38 N at
5 % support became a 140 N pull at re-tension, and the supervisor's slack rule, which compared
the measured force with that transient, stopped the session). The pelvis velocity of the
feed-forward is low-passed (``velocity_filter_s``): differentiated sensor noise at 1 kHz
otherwise swung the command by tens of newtons each tick. The command stays within the
device's limit (``max_fraction`` of body weight, the safety layer's harness limit), with the
integral held while it sits there: after a hard heel strike at speed under high support, the
feed-forward of the rising pelvis asked for more than the device may hold, which the safety
layer rightly refused as a command out of range (a false stop).
"""

from __future__ import annotations

import math
from typing import Final

from gaitway.control.base import GRAVITY
from gaitway.errors import UserError

MAX_BWS_FRACTION = 0.8
#: the cable counts as slack (integral held) below this share of the set point
SLACK_SHARE: Final[float] = 0.2


class BwsController:
    """Force controller for the body-weight-support cable (per-tick, plain floats).

    ``fraction`` is the set unloading as a fraction of body weight (0-0.8);
    ``cable_stiffness_n_m`` and ``winch_time_constant_s`` describe the cable for feed-forward.
    """

    __slots__ = (
        "_integral",
        "_last_pelvis",
        "_vz",
        "_vz_alpha",
        "body_mass_kg",
        "cable_stiffness_n_m",
        "fraction",
        "ki",
        "kp",
        "max_n",
        "ramp_per_s",
        "slack_ticks",
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
        cable_stiffness_n_m: float = 15000.0,
        winch_time_constant_s: float = 0.033,
        ramp_per_s: float = 0.05,
        velocity_filter_s: float = 0.01,
        dt: float = 0.001,
        max_fraction: float = 1.0,
    ) -> None:
        if not 20.0 <= body_mass_kg <= 250.0:
            raise UserError(f"body mass must be within 20-250 kg, got {body_mass_kg} kg")
        if not 0.0 < max_fraction < math.inf:
            raise UserError(f"harness limit must be a positive share of body weight, got "
                            f"{max_fraction}")
        self.body_mass_kg = body_mass_kg
        #: the most the winch is asked to hold (N)
        self.max_n = max_fraction * body_mass_kg * GRAVITY
        self.fraction = check_bws(fraction)
        self.target_fraction = self.fraction
        self.kp = kp
        self.ki = ki
        self.cable_stiffness_n_m = cable_stiffness_n_m
        self.winch_time_constant_s = winch_time_constant_s
        self.ramp_per_s = ramp_per_s
        self._integral = 0.0
        self._last_pelvis = float("nan")
        self._vz = 0.0
        self._vz_alpha = 1.0 - math.exp(-dt / velocity_filter_s) if velocity_filter_s > 0 else 1.0
        #: ticks on which the cable was slack and the integral held (docs/safety/harness_slack.md)
        self.slack_ticks = 0

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
        raw = 0.0 if last != last else (pelvis_height_m - last) / dt  # nan check without call
        self._last_pelvis = pelvis_height_m
        vz = self._vz = self._vz + self._vz_alpha * (raw - self._vz)
        if setpoint <= 0.0:
            # no unloading set: the winch holds nothing (the harness only arrests a fall).
            # Before, the feed-forward of a rising pelvis asked for ~100 N at 0 % support, which
            # the slack cable never held, and the supervisor judged it slack (a false stop)
            self._integral = 0.0
            return 0.0
        err = setpoint - measured_n
        integral = self._integral
        # pelvis rising slackens the cable by k * vz per second; lead it by the winch lag
        ff = self.cable_stiffness_n_m * vz * self.winch_time_constant_s
        cmd = setpoint + self.kp * err + integral + ff
        top = self.max_n
        if measured_n < SLACK_SHARE * setpoint:
            self.slack_ticks += 1  # slack: hold the integral (anti-windup)
        elif (cmd > 0.0 or err > 0.0) and (cmd < top or err < 0.0):
            # no winding down while the command sits at 0, nor up while it sits at the limit
            integral += self.ki * err * dt
            limit = 0.3 * self.body_mass_kg * GRAVITY
            self._integral = (limit if integral > limit
                              else (-limit if integral < -limit else integral))
        return 0.0 if cmd < 0.0 else (top if cmd > top else cmd)


def check_bws(fraction: float) -> float:
    if not 0.0 <= fraction <= MAX_BWS_FRACTION:
        raise UserError(
            f"body-weight support must be within 0-{MAX_BWS_FRACTION * 100:.0f} %, "
            f"got {fraction * 100:.0f} %"
        )
    return float(fraction)
