"""Synthetic surface EMG from modelled muscle activation. SYNTHETIC: not a physiological model.

Raw EMG is modelled, as is common for test signals (e.g. De Luca et al. 2010), as zero-mean
band-limited Gaussian noise whose amplitude follows the muscle's activation, plus a noise floor
and mains hum. Fatigue lowers the upper band edge, so the median frequency falls as it does in
fatiguing muscle (a known, measurable sign). Noise is made in blocks of one second so the
per-tick cost is one vector expression.
"""

from __future__ import annotations

import functools
import math
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import signal

FloatArray = npt.NDArray[np.float64]

EMG_DESCRIPTION: Final[str] = (
    "synthetic: activation-modulated band-limited Gaussian noise (20 Hz to a fatigue-dependent "
    "upper edge), 5 uV noise floor, 50 Hz mains hum; not recorded from a person"
)
N_EMG: Final[int] = 8
AMPLITUDE_V: Final[float] = 4e-4  # RMS at full activation
FLOOR_V: Final[float] = 5e-6
HUM_V: Final[float] = 1e-5
MAINS_HZ: Final[float] = 50.0
_ROWS_AHEAD: Final[int] = 24  # activation changes every 20 ms: rows made in one go


@functools.lru_cache(maxsize=512)
def _bandpass(hi_hz: float, fs_hz: float) -> FloatArray:
    """Second-order sections of the 20 Hz to ``hi_hz`` band-pass (shared: never modify). Kept:
    fatigue moves the edge by 1 Hz about once a second, and designing it again inside a tick
    cost up to a millisecond of a paced loop's time."""
    sos: FloatArray = signal.butter(2, [20.0, hi_hz], btype="bandpass", fs=fs_hz, output="sos")
    return sos


class SyntheticEmg:
    """Block generator of the 8 EMG channels (muscle-major, then side, as in the Sample)."""

    def __init__(self, rng: np.random.Generator, *, fs_hz: float = 1000.0, block: int = 1000):
        self._rng = rng
        self._fs = fs_hz
        self._block = block
        self._i = block
        self._zi: FloatArray | None = None
        self._carrier = np.zeros((block, N_EMG))
        self._extra = np.zeros((block, N_EMG))
        self._hum_phase = rng.uniform(0, 2 * math.pi, N_EMG)
        self._t0 = 0
        self.fatigue = 0.0
        self._hi = -1.0
        self._sos: FloatArray = np.zeros((0, 6))
        self._rows: list[list[float]] = []
        self._rows_from = 0
        self._version = -1

    def upper_edge_hz(self) -> float:
        return 350.0 * (1.0 - 0.4 * min(max(self.fatigue, 0.0), 1.0))

    def _refill(self) -> None:
        hi = round(self.upper_edge_hz(), 0)  # redesign the filter only when the edge moves
        if hi != self._hi:
            self._sos = _bandpass(hi, self._fs)
            self._hi = hi
        sos = self._sos
        white = self._rng.standard_normal((self._block, N_EMG))
        if self._zi is None:
            self._zi = np.zeros((sos.shape[0], 2, N_EMG))
        band, self._zi = signal.sosfilt(sos, white, axis=0, zi=self._zi)
        # unit RMS: white noise of unit variance keeps the share (hi - 20) / (fs / 2) of power
        band *= 1.0 / math.sqrt((hi - 20.0) / (self._fs / 2.0))
        self._carrier = band * AMPLITUDE_V
        t = (self._t0 + np.arange(self._block)) / self._fs
        hum = HUM_V * np.sin(2 * math.pi * MAINS_HZ * t[:, None] + self._hum_phase[None, :])
        self._extra = hum + FLOOR_V * self._rng.standard_normal((self._block, N_EMG))
        self._t0 += self._block
        self._i = 0

    def next_list(self, activation: list[float], version: int) -> list[float]:
        """EMG (V) for one tick as floats, given the 8 activations (0-1).

        ``version`` changes whenever ``activation`` does; activation changes far more slowly
        than 1 kHz, so the next rows are made in one vector expression and
        reused until the version moves (the same numbers as row by row).
        """
        if self._i >= self._block:
            self._refill()
            self._version = -1
        i = self._i
        self._i = i + 1
        k = i - self._rows_from
        if version != self._version or k >= len(self._rows):
            j = min(i + _ROWS_AHEAD, self._block)
            act = np.asarray(activation)
            self._rows = (act * self._carrier[i:j] + self._extra[i:j]).tolist()
            self._rows_from = i
            self._version = version
            k = 0
        return self._rows[k]

    def next(self, activation: FloatArray) -> FloatArray:
        """EMG (V) for one tick, given the 8 activations (0-1)."""
        if self._i >= self._block:
            self._refill()
        i = self._i
        self._i = i + 1
        out: FloatArray = activation * self._carrier[i] + self._extra[i]
        return out
