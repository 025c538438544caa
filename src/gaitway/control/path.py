"""Path control: a tunnel around the reference path in hip-knee joint space.

Inside the tunnel the patient walks with their own timing and the robot only compensates its
own drag; outside it a spring-damper pushes the leg back towards the path. An optional
supportive flow pushes along the path in the walking direction.

Every part of the force law is continuous, because a step in drive torque is a jolt the
patient feels and a disturbance that makes their gait irregular (the first version stepped by
up to 60 N*m when the tracked path point jumped or the leg crossed the wall):

- The path point is the closest point of the path (where the leg is, not when: the patient's
  timing), found globally from a precomputed map and polished by Newton steps. The distance
  to a curve is continuous in the leg's position, so the push's size is too, but its
  direction flips where the leg is equally far from two parts of the path (inside the
  knee's swing loop). So the part of the path followed so far is kept until another is
  closer by ``switch_band_rad``, and over that band the two pushes are blended; where the
  two pushes point more than 90 deg apart, the blend also takes at least ``_SWITCH_S`` (a
  leg crossing the band in a few ticks otherwise turned its push at once).
- The wall is a smooth dead-zone spring: no force inside the tunnel, a quadratic onset over
  ``wall_softening_rad`` outside, then linear at ``stiffness`` (force and its slope are
  continuous at both ends), saturating smoothly (tanh) at ``max_push_nm``.
- Damping acts only on the outward component of the leg's velocity and fades in with the
  same softening, so that a leg moving back into the tunnel is not held back.
- The supportive flow fades in proportion to the path's own speed where the path turns
  slowly (its direction turns fast there), so it never flips from one tick to the next.
- The output is rate-limited to ``max_rate_nm_s`` per drive: a hard bound on the torque step
  per tick whatever the measurement does (a sensor glitch, a stumble).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gaitway.control.base import Compensation, Controller, TickContext
from gaitway.errors import UserError
from gaitway.gait.reference import ReferenceGait
from gaitway.station.channels import LEG_DOFS

_DEG = math.pi / 180.0
_CELL = 1.0 * _DEG
#: closest points this close (cycles) are on the same part of the path
_SAME_BRANCH = 0.05
_MARGIN = 25.0 * _DEG
_PATH_SAMPLES = 250
#: how fast the flow follows the legs' alternation (see PathController._coordinate)
_COORD_TAU_S = 0.1
#: a switch from the part of the path followed so far to another one blends the two pushes
#: over the distance band and, where the two pushes disagree, over at least this long (s).
#: Over the band alone, a leg moving at 2 rad/s crossed it in 20 ms: the push turned from
#: (hip +15, knee -54 N*m) to (hip -47, knee 0) as fast as the output's rate limit let it, the
#: thigh was driven back while the knee was let go, and the knee whipped to 9.8 rad/s
#: (hemiparetic-left-moderate, tunnel 0, flow 30 N*m, 30 % support, 3.2 km/h: joint_velocity
#: stop at the leg's pre-swing; the two pushes 115-123 deg apart)
_SWITCH_S = 0.1
#: the pushes disagree where they are more than 90 deg apart (cosine below 0), fully from
#: about 107 deg (cosine -0.3) on. Timing every switch (also where the pushes agree, or
#: where the new part of the path, closer, asks for no push at all) held the leg to the part
#: it was leaving: 2 new false faults (a weak patient held back; docs/validation/envelope.md)
_DISAGREE_COS = (0.0, -0.3)
#: a turn counts fully where both pushes are at least this large (N*m), in proportion below:
#: the whip came from two pushes of 54-59 N*m; at 10 N*m the incomplete spinal cord injury
#: at 0 % support (tunnel 0, flow 30 N*m, seed 4) was held at the start and took no stride
_DISAGREE_MIN_NM = 30.0


def _disagreement(lh: float, lk: float, th: float, tk: float) -> float:
    """How much two pushes (hip, knee: the one followed so far, the new one) disagree, 0-1:
    0 where they agree in direction or either is small, 1 where both are large and point
    well over 90 deg apart. A turn of the push by that much within a few ticks whips the
    leg."""
    na, nb = math.hypot(lh, lk), math.hypot(th, tk)
    if na < 1e-9 or nb < 1e-9:
        return 0.0
    lo, hi = _DISAGREE_COS
    x = (lo - (lh * th + lk * tk) / (na * nb)) / (lo - hi)
    if x <= 0.0:
        return 0.0
    x = 1.0 if x >= 1.0 else x * x * (3.0 - 2.0 * x)
    return x * min(1.0, min(na, nb) / _DISAGREE_MIN_NM)


class ClosestPointMap:
    """The closest path parameter for every cell of a 1-degree hip-knee grid around a path.

    Built once per reference (tens of milliseconds, numpy) so that a tick finds the globally
    closest point with one lookup and polishes it with two Newton steps. A local tracker
    alone gets trapped in local minima of the distance where the path turns sharply (the
    knee's swing loop) and then pushes the leg towards the wrong part of the path.
    """

    __slots__ = ("flow_soft", "h0", "k0", "n_h", "n_k", "s")

    def __init__(self, ref: ReferenceGait) -> None:
        ss = np.arange(_PATH_SAMPLES) / _PATH_SAMPLES
        hip = np.interp(ss, np.linspace(0.0, 1.0, ref.table("hip").size), ref.table("hip"))
        knee = np.interp(ss, np.linspace(0.0, 1.0, ref.table("knee").size), ref.table("knee"))
        self.h0 = float(hip.min()) - _MARGIN
        self.k0 = float(knee.min()) - _MARGIN
        self.n_h = int((float(hip.max()) + _MARGIN - self.h0) / _CELL) + 1
        self.n_k = int((float(knee.max()) + _MARGIN - self.k0) / _CELL) + 1
        gh = self.h0 + _CELL * np.arange(self.n_h)
        gk = self.k0 + _CELL * np.arange(self.n_k)
        best = np.zeros((self.n_h, self.n_k), dtype=np.int64)
        for row in range(self.n_h):  # one row at a time: small temporaries
            d = (gh[row] - hip[:, None]) ** 2 + (gk[None, :] - knee[:, None]) ** 2
            best[row] = np.argmin(d, axis=0)
        self.s: list[float] = (best.ravel() / _PATH_SAMPLES).tolist()
        # the flow is full strength where the path moves at least half its mean speed
        speed2 = np.gradient(hip) ** 2 + np.gradient(knee) ** 2
        self.flow_soft = float(0.25 * np.mean(speed2)) * _PATH_SAMPLES**2

    def lookup(self, qh: float, qk: float) -> float:
        i = int((qh - self.h0) / _CELL + 0.5)
        j = int((qk - self.k0) / _CELL + 0.5)
        n_h, n_k = self.n_h, self.n_k
        i = 0 if i < 0 else (n_h - 1 if i >= n_h else i)
        j = 0 if j < 0 else (n_k - 1 if j >= n_k else j)
        return self.s[i * n_k + j]


_MAPS: dict[int, tuple[ReferenceGait, ClosestPointMap]] = {}


def closest_point_map(ref: ReferenceGait) -> ClosestPointMap:
    """The map of ``ref``, built on first use and kept (references are long-lived)."""
    hit = _MAPS.get(id(ref))
    if hit is not None and hit[0] is ref:
        return hit[1]
    m = ClosestPointMap(ref)
    if len(_MAPS) > 256:
        _MAPS.clear()
    _MAPS[id(ref)] = (ref, m)
    return m


@dataclass(frozen=True, slots=True)
class PathSettings:
    """What a therapist sets for path control: the tunnel's half-width and the supportive
    flow along the path."""

    width_rad: float = 5.0 * _DEG
    flow_nm: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.width_rad <= 30.0 * _DEG:
            raise UserError(
                f"tunnel width must be within 0-30 deg, got {self.width_rad / _DEG:.1f} deg"
            )
        if not 0.0 <= self.flow_nm < math.inf:
            raise UserError(f"path flow must be a finite torque >= 0, got {self.flow_nm}")


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
        wall_softening_rad: float = 2.0 * _DEG,
        max_rate_nm_s: float = 3000.0,
        switch_band_rad: float = 2.0 * _DEG,
        compensation: Compensation | None = None,
    ) -> None:
        super().__init__()
        if not 0.0 <= width_rad <= 30.0 * _DEG:
            raise UserError(
                f"tunnel width must be within 0-30 deg, got {width_rad / _DEG:.1f} deg"
            )
        if flow_nm < 0.0 or stiffness < 0.0 or damping < 0.0:
            raise UserError("path stiffness, damping and flow must be >= 0")
        if max_push_nm <= 0.0 or wall_softening_rad <= 0.0 or max_rate_nm_s <= 0.0:
            raise UserError("path push limit, wall softening and torque rate must be > 0")
        self.width_rad = width_rad
        self.stiffness = stiffness
        self.damping = damping
        self.flow_nm = flow_nm
        self.max_push_nm = max_push_nm
        self.wall_softening_rad = wall_softening_rad
        self.max_rate_nm_s = max_rate_nm_s
        self.switch_band_rad = switch_band_rad
        self._map_ref: ReferenceGait | None = None
        self._map: ClosestPointMap | None = None
        self.compensation = compensation or Compensation()
        self.path_phase = [-1.0, -1.0]  # per side; < 0 until the first tick
        self.distance = [0.0, 0.0]
        self.target = [0.0] * 4
        self._last_time = -math.inf
        #: each leg's share of the flow (0-1, filtered; see _coordinate)
        self.coordination = [0.0, 0.0]
        self._prev = [0.0] * 4
        #: per side, how far a switch to another part of the path has come (0-1, in time)
        self.switch = [0.0, 0.0]
        #: ticks on which the rate limit changed the output (the force law itself is smooth,
        #: so this should stay rare)
        self.limited_ticks = 0

    def torques(self, ctx: TickContext) -> list[float]:
        comp = self.compensation.compute(ctx)
        out, q, qd, dt = self.out, ctx.q, ctx.qd, ctx.dt
        ref = ctx.reference
        gap = ctx.time - self._last_time
        # a first tick, or back after a pause in service: start afresh
        fresh = not (0.0 <= gap <= 1.5 * dt)
        self._last_time = ctx.time
        path_phase, target, dist_out = self.path_phase, self.target, self.distance
        if self.flow_nm > 0.0:
            self._coordinate(ctx, fresh)
        cmap = self._map
        if ref is not self._map_ref or cmap is None:
            cmap = self._map = closest_point_map(ref)
            self._map_ref = ref
        lookup = cmap.lookup
        hip_knee = ref.hip_knee
        push = self._push
        band = self.switch_band_rad
        switch, step = self.switch, dt / _SWITCH_S
        for side in (0, 1):
            i, k = LEG_DOFS[side]  # the hip's and the knee's position in the joint lists
            qh, qk, vh, vk = q[i], q[k], qd[i], qd[k]
            flow = self.flow_nm * self.coordination[side]
            # the global closest point, polished
            sg = lookup(qh, qk)
            h, kk, dh, dk = hip_knee(sg)
            # one Newton step: the grid point is within half a degree of the closest point
            ds = ((qh - h) * dh + (qk - kk) * dk) / (dh * dh + dk * dk + 1e-9)
            sg += -0.02 if ds < -0.02 else (0.02 if ds > 0.02 else ds)
            h, kk, dh, dk = hip_knee(sg)
            dg = math.sqrt((qh - h) * (qh - h) + (qk - kk) * (qk - kk))
            sl = path_phase[side]
            if fresh or sl < 0.0:
                sl = sg
                switch[side] = 0.0
            elif -_SAME_BRANCH < (sg - sl + 0.5) % 1.0 - 0.5 < _SAME_BRANCH:
                sl = sg  # the same part of the path as before: nothing to blend
                switch[side] = 0.0
            else:  # another part of the path: the one followed so far, polished locally
                hl, kl, dhl, dkl = hip_knee(sl)
                for _ in (0, 1):
                    ds = ((qh - hl) * dhl + (qk - kl) * dkl) / (dhl * dhl + dkl * dkl + 1e-9)
                    sl += -0.02 if ds < -0.02 else (0.02 if ds > 0.02 else ds)
                    hl, kl, dhl, dkl = hip_knee(sl)
                dl = math.sqrt((qh - hl) * (qh - hl) + (qk - kl) * (qk - kl))
                x = (dl - dg) / band
                want = 1.0 if x >= 1.0 else (x * x * (3.0 - 2.0 * x) if x > 1e-6 else 0.0)
                th, tk = push(qh, qk, vh, vk, h, kk, dh, dk, dg, flow)
                lh, lk = push(qh, qk, vh, vk, hl, kl, dhl, dkl, dl, flow)
                # the new part's share: by distance (all of it beyond the band), and where
                # the two pushes disagree, no faster in time than _SWITCH_S
                w = want
                turn = _disagreement(lh, lk, th, tk)
                if turn > 1e-6:
                    w, most = switch[side], step / turn
                    w = min(want, w + most) if want > w else max(want, w - most)
                switch[side] = w
                if w >= 1.0:
                    sl = sg  # clearly closer elsewhere: follow that part of the path
                    switch[side] = 0.0
                elif w > 1e-6:
                    # equally far from two parts of the path (and slightly closer to the new
                    # one), or turning: blend the two pushes
                    out[i] = comp[i] + lh + w * (th - lh)
                    out[k] = comp[k] + lk + w * (tk - lk)
                    path_phase[side] = sl % 1.0
                    dist_out[side] = dl
                    target[i], target[k] = hl, kl
                    continue
            if sl is not sg:
                sg = sl
                h, kk, dh, dk = hip_knee(sg)
                dg = math.sqrt((qh - h) * (qh - h) + (qk - kk) * (qk - kk))
            th, tk = push(qh, qk, vh, vk, h, kk, dh, dk, dg, flow)
            out[i] = comp[i] + th
            out[k] = comp[k] + tk
            path_phase[side] = sg % 1.0
            dist_out[side] = dg
            target[i], target[k] = h, kk
        if not fresh:
            self._rate_limit(out, self.max_rate_nm_s * dt)
        prev = self._prev
        prev[0], prev[1], prev[2], prev[3] = out[0], out[1], out[2], out[3]
        return out

    def _push(
        self, qh: float, qk: float, vh: float, vk: float,
        h: float, k: float, dh: float, dk: float, dist: float, flow: float,
    ) -> tuple[float, float]:
        """Wall and flow torques (hip, knee) for a leg at ``dist`` from path point (h, k),
        with a flow of ``flow`` (N*m) along the path."""
        th = tk = 0.0
        over = dist - self.width_rad
        if over > 0.0:
            soft = self.wall_softening_rad
            stiff = self.stiffness
            nh, nk = (qh - h) / dist, (qk - k) / dist
            if over < soft:
                x = over / soft
                spring = 0.5 * stiff * over * x
                fade = x * x * (3.0 - 2.0 * x)
            else:
                spring = stiff * (over - 0.5 * soft)
                fade = 1.0
            vn = vh * nh + vk * nk
            f = spring + (self.damping * vn * fade if vn > 0.0 else 0.0)
            cap = self.max_push_nm
            f = cap * math.tanh(f / cap)
            th = -f * nh
            tk = -f * nk
        if flow > 0.0:  # fades where the path turns slowly, so it never flips at once
            cmap = self._map
            soft2 = cmap.flow_soft if cmap is not None else 0.0
            g = flow / math.sqrt(dh * dh + dk * dk + soft2 + 1e-12)
            th += g * dh
            tk += g * dk
        return th, tk

    def _coordinate(self, ctx: TickContext, fresh: bool) -> None:
        """How much of the flow each leg gets. A swinging leg (foot off its plate) all of it:
        pushing it along the path moves only the leg. A loaded leg moves the body, so only as
        much as the legs' alternation allows: all when their path points are half a cycle
        apart (walking), none when at the same point (standing, or both legs drifting
        together). Standing, both legs sit in mid-stance, and a flow on both pushed them into
        pre-swing together: both loaded knees flexed at once and the patient sank (healthy,
        tunnel 0, flow 30 N*m, 0 % support, 3.2 km/h: no stride, knees at 60 deg).
        Filtered over ``_COORD_TAU_S``, so that a foot's touch or a leg's switch of path
        branch does not step the torque."""
        pl, pr = self.path_phase
        coord = self.coordination
        if fresh or pl < 0.0 or pr < 0.0:
            coord[0] = coord[1] = 0.0
            return
        alternating = math.sin(math.pi * ((pl - pr) % 1.0)) ** 2  # 1 half a cycle apart
        a = ctx.dt / _COORD_TAU_S
        for side in (0, 1):
            target = alternating if ctx.stance[side] else 1.0
            coord[side] += a * (target - coord[side])

    def _rate_limit(self, out: list[float], step: float) -> None:
        prev = self._prev
        limited = False
        for j in (0, 1, 2, 3):
            delta = out[j] - prev[j]
            if delta > step:
                out[j] = prev[j] + step
                limited = True
            elif delta < -step:
                out[j] = prev[j] - step
                limited = True
        if limited:
            self.limited_ticks += 1

    def reference_override(self) -> list[float] | None:
        """The closest path points: what this controller aims at, for the recording."""
        return self.target

    def assist_level(self) -> float:
        """How far outside the tunnel the legs are, in tunnel widths, capped at 1."""
        w = max(self.width_rad, 1e-3)
        over = max(self.distance[0] - w, 0.0) + max(self.distance[1] - w, 0.0)
        return min(1.0, 0.5 * over / w)
