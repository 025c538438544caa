"""Strides from events: heel strike to the next heel strike of the same side.

A stride is kept only when its events make sense: exactly one toe-off of its own side inside,
exactly one heel strike of the other side inside (when the other side has events at all), and a
plausible duration. Strides that fail say why, so a crossing foot or a missed step is visible
in the output instead of silently bending the averages.
"""

from __future__ import annotations

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
    if len(hs) < 2:
        return []
    # every stride's searches at once (the indices ``_between`` finds stride by stride)
    a, b = hs[:-1], hs[1:]
    to_lo, to_hi = to.searchsorted(a, side="right"), to.searchsorted(b, side="left")
    c_lo, c_hi = chs.searchsorted(a, side="right"), chs.searchsorted(b, side="left")
    ct_lo, ct_hi = cto.searchsorted(a, side="right"), cto.searchsorted(b, side="left")
    before = chs.searchsorted(a, side="left")  # the other side's strikes before a

    def first(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[float | None]:
        got = x[np.minimum(lo, max(len(x) - 1, 0))].tolist() if len(x) else [0.0] * len(lo)
        return [float(v) if h > k else None for v, k, h in zip(got, lo.tolist(), hi.tolist(),
                                                                 strict=True)]

    prev = chs[np.maximum(before - 1, 0)].tolist() if has_contra else [0.0] * len(a)
    out: list[Stride] = []
    for ak, bk, n_to, n_c, t_first, c_first, ct_first, nb, p in zip(
            a.tolist(), b.tolist(), (to_hi - to_lo).tolist(), (c_hi - c_lo).tolist(),
            first(to, to_lo, to_hi), first(chs, c_lo, c_hi), first(cto, ct_lo, ct_hi),
            before.tolist(), prev, strict=True):
        reason = ""
        if not min_stride_s <= bk - ak <= max_stride_s:
            reason = f"duration {bk - ak:.2f} s outside {min_stride_s}-{max_stride_s} s"
        elif n_to != 1:
            reason = f"{n_to} toe-offs inside the stride"
        elif has_contra and n_c != 1:
            reason = f"{n_c} heel strikes of the other side inside the stride"
        out.append(
            Stride(
                side=side,
                heel_strike_s=ak,
                toe_off_s=t_first,
                next_heel_strike_s=bk,
                contra_heel_strike_s=c_first,
                contra_toe_off_s=ct_first,
                prev_contra_heel_strike_s=p if nb and ak - p < max_stride_s else None,
                valid=not reason,
                reason=reason,
            )
        )
    return out
