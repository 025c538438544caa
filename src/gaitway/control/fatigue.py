"""Fatigue detection from stride-by-stride signs: rising tracking error, falling active
participation, and a falling EMG median frequency where EMG exists.

A baseline is taken over the first strides after warm-up; later strides are compared through
a moving window. Fatigue is declared when at least two available signs agree (or the only
available sign is strong), so that one noisy signal alone does not change a session.
After each detection the detector waits ``cooldown_strides`` and takes a new baseline, so a
response (such as more support) is judged on its own effect.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from gaitway.errors import UserError


@dataclass(frozen=True, slots=True)
class FatigueSettings:
    baseline_strides: int = 15
    window_strides: int = 10
    cooldown_strides: int = 20
    error_rise: float = 0.3
    participation_drop_nm: float = 1.0
    mdf_drop: float = 0.08

    def __post_init__(self) -> None:
        if self.baseline_strides < 3 or self.window_strides < 3:
            raise UserError("fatigue baseline and window need at least 3 strides each")


@dataclass(frozen=True, slots=True)
class FatigueFinding:
    """Why the detector fired: each sign's baseline and recent value."""

    stride: int
    reasons: tuple[str, ...]


class FatigueDetector:
    """Feed one value set per stride with :meth:`add_stride`; it returns a finding or None."""

    def __init__(self, settings: FatigueSettings | None = None) -> None:
        self.settings = settings or FatigueSettings()
        self._strides = 0
        self._base: list[tuple[float, float, float]] = []
        self._recent: deque[tuple[float, float, float]] = deque(
            maxlen=self.settings.window_strides
        )
        self._cooldown = 0
        self.findings: list[FatigueFinding] = []

    def add_stride(
        self, tracking_error: float, participation: float, mdf_hz: float = math.nan
    ) -> FatigueFinding | None:
        st = self.settings
        self._strides += 1
        row = (tracking_error, participation, mdf_hz)
        if self._cooldown > 0:
            self._cooldown -= 1
            return None
        if len(self._base) < st.baseline_strides:
            self._base.append(row)
            return None
        self._recent.append(row)
        if len(self._recent) < st.window_strides:
            return None
        b = _means(self._base)
        r = _means(self._recent)
        signs: list[str] = []
        available = 2
        strong = False
        if b[0] > 0.0 and r[0] > b[0] * (1.0 + st.error_rise):
            signs.append(
                f"tracking error rose from {math.degrees(b[0]):.1f} to "
                f"{math.degrees(r[0]):.1f} deg"
            )
            strong = r[0] > b[0] * (1.0 + 2.0 * st.error_rise)
        if b[1] - r[1] > st.participation_drop_nm:
            signs.append(f"active participation fell from {b[1]:.1f} to {r[1]:.1f} N*m")
        if math.isfinite(b[2]) and math.isfinite(r[2]) and b[2] > 0.0:
            available += 1
            if r[2] < b[2] * (1.0 - st.mdf_drop):
                signs.append(f"EMG median frequency fell from {b[2]:.0f} to {r[2]:.0f} Hz")
        if len(signs) >= 2 or (strong and available == 2 and signs):
            finding = FatigueFinding(stride=self._strides, reasons=tuple(signs))
            self.findings.append(finding)
            self._cooldown = st.cooldown_strides
            self._base.clear()
            self._recent.clear()
            return finding
        return None


def _means(rows: list[tuple[float, float, float]] | deque[tuple[float, float, float]]) -> tuple[
    float, float, float
]:
    n = len(rows)
    e = sum(r[0] for r in rows) / n
    p = sum(r[1] for r in rows) / n
    m = [r[2] for r in rows if math.isfinite(r[2])]
    return e, p, (sum(m) / len(m) if m else math.nan)


class EmgMedianFrequency:
    """EMG median frequency per stride from a preallocated buffer (one array write per tick)."""

    __slots__ = ("_buf", "_n", "sampling_rate_hz")

    def __init__(self, *, sampling_rate_hz: float, max_stride_s: float = 4.0) -> None:
        self.sampling_rate_hz = sampling_rate_hz
        self._buf = [0.0] * int(max_stride_s * sampling_rate_hz)  # a list: cheapest to write
        self._n = 0

    def add(self, x: float) -> None:
        n = self._n
        if n < len(self._buf):
            self._buf[n] = x
            self._n = n + 1

    def close_stride(self) -> float:
        """Median frequency (Hz) of the stride's EMG; NaN when there is no signal."""
        n = self._n
        self._n = 0
        if n < 64:
            return math.nan
        x = np.asarray(self._buf[:n])
        x -= x.mean()
        p = np.abs(np.fft.rfft(x)) ** 2
        total = float(p.sum())
        if total <= 1e-30:
            return math.nan
        c = np.cumsum(p)
        k = int(np.searchsorted(c, 0.5 * total))
        return float(k * self.sampling_rate_hz / n)
