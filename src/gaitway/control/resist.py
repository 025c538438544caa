"""Resistance: a training load against the swinging leg, which eases off where the patient
cannot carry it.

What a resistance mode in a gait robot applies: the Lokomat's swing resistance (Lam et al.
2008, Neurorehabil Neural Repair 22(5):438-446) opposes hip and knee motion in swing with a
velocity-dependent (viscous) torque, set as a share of the walker's own joint moments; studies
in the Lokomat used 5-10 % of maximal voluntary torque at hip and knee (Klarner, MSc thesis,
University of British Columbia 2010: 0, 5 and 10 % MVC). The accepted range is chosen so that
its top stays near that share for a healthy adult at the swing's joint speeds (see
:data:`MAX_RESIST_DAMPING`), so every value a therapist may set is a load a patient can walk
against. A weaker patient (a profile with less strength, less body-weight support) may still
be unable to: then, as a physiotherapist would, the controller reduces the resistance instead
of letting the belt drag a leg to the end of its range (see :class:`ResistanceController`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from gaitway.control.base import Compensation, Controller, TickContext
from gaitway.errors import UserError
from gaitway.station.channels import DRIVEN_DOFS, LEG_DOFS

#: The accepted resistance, at most. Resistance acts in swing, where a healthy knee swings at
#: up to 5 rad/s and a hip at up to 3-4 rad/s (the twin's reference gait at 3.2 km/h); the
#: twin's healthy adult gives 110-120 N*m at hip and knee (a patient's maximal voluntary
#: torque, scaled by the profile's strength). 2 N*m*s/rad asks a 5 rad/s knee for 10 N*m,
#: i.e. 10 % of maximal torque, the top of what resistance studies in the Lokomat set (Lam et
#: al. 2008; Klarner 2010: 5-10 % MVC); the constant part's 10 N*m is 10 % of it at rest. The
#: earlier top of 10 N*m*s/rad asked ~50 N*m of a swinging knee (45 % of a healthy knee's
#: maximum, more of a weak one's) although its comment said 10 %; with 10 N*m on top, healthy,
#: hemiparetic and SCI patients on the twin stopped at the end of the hip's range (22 of 36
#: false faults of the half envelope, docs/validation/envelope.md).
MAX_RESIST_DAMPING: Final[float] = 2.0
MAX_RESIST_TORQUE_NM: Final[float] = 10.0
#: the default: a light, velocity-dependent load (5 % of a healthy knee's maximum at 5 rad/s)
DEFAULT_RESIST_DAMPING: Final[float] = 1.0

#: the resistance fades in after a toe-off and out after a heel strike over this long (s)
SWING_FADE_S: Final[float] = 0.03
#: The resistance eases off as either hip nears the extension end of its range: full while
#: both hips are at least this far (rad) inside it, none at its end. A resisted swing that
#: has not landed when the other leg's hip runs out of extension is a step that failed: the
#: belt drags the planted leg to the end of its range (the joint_range stops of the
#: envelope: hip at -0.40 rad, its hard limit, the swinging leg held back). A therapist
#: lowers the resistance then; this does it at once. Normal gait never reaches the band (the
#: reference's deepest hip extension is -0.13 rad at 3.2 km/h against a band that starts at
#: -0.15 for the default range's end of -0.25).
RANGE_FADE_RAD: Final[float] = 0.10
#: resistance comes in step by step, as a therapist adds it once the patient walks: each heel
#: strike (either leg) after a step that landed in time adds this share of it, from none at
#: the start and after every stand (a pause), so a start is never resisted before the
#: patient has found the rhythm; a step during which a hip reached the fade band above
#: failed, and halves what had been earned (a weak patient at the limit of their strength
#: gets less, not the same load again). On the twin, sci-incomplete at 0 % support took no
#: stride against the most resistance without it (joint_range at 3.3 s, 2 km/h).
RAMP_STEP_SHARE: Final[float] = 0.25
#: a reduction is reported once and closed when full resistance has held this long (s), so
#: that a patient at the edge of their strength gives one pair of events, not one a stride
RESTORED_AFTER_S: Final[float] = 2.0

EventSink = Callable[..., Any]


def _no_event(*args: Any, **kwargs: Any) -> None:
    return None


def check_resistance(damping_nm_s_rad: float, torque_nm: float) -> None:
    """UserError naming the accepted range if either value lies outside it."""
    for label, value, top, unit in (
            ("resistance damping", damping_nm_s_rad, MAX_RESIST_DAMPING,
             "N*m*s/rad"),
            ("resistance torque", torque_nm, MAX_RESIST_TORQUE_NM, "N*m")):
        if not (isinstance(value, int | float) and math.isfinite(value)
                and 0.0 <= value <= top):
            raise UserError(f"{label} must be a number within 0-{top:g} {unit}, got {value}")


@dataclass(frozen=True, slots=True)
class ResistSettings:
    """Resistance: viscous damping against the swinging leg's joint motion and a constant
    opposing torque, within the accepted range; and the hips' extension end of their soft
    range (rad), where the resistance has eased off entirely (the session builder passes the
    patient's measured range, the safety layer's ``PatientLimits.hip_rom.soft_lo``)."""

    damping_nm_s_rad: float = DEFAULT_RESIST_DAMPING
    torque_nm: float = 0.0
    hip_extension_limit_rad: float = -0.25

    def __post_init__(self) -> None:
        check_resistance(self.damping_nm_s_rad, self.torque_nm)
        if not (math.isfinite(self.hip_extension_limit_rad)
                and -1.0 <= self.hip_extension_limit_rad <= 0.0):
            raise UserError(f"hip extension limit must be within -1..0 rad, got "
                            f"{self.hip_extension_limit_rad}")


class ResistanceController(Controller):
    """Resistance for strong patients: opposes the swinging leg's joint motion by damping and
    a set torque.

    ``torque_nm`` is a velocity-signed constant torque (smoothed near zero speed so that it
    never chatters). It acts in each leg's swing only, as the Lokomat's resistance does: in
    stance the belt moves the planted leg, and a torque against that motion is not one the
    patient can push through (it bent the loaded knee and pushed the planted foot against
    the belt). Swing is the foot off its force plate (``TickContext.stance``); the
    resistance fades in and out over :data:`SWING_FADE_S`, so that a toe-off or a heel
    strike is not a torque step.

    It comes in over the first steps (:data:`RAMP_STEP_SHARE` a heel strike) and, where the
    patient cannot carry it, eases off: its share falls linearly to none as either hip comes
    within :data:`RANGE_FADE_RAD` of its range's extension end (a step that is not landing
    in time), and comes back as the hips do; a continuous function of the angle, so never a
    torque step. Such a step halves what the steps had earned. Each reduction is reported to
    ``sink`` once (``resistance_reduced``, with the joint, its angle and the share left) and
    closed by ``resistance_restored`` after :data:`RESTORED_AFTER_S` at full range share.
    """

    name = "resist"

    def __init__(
        self,
        *,
        settings: ResistSettings | None = None,
        compensation: Compensation | None = None,
        sink: EventSink | None = None,
    ) -> None:
        super().__init__()
        s = settings or ResistSettings()
        self.settings = s
        self.damping = s.damping_nm_s_rad
        self.torque_nm = s.torque_nm
        self.compensation = compensation or Compensation()
        self._sink: EventSink = sink or _no_event
        self._limit = s.hip_extension_limit_rad
        #: per side, how much of the resistance acts (0 in stance, 1 in swing), faded
        self.swing = [0.0, 0.0]
        #: the share of the set resistance acting now (1: all of it): what the steps have
        #: earned, times what the hips' range leaves
        self.share = 0.0
        #: the share the steps have earned (see RAMP_STEP_SHARE), and whether a hip reached
        #: the fade band since the last heel strike
        self.earned = 0.0
        self._failing = False
        #: the least share in the current reduction (None: none open), when it opened, and
        #: when full resistance came back
        self._least: float | None = None
        self._opened_s = 0.0
        self._full_since_s = 0.0
        #: reductions reported so far, and the time (s) resistance acted at less than full
        self.reductions = 0
        self.reduced_s = 0.0

    def set_resistance(self, damping_nm_s_rad: float, torque_nm: float) -> None:
        """A therapist's new resistance (validated), from the next tick on. What the steps
        have earned is kept: a change is not a new start, and the range fade still acts."""
        s = self.settings
        self.settings = ResistSettings(damping_nm_s_rad=damping_nm_s_rad, torque_nm=torque_nm,
                                       hip_extension_limit_rad=s.hip_extension_limit_rad)
        self.damping = damping_nm_s_rad
        self.torque_nm = torque_nm

    def _range_share(self, ctx: TickContext) -> tuple[float, int]:
        """The share the hips' extension leaves, and the most extended hip's joint index."""
        hl, hr = LEG_DOFS[0][0], LEG_DOFS[1][0]
        q = ctx.q
        j = hl if q[hl] <= q[hr] else hr
        x = (q[j] - self._limit) / RANGE_FADE_RAD
        return (0.0 if x < 0.0 else (1.0 if x > 1.0 else x)), j

    def _report(self, ctx: TickContext, share: float, joint: int) -> None:
        """Open, extend or close the current reduction (events only at its edges)."""
        t = ctx.time
        if share < 1.0:
            self.reduced_s += ctx.dt
            self._full_since_s = t
            if self._least is None:
                self._least, self._opened_s = share, t
                self.reductions += 1
                name, side = DRIVEN_DOFS[joint]
                self._sink(t, "resistance_reduced", "auto:resistance",
                           joint=f"{name}_{side}", angle_rad=round(ctx.q[joint], 3),
                           share=round(share, 2), earned=round(self.earned, 2),
                           reason=f"{name}_{side} at {ctx.q[joint]:.2f} rad, within "
                                  f"{RANGE_FADE_RAD:g} rad of its range's extension end "
                                  f"({self._limit:.2f}): the step is not landing in time")
            elif share < self._least:
                self._least = share
        elif self._least is not None and t - self._full_since_s >= RESTORED_AFTER_S:
            self._sink(t, "resistance_restored", "auto:resistance",
                       least_share=round(self._least, 2),
                       reduced_for_s=round(self._full_since_s - self._opened_s, 3))
            self._least = None

    def on_stride(self, side: int, time_s: float) -> None:
        """A heel strike: a step that landed in time earns more resistance, one that did not
        halves it."""
        if self._failing:
            self.earned *= 0.5
        else:
            self.earned = min(1.0, self.earned + RAMP_STEP_SHARE)
        self._failing = False

    def torques(self, ctx: TickContext) -> list[float]:
        comp = self.compensation.compute(ctx)
        if ctx.phase_rate[0] <= 0.0 and ctx.phase_rate[1] <= 0.0:  # standing: start again
            self.earned = 0.0
            self._failing = False
        range_share, joint = self._range_share(ctx)
        if range_share < 1.0:
            self._failing = True
        if range_share < 1.0 or self._least is not None:
            self._report(ctx, range_share, joint)
        share = self.share = self.earned * range_share
        out, qd = self.out, ctx.qd
        b, t0 = self.damping * share, self.torque_nm * share
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
