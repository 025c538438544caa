"""Path control: a tunnel around the reference path in hip-knee joint space.

Inside the tunnel the patient walks with their own timing and the robot only compensates its
own drag; outside it a spring-damper pushes the leg back towards the path. An optional
supportive flow pushes along the path in the walking direction. The closest point of the path
is tracked per leg by Newton steps on the path parameter (cycles), started from the gait-phase
estimate and then predicted forward at the leg's cadence each tick before two Newton
corrections, so that the closest point moves continuously and never snaps to a far branch
of the loop. The push back is capped (``max_push_nm``): a tunnel guides, it does not yank.
"""

from __future__ import annotations

import math

from gaitway.control.base import Compensation, Controller, TickContext
from gaitway.errors import UserError

_DEG = math.pi / 180.0
_FADE_RAD = 1.0 * _DEG
_FADE_PER_RAD = 1.0 / _FADE_RAD


class PathController(Controller):
    """Tunnel of half-width ``width_rad`` around the path; stiffness outside; flow along it."""

    name = "path"

    def __init__(
        self,
        *,
        width_rad: float = 5.0 * _DEG,
        stiffness: float = 700.0,
        damping: float = 15.0,
        flow_nm: float = 0.0,
        max_push_nm: float = 60.0,
        compensation: Compensation | None = None,
    ) -> None:
        super().__init__()
        if not 0.0 <= width_rad <= 30.0 * _DEG:
            raise UserError(
                f"tunnel width must be within 0-30 deg, got {width_rad / _DEG:.1f} deg"
            )
        if flow_nm < 0.0 or stiffness < 0.0 or damping < 0.0:
            raise UserError("path stiffness, damping and flow must be >= 0")
        self.width_rad = width_rad
        self.stiffness = stiffness
        self.damping = damping
        self.flow_nm = flow_nm
        self.max_push_nm = max_push_nm
        self.compensation = compensation or Compensation()
        self.path_phase = [-1.0, -1.0]  # per side; < 0 until the first tick
        self.distance = [0.0, 0.0]
        self.target = [0.0] * 4

    def torques(self, ctx: TickContext) -> list[float]:
        comp = self.compensation.compute(ctx)
        out, q, qd = self.out, ctx.q, ctx.qd
        ref = ctx.reference
        w, k, d, flow = self.width_rad, self.stiffness, self.damping, self.flow_nm
        for side in (0, 1):
            i = 2 * side
            s = self.path_phase[side]
            # predict along the path at the leg's own cadence, then correct
            s = ctx.phase[side] if s < 0.0 else (s + ctx.phase_rate[side] * ctx.dt) % 1.0
            qh, qk = q[i], q[i + 1]
            h, kk, dh, dk = ref.hip_knee(s)
            for _ in range(2):
                step = ((qh - h) * dh + (qk - kk) * dk) / (dh * dh + dk * dk + 1e-9)
                step = min(max(step, -0.03), 0.03)
                s = (s + step) % 1.0
                h, kk, dh, dk = ref.hip_knee(s)
            self.path_phase[side] = s
            rh, rk = qh - h, qk - kk
            dist = math.sqrt(rh * rh + rk * rk)
            self.distance[side] = dist
            th = comp[i]
            tk = comp[i + 1]
            if dist > w:
                nh, nk = rh / dist, rk / dist
                vn = qd[i] * nh + qd[i + 1] * nk
                over = dist - w
                # the damper fades in over the first degree outside: no step at the wall
                fade = over * _FADE_PER_RAD if over < _FADE_RAD else 1.0
                push = k * over + (d * vn * fade if vn > 0.0 else 0.0)
                if push > self.max_push_nm:
                    push = self.max_push_nm
                th -= push * nh
                tk -= push * nk
            if flow > 0.0:
                norm = math.sqrt(dh * dh + dk * dk) + 1e-9
                th += flow * dh / norm
                tk += flow * dk / norm
            out[i] = th
            out[i + 1] = tk
            self.target[i] = h
            self.target[i + 1] = kk
        return out

    def reference_override(self) -> list[float] | None:
        """The closest path points: what this controller aims at, for the recording."""
        return self.target

    def assist_level(self) -> float:
        """How far outside the tunnel the legs are, in tunnel widths, capped at 1."""
        w = max(self.width_rad, 1e-3)
        over = max(self.distance[0] - w, 0.0) + max(self.distance[1] - w, 0.0)
        return min(1.0, 0.5 * over / w)
