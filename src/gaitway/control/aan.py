"""Assist-as-needed: support per joint and gait-phase bin, adapted stride by stride.

The law follows Emken et al. 2007: after each stride, ``s <- f * s + g * max(|e| - deadband,
0)`` per bin, where ``e`` is that bin's mean tracking error in the stride. The forgetting factor
``f < 1`` makes support decay unless it is needed, faster than a patient learns, so the robot
hands over work as the patient improves, and the error term brings support back when they tire.
Support is a fraction (0-1) of the full-guidance impedance and stays within therapist bounds.
Torque between bin centres is interpolated so that a change from bin to bin is not a step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gaitway.control.base import Compensation, Controller, JointGains, TickContext
from gaitway.errors import UserError
from gaitway.station.channels import LEG_DOFS


@dataclass(frozen=True, slots=True)
class AanSettings:
    """Adaptation parameters and therapist bounds (support as a fraction of full guidance)."""

    bins: int = 20
    forgetting: float = 0.85
    gain_per_rad: float = 2.5
    deadband_rad: float = 2.0 * math.pi / 180.0
    min_support: float = 0.3
    max_support: float = 1.0
    #: start at full guidance and hand work over, rather than let a weak patient fall first
    initial_support: float = 1.0

    def __post_init__(self) -> None:
        if not 4 <= self.bins <= 100:
            raise UserError(f"assist-as-needed needs 4-100 phase bins, got {self.bins}")
        if not 0.0 < self.forgetting <= 1.0:
            raise UserError(f"forgetting factor must be within (0, 1], got {self.forgetting}")
        if self.gain_per_rad < 0.0 or self.deadband_rad < 0.0:
            raise UserError("assist-as-needed gain and deadband must be >= 0")
        if not 0.0 <= self.min_support <= self.max_support <= 1.0:
            raise UserError(
                f"support bounds must satisfy 0 <= min <= max <= 100 %, got "
                f"{self.min_support * 100:.0f}-{self.max_support * 100:.0f} %"
            )
        if not self.min_support <= self.initial_support <= self.max_support:
            raise UserError("initial support must lie within the support bounds")


class AssistAsNeededController(Controller):
    """Impedance scaled per joint and phase bin by a support level adapted every stride."""

    name = "aan"

    def __init__(
        self,
        *,
        settings: AanSettings | None = None,
        gains: JointGains | None = None,
        compensation: Compensation | None = None,
    ) -> None:
        super().__init__()
        self.settings = st = settings or AanSettings()
        self._k, self._d = (gains or JointGains()).per_joint()
        self.compensation = compensation or Compensation()
        n = self._bins = st.bins
        self.support = [[st.initial_support] * n for _ in range(4)]
        self._err_sum = [[0.0] * n for _ in range(4)]
        self._err_n = [[0] * n for _ in range(4)]
        self._level = [st.initial_support] * 4
        self.updates = 0

    def torques(self, ctx: TickContext) -> list[float]:
        comp = self.compensation.compute(ctx)
        out, k, d = self.out, self._k, self._d
        q, qd, qr, qdr = ctx.q, ctx.qd, ctx.q_ref, ctx.qd_ref
        n = self._bins
        support, es, en, lv = self.support, self._err_sum, self._err_n, self._level
        phase = ctx.phase
        for side in (0, 1):
            x = phase[side] * n
            b = int(x)
            if b >= n:
                b = 0
            xc = x - 0.5  # interpolate between bin centres
            b0 = int(xc) if xc >= 0.0 else -1
            f = xc - b0
            if b0 < 0:
                b0 += n
            b1 = b0 + 1 if b0 + 1 < n else 0
            for j in LEG_DOFS[side]:
                sup = support[j]
                s0 = sup[b0]
                s = s0 + (sup[b1] - s0) * f
                lv[j] = s
                e = qr[j] - q[j]
                out[j] = comp[j] + s * (k[j] * e + d[j] * (qdr[j] - qd[j]))
                es[j][b] += e if e >= 0.0 else -e
                en[j][b] += 1
        return out

    def on_stride(self, side: int, time_s: float) -> None:
        """End of a stride of ``side``: adapt its joints' support, then clear the error bins."""
        st = self.settings
        f, g, db = st.forgetting, st.gain_per_rad, st.deadband_rad
        lo, hi = st.min_support, st.max_support
        for i in LEG_DOFS[side]:
            sup, es, en = self.support[i], self._err_sum[i], self._err_n[i]
            for b in range(st.bins):
                e = es[b] / en[b] if en[b] else 0.0
                v = f * sup[b] + g * (e - db if e > db else 0.0)
                sup[b] = lo if v < lo else (hi if v > hi else v)
                es[b] = 0.0
                en[b] = 0
        self.updates += 1

    def set_bounds(self, min_support: float, max_support: float) -> None:
        """Change the therapist bounds (validated); current support is clipped into them."""
        st = self.settings
        init = min(max(st.initial_support, min_support), max_support)
        self.settings = AanSettings(
            bins=st.bins,
            forgetting=st.forgetting,
            gain_per_rad=st.gain_per_rad,
            deadband_rad=st.deadband_rad,
            min_support=min_support,
            max_support=max_support,
            initial_support=init,
        )
        for sup in self.support:
            for b, v in enumerate(sup):
                sup[b] = min(max(v, min_support), max_support)

    def mean_support(self, joint: int | None = None) -> float:
        rows = self.support if joint is None else [self.support[joint]]
        return sum(sum(r) for r in rows) / (len(rows) * self.settings.bins)

    def assist_level(self) -> float:
        lv = self._level
        return 0.25 * (lv[0] + lv[1] + lv[2] + lv[3])
