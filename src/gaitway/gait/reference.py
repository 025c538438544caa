"""Reference gait: normative sagittal hip, knee and ankle angles over the gait cycle.

The curves are periodic cubic splines through key points of normative adult treadmill and
overground walking (shapes after Winter 2009, *Biomechanics and Motor Control of Human
Movement*, and Perry & Burnfield 2010), given at two walking speeds and blended by the
dimensionless (Froude) speed ``v / sqrt(g * leg_length)``, in the spirit of Koopman et al. 2014
who regress key gait events on speed and body height and join them smoothly. Slow walking has
less knee flexion in loading and swing, a smaller hip excursion and a longer stance.

Stride length follows a Grieve-type power law (stride length proportional to dimensionless
speed to the power 0.55, scaled by leg length), which sets the stride time from the belt speed.
A range-of-motion setting changes how far the foot travels in stance but not the stride time:
a range too small for the belt's speed leaves the planted foot to be dragged by the belt
against the robot (hip and knee x0.5 at 3.2 km/h: interaction torque 98 N*m within 2.1 s,
SIMULATED, healthy, full guidance). Such a setting is refused (:func:`check_walkable`).
Raising the cadence with the range instead (the stride length following the range) made the
virtual patient, whose own cadence follows the belt, fight the robot at every range but 1.

Below about 2 km/h the blended curves' stance would sweep more than the belt's travel (1.87
of it at 0.5 km/h, 1.45 at 0.8, for a 1.75 m adult): the blend stops at the slow curves while
Grieve's stride keeps shortening, the planted foot cannot go back that far, and guidance pushed
the loaded hip into extension (cuff peaks 80-89 N*m at 0.5 km/h, SIMULATED,
hemiparetic-left-mild, full guidance). Where the set range of motion would cover more than
:data:`MAX_BELT_COVERAGE` of the belt's travel, the hip's and knee's excursions shrink further
about their means by one factor (:func:`belt_factor`) until it covers that much, with the
cadence unchanged; where it covers no more (a range of x0.5, faster walking) the curves are
exactly the set range's. People's sagittal hip and knee excursions shrink as they walk slower
(Stoquart 2008, 1-6 km/h on a treadmill; Fukuchi 2018; Koopman 2014's speed regression; the
direction only, sizes not checked). Shrinking the hip alone left the knee's pre-swing flexion
to carry most of the travel (hip x0.21 at 0.5 km/h) and still let the cuffs exceed 60 N*m
(SIMULATED). The robot and the virtual patient read the same curves and factor.

The factor is taken at the speed the belt is set to where that is faster than the belt runs
(``hold_speed_m_s``): while the belt ramps up to it (a start, a resume after a pause) or runs
down to a pause, a gait held at each speed passed through shrank toward no stance sweep at
all (factor 0.22 at 0.1 km/h, 0.53 at 0.5), and a severe paretic patient whose own intent
shrank so landed crouched after a resume until the sound hip was dragged past its range (3 of
10 seeds, resistance, 41 % support, 2.8 km/h; SIMULATED). The few seconds of a ramp are not
the minute of slow walking whose loaded hip the hold protects.

Phase 0 is heel strike of the leg in question; the other leg runs half a cycle later.
Lookups are table-based so that one call costs well under a microsecond of Python per joint.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

from gaitway.errors import UnwalkableError, UserError

GRAVITY: Final[float] = 9.81
#: the height a setting is checked at when the person's own is not known (the virtual
#: patients' default; a shorter person's stance covers less of the belt at the same speed)
DEFAULT_HEIGHT_M: Final[float] = 1.75
_DEG: Final[float] = math.pi / 180.0
_TABLE_N: Final[int] = 1000

# Key points (phase 0-1, degrees) at a slow (Froude speed 0.10) and a normal (0.40) pace.
# Phase 1 repeats phase 0 (periodic). Flexion +, ankle dorsiflexion +.
_SLOW: Final[dict[str, tuple[tuple[float, float], ...]]] = {
    "hip": ((0.0, 22), (0.12, 20), (0.30, 10), (0.52, -2), (0.64, 1), (0.74, 12), (0.88, 26),
            (0.95, 24)),
    "knee": ((0.0, 4), (0.15, 11), (0.30, 6), (0.46, 4), (0.57, 9), (0.67, 33), (0.77, 52),
             (0.88, 30), (0.96, 6)),
    "ankle": ((0.0, 0), (0.07, -3), (0.25, 5), (0.50, 9), (0.61, 3), (0.69, -10), (0.80, -1),
              (0.90, 1)),
}
_NORMAL: Final[dict[str, tuple[tuple[float, float], ...]]] = {
    "hip": ((0.0, 30), (0.12, 28), (0.30, 12), (0.50, -10), (0.60, -2), (0.70, 15), (0.85, 35),
            (0.93, 33)),
    "knee": ((0.0, 5), (0.15, 20), (0.30, 10), (0.40, 5), (0.50, 8), (0.60, 38), (0.72, 62),
             (0.85, 35), (0.95, 5)),
    "ankle": ((0.0, 0), (0.07, -6), (0.20, 4), (0.45, 10), (0.55, 2), (0.62, -17), (0.75, -2),
              (0.85, 1)),
}
_FROUDE_SLOW: Final[float] = 0.10
_FROUDE_NORMAL: Final[float] = 0.40
_STANCE_SLOW: Final[float] = 0.66
_STANCE_NORMAL: Final[float] = 0.60
# stride length / leg length = K * Froude^0.55: 1.41 leg lengths at Froude 0.43 (1.3 m/s),
# 0.89 at 0.19 (2 km/h for a 1.75 m adult), after Grieve's power law
_GRIEVE_K: Final[float] = 2.24
_GRIEVE_EXP: Final[float] = 0.55
REF_JOINTS: Final[tuple[str, str, str]] = ("hip", "knee", "ankle")
#: the least share of the belt's travel in stance that the robot's stance may cover (the foot's
#: travel relative to the hip, :func:`stance_travel_m`). The recorded curves cover 0.93 at
#: 3.2 km/h and more when slower; measured on the twin (SIMULATED, healthy, full guidance,
#: 0 % support, seed 1, 12 s): 0.71 (hip and knee x0.75, 3.2 km/h) walked, 0.65 (x0.5,
#: 1 km/h), 0.58 (x0.5, 1.4 km/h) and 0.48 (x0.5, 3.2 km/h) stopped with a fault
MIN_BELT_COVERAGE: Final[float] = 0.7
#: the most of the belt's travel in stance that a reference covers (:func:`belt_factor`): the
#: planted foot cannot go back further than the belt takes it. The recorded curves (range of
#: motion x1) reach 1.0 by themselves near 2.1 km/h (1.75 m), so the shrink below joins the
#: unshrunk curves there without a step
MAX_BELT_COVERAGE: Final[float] = 1.0
#: :func:`belt_factor`'s solver tolerance: the stance then covers the belt's travel to within
#: about 2e-6 of it (the coverage grows about 1.9 per unit of the factor at 0.5 km/h)
_FACTOR_XTOL: Final[float] = 1e-6
#: thigh and shank length per body height (Winter's segment table), for the foot's travel
_THIGH_PER_H: Final[float] = 0.245
_SHANK_PER_H: Final[float] = 0.246


def leg_length_m(height_m: float) -> float:
    """Trochanter height from body height (Winter's segment table: 0.530 H)."""
    return 0.530 * height_m


def froude_speed(speed_m_s: float, height_m: float) -> float:
    return speed_m_s / math.sqrt(GRAVITY * leg_length_m(height_m))


def stride_time_s(speed_m_s: float, height_m: float) -> float:
    """Stride time on a treadmill at this speed for a person of this height (Grieve)."""
    if speed_m_s <= 0.0:
        raise UserError(f"walking speed must be positive, got {speed_m_s} m/s")
    fr = froude_speed(speed_m_s, height_m)
    stride_length = _GRIEVE_K * leg_length_m(height_m) * math.pow(fr, _GRIEVE_EXP)
    return stride_length / speed_m_s


def stance_travel_m(hip: np.ndarray, knee: np.ndarray, stance_fraction: float,
                    height_m: float) -> float:
    """How far the foot moves backwards relative to the hip during stance (m), from one
    cycle of hip and knee angles (rad, ``len - 1`` points a cycle; flexion +): the belt's
    travel in stance that these angles can follow without the foot sliding."""
    x = (_THIGH_PER_H * height_m * np.sin(hip)
         + _SHANK_PER_H * height_m * np.sin(hip - knee))
    end = int(stance_fraction * (hip.size - 1))
    stance = x[: end + 1]
    return float(stance.max() - stance.min())


@dataclass(frozen=True, slots=True)
class JointRom:
    """A therapist's range-of-motion setting for one joint, as on the Lokomat.

    ``scale`` multiplies the excursion about the curve's mean; ``offset_rad`` shifts it.
    """

    scale: float = 1.0
    offset_rad: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.scale <= 1.5:
            raise UserError(f"range-of-motion scale must be within 0-1.5, got {self.scale}")
        if abs(self.offset_rad) > 20 * _DEG:
            raise UserError(
                f"range-of-motion offset must be within +-20 deg, got "
                f"{self.offset_rad / _DEG:.1f} deg"
            )


@dataclass(frozen=True, slots=True)
class RomSettings:
    hip: JointRom = field(default_factory=JointRom)
    knee: JointRom = field(default_factory=JointRom)
    ankle: JointRom = field(default_factory=JointRom)

    def for_joint(self, joint: str) -> JointRom:
        rom: JointRom = getattr(self, joint)
        return rom

    def with_hip_scale(self, scale: float) -> RomSettings:
        return RomSettings(hip=JointRom(scale=scale, offset_rad=self.hip.offset_rad),
                           knee=self.knee, ankle=self.ankle)


@functools.cache
def _spline(speed_band: str, joint: str) -> CubicSpline:
    """The periodic spline through one joint's key points (slow or normal walking), built once:
    a ReferenceGait is made anew whenever a virtual patient's belt speed moves, and building
    its six splines each time took ~4 ms, several ticks of a paced live loop."""
    points = (_SLOW if speed_band == "slow" else _NORMAL)[joint]
    x = np.array([p for p, _ in points] + [1.0])
    y = np.array([a for _, a in points] + [points[0][1]]) * _DEG
    return CubicSpline(x, y, bc_type="periodic")


def _curve(speed_band: str, joint: str, phases: np.ndarray) -> np.ndarray:
    out: np.ndarray = _spline(speed_band, joint)(phases)
    return out


def _stance_warp(phases: np.ndarray, stance_from: float, stance_to: float) -> np.ndarray:
    """Map phases of a curve with stance ``stance_to`` onto a key-point set with ``stance_from``."""
    out = np.where(
        phases < stance_to,
        phases * stance_from / stance_to,
        stance_from + (phases - stance_to) * (1.0 - stance_from) / (1.0 - stance_to),
    )
    return np.asarray(out)


def _blend(speed_m_s: float, height_m: float) -> float:
    """The weight of the normal-pace curves against the slow ones at this speed (0 slow)."""
    fr = froude_speed(speed_m_s, height_m)
    return min(max((fr - _FROUDE_SLOW) / (_FROUDE_NORMAL - _FROUDE_SLOW), 0.0), 1.2)


def _natural_stance(blend: float) -> float:
    return _STANCE_SLOW + (_STANCE_NORMAL - _STANCE_SLOW) * blend


def _base_curve(joint: str, phases: np.ndarray, blend: float, stance: float) -> np.ndarray:
    """The recorded curves blended for this speed, with stance ``stance`` (rad)."""
    slow = _curve("slow", joint, _stance_warp(phases, _STANCE_SLOW, stance))
    normal = _curve("normal", joint, _stance_warp(phases, _STANCE_NORMAL, stance))
    out: np.ndarray = slow + (normal - slow) * blend
    return out


def _scaled(curve: np.ndarray, rom: JointRom, shrink: float) -> np.ndarray:
    """A blended curve with the therapist's range of motion, its excursion about its mean
    shrunk further by ``shrink`` (1: as set, the same floats as without it)."""
    mean = float(curve[:-1].mean())
    out: np.ndarray = mean + rom.scale * shrink * (curve - mean) + rom.offset_rad
    return out


@functools.lru_cache(maxsize=512)
def belt_factor(speed_m_s: float, height_m: float, rom: RomSettings) -> float:
    """The share of the range-of-motion-scaled hip and knee excursions (each about its mean)
    that a reference keeps at this speed and height so that its stance covers at most
    :data:`MAX_BELT_COVERAGE` of the belt's travel: 1 where the set range covers no more
    (so a therapist's range keeps its meaning), less where it would cover more (slow
    walking, a range above x1), exactly enough to cover the belt's travel. Taken at the
    natural stance fraction, so that every leg built for this speed and range (the robot's,
    the virtual patient's with its own stance) shares it. Cached: ~0.5 ms a new speed."""
    blend = _blend(speed_m_s, height_m)
    stance = _natural_stance(blend)
    phases = np.arange(_TABLE_N + 1) / _TABLE_N
    hip = _base_curve("hip", phases, blend, stance)
    knee = _base_curve("knee", phases, blend, stance)
    belt_m = speed_m_s * stride_time_s(speed_m_s, height_m) * stance

    def excess(factor: float) -> float:
        travel = stance_travel_m(_scaled(hip, rom.hip, factor), _scaled(knee, rom.knee, factor),
                                 stance, height_m)
        return travel / belt_m - MAX_BELT_COVERAGE

    if excess(1.0) <= 0.0:
        return 1.0
    # the root's lower side: the stance then covers at most the belt's travel
    root = float(brentq(excess, 0.0, 1.0, xtol=_FACTOR_XTOL))
    return root if excess(root) <= 0.0 else root - _FACTOR_XTOL


#: how a velocity error weighs against an angle error in :func:`nearest_phase` (s: 1 rad/s
#: weighs as this many rad); a tenth of a second, about a twelfth of a slow stride
PHASE_FIT_VELOCITY_S: Final[float] = 0.1


def nearest_phase(hip_l: npt.ArrayLike, hip_r: npt.ArrayLike, knee_l: npt.ArrayLike,
                  knee_r: npt.ArrayLike, posture: tuple[float, float, float, float], *,
                  offset_left: float = 0.0, offset_right: float = 0.5, n: int = 200,
                  carrying: int | None = None, stance_until: float = 1.0,
                  velocity: tuple[float, float, float, float] | None = None,
                  rate_hz: float = 0.0) -> float:
    """The phase (of a cycle sampled by the tables, one cycle at ``len - 1`` points) at
    which hips and knees are nearest to ``posture`` (hip_l, hip_r, knee_l, knee_r: the
    station's joint order), least squares on ``n`` phases; each leg's table is read at the
    phase plus its offset.

    Walking that restarts after a stop goes on from there, for the robot's reference and
    the virtual patient's intent alike: the stop froze the legs mid-stride, and restarting
    elsewhere threw them into another posture within a quarter of a second.

    ``carrying``: the leg (0 left, 1 right) that carries the body's weight, if one does;
    only phases at which that leg's own phase is at most ``stance_until`` (in stance, with
    time left before it must lift) are considered, as a person steps off with the unloaded
    leg. A posture with the feet near together fits a double support about equally well
    with either leg leading, and the fit alone chose the one that asked the loaded leg to
    swing at once.

    ``velocity``: the joints' angular velocities (rad/s, the posture's order) of legs in
    motion, fitted too against the tables' rates at ``rate_hz`` strides per second (an error
    of 1 rad/s weighs as :data:`PHASE_FIT_VELOCITY_S` rad): legs that move tell a leg about
    to land from one about to lift, which a posture near standing does not."""
    tabs = [np.asarray(t, dtype=np.float64) for t in (hip_l, hip_r, knee_l, knee_r)]
    size = tabs[0].size - 1
    phases = np.arange(n) / n
    il = (((phases + offset_left) % 1.0) * size).astype(np.intp)
    ir = (((phases + offset_right) % 1.0) * size).astype(np.intp)
    err = ((tabs[0][il] - posture[0]) ** 2 + (tabs[1][ir] - posture[1]) ** 2
           + (tabs[2][il] - posture[2]) ** 2 + (tabs[3][ir] - posture[3]) ** 2)
    if velocity is not None:
        for tab, at, v in zip(tabs, (il, ir, il, ir), velocity, strict=True):
            rate = np.gradient(tab) * (size * rate_hz)
            err += (PHASE_FIT_VELOCITY_S * (rate[at] - v)) ** 2
    if carrying is not None:
        own = (phases + (offset_left, offset_right)[carrying]) % 1.0
        err = np.where(own <= stance_until, err, np.inf)
    return float(phases[int(np.argmin(err))])


class ReferenceGait:
    """Normative joint angles for one walking speed and body height, with ROM settings.

    Tables hold one cycle at ``_TABLE_N`` points; :meth:`angles` interpolates linearly.
    """

    def __init__(
        self,
        *,
        speed_m_s: float,
        height_m: float,
        rom: RomSettings | None = None,
        stance_fraction: float | None = None,
        hold_speed_m_s: float = 0.0,
        _copy_of: ReferenceGait | None = None,
    ) -> None:
        """``hold_speed_m_s``: the speed the belt is set to (m/s); where it is faster than
        ``speed_m_s`` (the belt ramping up to it, or down to a pause) the belt factor is
        that speed's, not this one's (module docstring). ``_copy_of``: a reference whose
        attributes are copied instead of building any (for :meth:`with_belt_factor`; an
        instance compiled with mypyc cannot be copied by ``copy.copy``)."""
        if _copy_of is not None:
            self._copy_from(_copy_of)
            return
        if not 1.0 <= height_m <= 2.3:
            raise UserError(f"body height must be within 1.0-2.3 m, got {height_m} m")
        self.speed_m_s = speed_m_s
        self.height_m = height_m
        self.rom = rom or RomSettings()
        w = _blend(speed_m_s, height_m)
        self.blend = w
        natural_stance = _natural_stance(w)
        self.stance_fraction = stance_fraction if stance_fraction is not None else natural_stance
        if not 0.45 <= self.stance_fraction <= 0.8:
            raise UserError(f"stance fraction must be within 0.45-0.8, got {stance_fraction}")
        #: the share of the set range's hip and knee excursions kept at this speed
        #: (:func:`belt_factor` at the faster of this speed and the set one; 1 where the set
        #: range covers at most the belt's travel)
        self.belt_factor = belt_factor(max(speed_m_s, hold_speed_m_s), height_m, self.rom)
        phases = np.arange(_TABLE_N + 1) / _TABLE_N
        tables: dict[str, np.ndarray] = {}
        for joint in REF_JOINTS:
            curve = _base_curve(joint, phases, w, self.stance_fraction)
            shrink = self.belt_factor if joint in ("hip", "knee") else 1.0
            tables[joint] = _scaled(curve, self.rom.for_joint(joint), shrink)
        self.stride_time_s = stride_time_s(speed_m_s, height_m)
        self._set_tables(tables)

    def with_belt_factor(self, factor: float) -> ReferenceGait:
        """This gait with ``factor`` of the set range's hip and knee excursions instead of
        its own :attr:`belt_factor` (the same tables, to rounding, as one built with a hold
        speed whose factor that is): each scaled about its mean, which the factor leaves in
        place. A copy, well under a millisecond (a build takes a few), so that a control tick
        may take one."""
        out = ReferenceGait(speed_m_s=self.speed_m_s, height_m=self.height_m, _copy_of=self)
        out.belt_factor = factor
        ratio = factor / self.belt_factor
        tables = dict(self._tables)
        for joint in ("hip", "knee"):
            t = tables[joint]
            mean = float(t[:-1].mean())
            tables[joint] = mean + ratio * (t - mean)
        # the rates scale with the excursions (no new gradient: a third of the cost)
        out._set_tables(tables, (ratio * np.asarray(self._dhip)).tolist(),
                        (ratio * np.asarray(self._dknee)).tolist())
        return out

    def _set_tables(self, tables: dict[str, np.ndarray], dhip: list[float] | None = None,
                    dknee: list[float] | None = None) -> None:
        """The tables, and what is read from them: the lookup lists (the hip's and knee's
        rates from the tables' gradients unless given) and the coverage."""
        self._tables = tables
        #: the share of the belt's travel in stance that this reference's stance follows
        self.belt_coverage = (
            stance_travel_m(tables["hip"], tables["knee"], self.stance_fraction, self.height_m)
            / (self.speed_m_s * self.stride_time_s * self.stance_fraction))
        self._hip = tables["hip"].tolist()
        self._knee = tables["knee"].tolist()
        self._ankle = tables["ankle"].tolist()
        self._dhip = (np.gradient(tables["hip"]) * _TABLE_N).tolist() if dhip is None else dhip
        self._dknee = ((np.gradient(tables["knee"]) * _TABLE_N).tolist() if dknee is None
                       else dknee)

    def _copy_from(self, o: ReferenceGait) -> None:
        """Every attribute of ``o`` (the same objects: tables are never changed in place)."""
        self.speed_m_s, self.height_m, self.rom = o.speed_m_s, o.height_m, o.rom
        self.blend, self.stance_fraction = o.blend, o.stance_fraction
        self.belt_factor, self.stride_time_s = o.belt_factor, o.stride_time_s
        self._tables, self.belt_coverage = o._tables, o.belt_coverage
        self._hip, self._knee, self._ankle = o._hip, o._knee, o._ankle
        self._dhip, self._dknee = o._dhip, o._dknee

    @property
    def frequency_hz(self) -> float:
        return 1.0 / self.stride_time_s

    def table(self, joint: str) -> np.ndarray:
        """One cycle of a joint's reference angle (rad), ``_TABLE_N + 1`` points."""
        return self._tables[joint].copy()

    def angles(self, phase: float) -> tuple[float, float, float]:
        """Hip, knee, ankle reference angles (rad) at a phase (cycles; wraps)."""
        x = (phase % 1.0) * _TABLE_N
        i = int(x)
        f = x - i
        h, k, a = self._hip, self._knee, self._ankle
        return (
            h[i] + (h[i + 1] - h[i]) * f,
            k[i] + (k[i + 1] - k[i]) * f,
            a[i] + (a[i + 1] - a[i]) * f,
        )

    def hip_knee(self, phase: float) -> tuple[float, float, float, float]:
        """Hip and knee angles (rad) and their rates (rad per cycle) at a phase."""
        x = (phase % 1.0) * _TABLE_N
        i = int(x)
        f = x - i
        h, k, dh, dk = self._hip, self._knee, self._dhip, self._dknee
        return (
            h[i] + (h[i + 1] - h[i]) * f,
            k[i] + (k[i + 1] - k[i]) * f,
            dh[i] + (dh[i + 1] - dh[i]) * f,
            dk[i] + (dk[i + 1] - dk[i]) * f,
        )


def _walkable(speed_m_s: float, height_m: float, rom: RomSettings) -> bool:
    ref = ReferenceGait(speed_m_s=speed_m_s, height_m=height_m, rom=rom)
    return ref.belt_coverage >= MIN_BELT_COVERAGE


def min_hip_scale(speed_m_s: float, height_m: float, rom: RomSettings) -> float | None:
    """The smallest hip range-of-motion scale (in steps of 0.05, the knee's as set) whose
    stance covers the belt's travel at this speed; None if not even 1.5 does."""
    for k in range(31):
        scale = k * 0.05
        if _walkable(speed_m_s, height_m, rom.with_hip_scale(scale)):
            return scale
    return None


def max_walkable_speed_m_s(height_m: float, rom: RomSettings, *, lo_m_s: float,
                           hi_m_s: float) -> float | None:
    """The fastest speed within ``lo_m_s``-``hi_m_s`` (in steps of 0.1 km/h from ``lo``)
    at which this range of motion covers the belt's travel; None if not even ``lo_m_s``."""
    n = int((hi_m_s - lo_m_s) * 36.0 + 1e-9)
    best = None
    for k in range(n + 1):
        v = lo_m_s + k / 36.0
        if not _walkable(v, height_m, rom):
            break
        best = v
    return best


def check_walkable(speed_m_s: float, height_m: float, rom: RomSettings, *,
                   min_speed_m_s: float) -> ReferenceGait:
    """The reference for these settings, or UserError if its stance covers less than
    :data:`MIN_BELT_COVERAGE` of the belt's travel (a range too small for the belt's
    speed), saying what range or speed would do (:class:`UnwalkableError`, a UserError)."""
    ref = ReferenceGait(speed_m_s=speed_m_s, height_m=height_m, rom=rom)
    if ref.belt_coverage >= MIN_BELT_COVERAGE:
        return ref
    fixes = []
    hip = min_hip_scale(speed_m_s, height_m, rom)
    if hip is not None:
        fixes.append(f"raise the hip range of motion to x{hip:.2f} or more")
    v = max_walkable_speed_m_s(height_m, rom, lo_m_s=min_speed_m_s, hi_m_s=speed_m_s)
    if v is not None:
        fixes.append(f"lower the speed to {v * 3.6:.1f} km/h or less")
    raise UnwalkableError(
        f"range of motion hip x{rom.hip.scale:.2f}, knee x{rom.knee.scale:.2f} at "
        f"{speed_m_s * 3.6:.1f} km/h: the legs' stance covers "
        f"{ref.belt_coverage * 100:.0f} % of the belt's travel, the belt would drag the feet "
        f"(at least {MIN_BELT_COVERAGE * 100:.0f} % needed): "
        + " or ".join(fixes or ["raise the range of motion"]))
