"""Switching controllers between strides without a jolt.

A requested controller takes over at the next heel strike of the left leg; for one stride
both run and their torques are cross-faded with a smoothstep weight, so the torque changes
no faster than the two controllers themselves do.
"""

from __future__ import annotations

from gaitway.control.base import Controller, TickContext


class ControllerSwitch(Controller):
    """The active controller, a pending one, and the blend between them."""

    def __init__(self, initial: Controller) -> None:
        super().__init__()
        self.active = initial
        self._pending: Controller | None = None
        self._from: Controller | None = None
        self._blend_t = 0.0
        self._blend_s = 1.0
        self.switches = 0

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.active.name

    @property
    def blending(self) -> bool:
        return self._from is not None

    @property
    def pending(self) -> Controller | None:
        return self._pending

    def request(self, controller: Controller) -> None:
        """Switch to ``controller`` at the next left heel strike (replaces an earlier request)."""
        self._pending = controller

    def start_blend(self, blend_s: float) -> None:
        """Begin the blend now (called by the stack at a stride boundary)."""
        if self._pending is None:
            return
        self._from = self.active
        self.active = self._pending
        self._pending = None
        self._blend_t = 0.0
        self._blend_s = max(blend_s, 1e-3)
        self.switches += 1

    def torques(self, ctx: TickContext) -> list[float]:
        new = self.active.torques(ctx)
        old_ctrl = self._from
        out = self.out
        if old_ctrl is None:
            out[0], out[1], out[2], out[3] = new[0], new[1], new[2], new[3]
            return out
        old = old_ctrl.torques(ctx)
        x = self._blend_t / self._blend_s
        w = x * x * (3.0 - 2.0 * x)
        for i in range(4):
            out[i] = old[i] + w * (new[i] - old[i])
        self._blend_t += ctx.dt
        if self._blend_t >= self._blend_s:
            self._from = None
        return out

    def assist_level(self) -> float:
        return self.active.assist_level()

    def reference_override(self) -> list[float] | None:
        return self.active.reference_override()

    def on_stride(self, side: int, time_s: float) -> None:
        self.active.on_stride(side, time_s)
        if self._from is not None:
            self._from.on_stride(side, time_s)
