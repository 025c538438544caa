"""What every joint controller sees and how it answers.

The control stack fills one mutable :class:`TickContext` per tick (reused, so no allocation)
and asks the active controller for the four drive torques. Joint lists follow the station's
one joint order, ``DRIVEN_DOFS`` (hip left, hip right, knee left, knee right; ``LEG_DOFS``
gives each side's hip and knee position), so nothing is reordered between the station, the
controllers, the recording and the drives. Controllers output
torques only; the stack turns them into a Command, and a safety layer may change it after.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Final

from gaitway.errors import UserError
from gaitway.gait.reference import ReferenceGait
from gaitway.station.channels import DRIVEN_DOFS, LEG_DOFS

GRAVITY: Final[float] = 9.81
N_JOINTS: Final[int] = len(DRIVEN_DOFS)


class TickContext:
    """Measured and reference joint state for one tick, reused from tick to tick.

    Angles in rad, rates in rad/s, ``phase`` in cycles (0-1) per side (0 left, 1 right),
    ``phase_rate`` in cycles/s per side. ``stride_start`` marks a heel strike this tick;
    ``stance``: the foot bears load on its belt (its force plate, with the heel-strike
    detector's hysteresis), per side.
    """

    __slots__ = (
        "dt",
        "phase",
        "phase_rate",
        "q",
        "q_ref",
        "qd",
        "qd_ref",
        "reference",
        "stance",
        "stride_start",
        "time",
    )

    def __init__(self, reference: ReferenceGait, dt: float = 0.001) -> None:
        self.reference = reference
        self.dt = dt
        self.time = 0.0
        self.q = [0.0] * N_JOINTS
        self.qd = [0.0] * N_JOINTS
        self.q_ref = [0.0] * N_JOINTS
        self.qd_ref = [0.0] * N_JOINTS
        self.phase = [0.0, 0.5]
        self.phase_rate = [1.0 / reference.stride_time_s] * 2
        self.stride_start = [False, False]
        self.stance = [True, True]


@dataclass(frozen=True, slots=True)
class ExoModel:
    """The exoskeleton's own friction and segment gravity, to cancel in transparent mode.

    Gravity: thigh and shank segments of the exoskeleton with masses (kg) and centre-of-mass
    distances (m) from hip and knee; friction: viscous (N*m*s/rad) and Coulomb (N*m) per drive.
    Defaults are the station's data sheet (the twin's model: 2.0 and 1.5 kg uniform segments,
    0.5 N*m*s/rad damping and 1 N*m friction per drive) for a 1.75 m patient.
    """

    thigh_mass_kg: float = 2.0
    thigh_com_m: float = 0.214
    thigh_length_m: float = 0.429
    shank_mass_kg: float = 1.5
    shank_com_m: float = 0.215
    viscous_hip: float = 0.5
    viscous_knee: float = 0.5
    coulomb_hip: float = 1.0
    coulomb_knee: float = 1.0
    coulomb_smoothing_rad_s: float = 0.05
    #: drive (reflected rotor) inertia per joint, kg*m^2
    armature_kg_m2: float = 0.08
    #: share of the exoskeleton's inertia cancelled from a filtered acceleration estimate
    #: (below 1: an acceleration feed-forward at full gain amplifies noise and can ring)
    inertia_gain: float = 0.0
    acceleration_filter_s: float = 0.01

    @classmethod
    def for_height(cls, height_m: float) -> ExoModel:
        """Segments set to the patient's thigh and shank (0.245 and 0.246 of body height,
        Winter's table), as the therapist sets the exoskeleton's lengths."""
        lt, ls = 0.245 * height_m, 0.246 * height_m
        return cls(thigh_com_m=lt / 2, thigh_length_m=lt, shank_com_m=ls / 2)


class Compensation:
    """Feed-forward torques that cancel the exoskeleton's friction, gravity and (a share of)
    inertia, so that in transparent mode the patient moves it without feeling it."""

    __slots__ = (
        "_alpha",
        "_ch",
        "_ck",
        "_eps",
        "_g_hip",
        "_gs",
        "_gs_c",
        "_gt",
        "_i_hip",
        "_i_knee",
        "_lt",
        "_qd_prev",
        "_qdd",
        "_vh",
        "_vk",
        "enabled",
        "out",
    )

    def __init__(self, model: ExoModel | None = None, *, enabled: bool = True) -> None:
        m = model or ExoModel()
        self._gt = m.thigh_mass_kg * GRAVITY * m.thigh_com_m
        self._gs = m.shank_mass_kg * GRAVITY
        self._lt = m.thigh_length_m
        self._ch = m.coulomb_hip
        self._ck = m.coulomb_knee
        self._vh = m.viscous_hip
        self._vk = m.viscous_knee
        self._eps = m.coulomb_smoothing_rad_s
        self.enabled = enabled
        self.out = [0.0] * N_JOINTS
        self._gs_c = m.shank_mass_kg * GRAVITY * m.shank_com_m
        #: thigh's own weight and the shank's, carried at the knee, about the hip
        self._g_hip = self._gt + self._gs * self._lt
        # diagonal inertia about each joint (shank straight below the knee), times the gain
        lt, ls = m.thigh_length_m, 2.0 * m.shank_com_m
        self._i_hip = m.inertia_gain * (
            m.armature_kg_m2
            + m.thigh_mass_kg * lt * lt / 3.0
            + m.shank_mass_kg * (lt * lt + ls * ls / 3.0 + lt * ls)
        )
        self._i_knee = m.inertia_gain * (m.armature_kg_m2 + m.shank_mass_kg * ls * ls / 3.0)
        self._alpha = 0.001 / (m.acceleration_filter_s + 0.001)
        self._qdd = [0.0] * N_JOINTS
        self._qd_prev = [math.nan] * N_JOINTS

    def compute(self, ctx: TickContext) -> list[float]:
        out = self.out
        if not self.enabled:
            out[0] = out[1] = out[2] = out[3] = 0.0
            return out
        q, qd, eps = ctx.q, ctx.qd, self._eps
        g_hip, gs_c, vh_c, vk_c = self._g_hip, self._gs_c, self._vh, self._vk
        ch, ck, inv_eps = self._ch, self._ck, 1.0 / eps
        sin, tanh = math.sin, math.tanh
        ih = self._i_hip
        if ih > 0.0:
            # with inertia: each joint's filtered acceleration first, then its torque (one
            # pass over the legs; the same operations, in the same order, as one pass each)
            qdd, prev, a = self._qdd, self._qd_prev, self._alpha
            rate, ik = 1.0 / ctx.dt, self._i_knee
            for h, k in LEG_DOFS:
                vh = qd[h]
                vk = qd[k]
                p = prev[h]
                if p == p:
                    qdd[h] += a * ((vh - p) * rate - qdd[h])
                prev[h] = vh
                p = prev[k]
                if p == p:
                    qdd[k] += a * ((vk - p) * rate - qdd[k])
                prev[k] = vk
                qh = q[h]
                s_shank = gs_c * sin(qh - q[k])  # shank angle from vertical, forward +
                out[h] = (g_hip * sin(qh) + s_shank + vh_c * vh + ch * tanh(vh * inv_eps)
                          + ih * qdd[h])
                out[k] = -s_shank + vk_c * vk + ck * tanh(vk * inv_eps) + ik * qdd[k]
            return out
        for h, k in LEG_DOFS:
            qh = q[h]
            s_shank = gs_c * sin(qh - q[k])  # shank angle from vertical, forward +
            vh = qd[h]
            vk = qd[k]
            out[h] = g_hip * sin(qh) + s_shank + vh_c * vh + ch * tanh(vh * inv_eps)
            out[k] = -s_shank + vk_c * vk + ck * tanh(vk * inv_eps)
        return out


class Controller(abc.ABC):
    """A joint controller: four drive torques from a :class:`TickContext`.

    ``torques`` returns the controller's own list (reused); copy it to keep it.
    ``name`` is what sessions and summaries call the controller.
    """

    name: str = "controller"

    def __init__(self) -> None:
        self.out = [0.0] * N_JOINTS

    @abc.abstractmethod
    def torques(self, ctx: TickContext) -> list[float]: ...

    def assist_level(self) -> float:
        """Robot assistance 0-1, mean over joints (for the ``assist_level`` channel)."""
        return 0.0

    def reference_override(self) -> list[float] | None:
        """Joint targets to record instead of the timed reference (None: the reference)."""
        return None

    def on_stride(self, side: int, time_s: float) -> None:  # noqa: B027 - optional hook
        """Called at each heel strike of ``side`` (0 left, 1 right), after ``torques``."""


@dataclass(frozen=True, slots=True)
class JointGains:
    """Full-guidance impedance per joint: stiffness (N*m/rad) and damping (N*m*s/rad).

    Stiff enough that a severely weak knee does not buckle under load at 100 % guidance
    (on the twin, 900 N*m/rad let a severe hemiparetic patient collapse)."""

    hip_stiffness: float = 1800.0
    knee_stiffness: float = 1800.0
    hip_damping: float = 40.0
    knee_damping: float = 35.0

    def __post_init__(self) -> None:
        for name in ("hip_stiffness", "knee_stiffness", "hip_damping", "knee_damping"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0.0):
                raise UserError(f"{name} must be a finite number >= 0, got {v}")

    def per_joint(self) -> tuple[list[float], list[float]]:
        """Stiffness and damping per joint, in ``DRIVEN_DOFS`` order."""
        k = [self.hip_stiffness if j == "hip" else self.knee_stiffness for j, _ in DRIVEN_DOFS]
        d = [self.hip_damping if j == "hip" else self.knee_damping for j, _ in DRIVEN_DOFS]
        return k, d
