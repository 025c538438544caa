"""Strides from events: heel strike to the next heel strike of the same side.

A stride is kept only when its events make sense: exactly one toe-off of its own side inside,
exactly one heel strike of the other side inside (when the other side has events at all), and a
plausible duration. Strides that fail say why, so a crossing foot or a missed step is visible
in the output instead of silently bending the averages.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from gaitway.analytics.gait_data import GaitEvent, Side


@dataclass(frozen=True, slots=True)
class Stride:
    side: Side
    heel_strike_s: float
    toe_off_s: float | None
    next_heel_strike_s: float
    contra_heel_strike_s: float | None  # the other side's heel strike inside this stride
    contra_toe_off_s: float | None  # the other side's toe-off after this heel strike
    prev_contra_heel_strike_s: float | None  # the other side's heel strike before this one
    valid: bool
    reason: str = ""

    @property
    def duration_s(self) -> float:
        return self.next_heel_strike_s - self.heel_strike_s


def _between(times: np.ndarray, a: float, b: float) -> np.ndarray:
    i, j = int(times.searchsorted(a, side="right")), int(times.searchsorted(b, side="left"))
    return times[i:j]


def build_strides(
    events: list[GaitEvent],
    side: Side,
    *,
    min_stride_s: float = 0.4,
    max_stride_s: float = 5.0,
) -> list[Stride]:
    """All candidate strides of ``side``, each marked valid or not with a reason."""
    other: Side = "right" if side == "left" else "left"

    def times(s: Side, kind: str) -> np.ndarray:
        return np.array(sorted(e.time_s for e in events if e.side == s and e.kind == kind))

    hs, to = times(side, "heel_strike"), times(side, "toe_off")
    chs, cto = times(other, "heel_strike"), times(other, "toe_off")
    has_contra = len(chs) > 0
    out: list[Stride] = []
    for a, b in itertools.pairwise(hs):
        tos = _between(to, a, b)
        inner_c = _between(chs, a, b)
        reason = ""
        if not min_stride_s <= b - a <= max_stride_s:
            reason = f"duration {b - a:.2f} s outside {min_stride_s}-{max_stride_s} s"
        elif len(tos) != 1:
            reason = f"{len(tos)} toe-offs inside the stride"
        elif has_contra and len(inner_c) != 1:
            reason = f"{len(inner_c)} heel strikes of the other side inside the stride"
        cto_after = _between(cto, a, b)
        before = int(chs.searchsorted(a, side="left"))  # the other side's strikes before a
        out.append(
            Stride(
                side=side,
                heel_strike_s=float(a),
                toe_off_s=float(tos[0]) if len(tos) >= 1 else None,
                next_heel_strike_s=float(b),
                contra_heel_strike_s=float(inner_c[0]) if len(inner_c) >= 1 else None,
                contra_toe_off_s=float(cto_after[0]) if len(cto_after) >= 1 else None,
                prev_contra_heel_strike_s=float(chs[before - 1])
                if before and a - chs[before - 1] < max_stride_s
                else None,
                valid=not reason,
                reason=reason,
            )
        )
    return out
