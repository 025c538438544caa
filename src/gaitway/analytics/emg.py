"""Surface EMG: band-pass, rectification, linear envelope, normalisation, on/off timing and
median frequency over time (a fatigue indicator: it falls as muscle fibres fatigue).

Filters are scipy.signal's zero-phase Butterworth (sosfiltfilt, through
:mod:`gaitway.analytics.filters` for fewer copies of a long channel), the same building block
neurokit2 uses; the validation shows the two agree on the same signals.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal, Self

import numpy as np
import numpy.typing as npt
from scipy import signal

from gaitway.analytics.filters import sosfiltfilt
from gaitway.analytics.gait_data import FloatArray
from gaitway.analytics.rounding import rounded
from gaitway.errors import UserError


@dataclass(frozen=True, slots=True)
class EmgParams:
    band_low_hz: float = 20.0
    band_high_hz: float = 450.0
    band_order: int = 4
    envelope_hz: float = 6.0
    envelope_order: int = 4
    normalisation: Literal["session_peak", "mvc"] = "session_peak"
    mvc_v: float | None = None  # envelope amplitude of a maximal contraction, if measured
    onset_fraction: float = 0.2  # threshold between baseline and peak of the envelope
    min_active_s: float = 0.05
    min_rest_s: float = 0.05
    mdf_window_s: float = 1.0
    #: filter in single precision (twice as fast; the envelope stays within 1e-4 of its peak
    #: of the double-precision result, see the tests)
    single_precision: bool = True


class EmgPipeline:
    """Process one raw EMG channel; results in attributes ending in ``_``."""

    def __init__(self, *, params: EmgParams | None = None) -> None:
        self.params = params or EmgParams()

    def process(self, raw: FloatArray, *, sampling_rate_hz: float) -> Self:
        p = self.params
        fs = sampling_rate_hz
        if fs < 200:
            raise UserError(f"EMG sampled at {fs:g} Hz is too slow to analyse (need >= 200 Hz)")
        if p.normalisation == "mvc" and not p.mvc_v:
            raise UserError("EMG normalisation 'mvc' needs the maximal-contraction amplitude")
        x = np.asarray(raw)
        if not np.isfinite(x).all():
            x = np.nan_to_num(x.astype(np.float64))
        if len(x) < 3 * fs / p.envelope_hz:
            raise UserError(f"EMG signal of {len(x)} samples is too short to analyse")
        high = min(p.band_high_hz, 0.45 * fs)
        sos_band = signal.butter(
            p.band_order, [p.band_low_hz, high], btype="bandpass", fs=fs, output="sos"
        )
        sos_env = signal.butter(p.envelope_order, p.envelope_hz, btype="low", fs=fs, output="sos")
        if p.single_precision:
            # Scaled to at most 1 in float64 and stored once in float32, without a float64
            # copy of the channel (a 30-minute channel: 14 MB): the same numbers as before.
            # max |x| without a whole-channel |x| array: the same number
            scale = max(float(x.max()), -float(x.min())) or 1.0
            x32 = np.empty(len(x), dtype=np.float32)
            np.divide(x, scale, out=x32, dtype=np.float64, casting="unsafe")
            band: FloatArray = sosfiltfilt(sos_band.astype(np.float32), x32, np.float32)
            del x32
            rect = np.abs(band)
            env32 = sosfiltfilt(sos_env.astype(np.float32), rect, np.float32)
            del rect
            # the float32 envelope in float64, times the scale: one pass (the same product)
            env = np.empty(len(env32), dtype=np.float64)
            np.multiply(env32, scale, out=env, dtype=np.float64)
            # np.percentile(env, ...) from the float32 envelope, partitioned in place: no
            # 14-MB copy of a 30-minute channel's float64 envelope
            base, peak = scaled_percentiles(env32, scale, (5.0, 99.5))
            del env32
        else:
            scale = 1.0
            x64 = np.asarray(x, dtype=np.float64)
            band = sosfiltfilt(sos_band, x64)
            env = np.asarray(sosfiltfilt(sos_env, np.abs(band)), dtype=np.float64)
            base, peak = (float(v) for v in np.percentile(env, [5, 99.5]))
        ref = p.mvc_v if p.normalisation == "mvc" and p.mvc_v else float(np.max(env))
        self._band, self._scale = band, scale
        self.envelope_ = env
        self.normalisation_reference_v_ = ref
        self.threshold_v_ = base + p.onset_fraction * (peak - base)
        self.onsets_s_, self.offsets_s_ = activation_intervals(
            env, self.threshold_v_, fs, p.min_active_s, p.min_rest_s
        )
        # the median frequency does not depend on the signal's scale: the unscaled band
        self.mdf_time_s_, self.median_frequency_hz_ = median_frequency(
            band, fs, p.mdf_window_s, p.band_low_hz, high
        )
        if len(self.median_frequency_hz_) >= 2:
            slope = np.polyfit(self.mdf_time_s_ / 60.0, self.median_frequency_hz_, 1)[0]
            self.mdf_slope_hz_per_min_ = float(slope)
        else:
            self.mdf_slope_hz_per_min_ = float("nan")
        return self

    @property
    def band_passed_(self) -> FloatArray:
        """The band-passed signal (V, float64), made on demand: the pipeline keeps it in
        float32, unscaled, to spare a long channel's 14 MB."""
        out: FloatArray = self._band.astype(np.float64) * self._scale
        return out

    @property
    def normalised_(self) -> FloatArray:
        """The envelope divided by the normalisation reference, made on demand."""
        ref = self.normalisation_reference_v_
        out: FloatArray = self.envelope_ / ref if ref > 0 else self.envelope_ * 0.0
        return out

    def parameters(self) -> dict[str, object]:
        return asdict(self.params)


def scaled_percentiles(values: npt.NDArray[np.float32], scale: float,
                       qs: tuple[float, ...]) -> tuple[float, ...]:
    """``np.percentile(values.astype(np.float64) * scale, qs)`` (linear method) bit for bit,
    for ``scale > 0``, partitioning ``values`` in place instead of copying the float64 array.

    Multiplying by a positive number keeps the order (rounding is monotonic), so the float64
    array's order statistics are the float32 ones converted and scaled; they are then
    interpolated with numpy's own arithmetic (its ``_lerp``: from the upper neighbour when the
    weight is at least 0.5). A NaN anywhere gives NaN, as numpy does."""
    n = values.size
    if n == 0 or not scale > 0:
        raise ValueError("scaled_percentiles needs values and a positive scale")
    virtual = [(n - 1) * (q / 100.0) for q in qs]
    lower = [n - 1 if v >= n - 1 else 0 if v < 0 else math.floor(v) for v in virtual]
    upper = [k if v >= n - 1 or v < 0 else k + 1 for k, v in zip(lower, virtual, strict=True)]
    values.partition(sorted({0, n - 1, *lower, *upper}))
    if math.isnan(float(values[n - 1])):
        return tuple(math.nan for _ in qs)
    out = []
    for v, lo, hi in zip(virtual, lower, upper, strict=True):
        # numpy takes the neighbours' weight against the index it clipped to (-1 at the top)
        gamma = v - (-1 if v >= n - 1 else lo)
        a, b = float(values[lo]) * scale, float(values[hi]) * scale
        diff = b - a
        out.append(b - diff * (1.0 - gamma) if gamma >= 0.5 else a + diff * gamma)
    return tuple(out)


def activation_intervals(
    env: FloatArray, threshold: float, fs: float, min_active_s: float, min_rest_s: float
) -> tuple[FloatArray, FloatArray]:
    """On/off times (s from the start) where the envelope stays above ``threshold``."""
    on = env > threshold
    zero = np.zeros(1, dtype=np.int8)  # (a plain 0 would make the difference int64)
    d = np.diff(on.astype(np.int8), prepend=zero, append=zero)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    if len(starts) == 0:
        return np.empty(0), np.empty(0)
    # Runs separated by less than ``min_rest_s`` are one: a new run begins only after a
    # long enough rest (the same as merging each run into the one before, in order).
    new = np.flatnonzero(starts[1:] - ends[:-1] >= round(min_rest_s * fs)) + 1
    ss = starts[np.concatenate(([0], new))]
    ee = ends[np.concatenate((new - 1, [len(ends) - 1]))]
    ok = (ee - ss) >= round(min_active_s * fs)
    return ss[ok] / fs, ee[ok] / fs


_MDF_CHUNK = 256


def median_frequency(
    band: FloatArray, fs: float, window_s: float, f_lo: float, f_hi: float
) -> tuple[FloatArray, FloatArray]:
    """Median frequency of consecutive windows (Hann-windowed periodogram of each window),
    vectorised over windows. The band-pass already removed the mean: no detrending.

    Each window's cumulative power runs along the frequencies as numpy's ``cumsum`` would
    (one addition after another), but for all windows of a chunk at once: a row of
    frequencies at a time over a (frequencies, windows) array, where ``cumsum`` along each
    window's row is a chain of dependent additions (3-4 times slower). The median is the
    first frequency whose cumulative power reaches half the total; the power is never
    negative, so the cumulative power never falls and that index is the count of
    frequencies below half."""
    w = round(window_s * fs)
    n = len(band) // w
    if n == 0:
        return np.empty(0), np.empty(0)
    f = np.fft.rfftfreq(w, 1.0 / fs)
    sel = (f >= f_lo) & (f <= f_hi)
    picked = np.flatnonzero(sel)
    lo, hi = (int(picked[0]), int(picked[-1]) + 1) if len(picked) else (0, 0)
    if hi - lo != len(picked):  # (a selection with holes cannot happen: f is increasing)
        raise ValueError("the median frequency's band must be one range of frequencies")
    hann = np.hanning(w)
    idx = np.empty(n, dtype=np.intp)
    # a few hundred windows at a time: the spectra of a 30-minute channel at once would take
    # ~100 MB; each window's numbers are the same either way
    for a in range(0, n, _MDF_CHUNK):
        b = min(n, a + _MDF_CHUNK)
        seg = band[a * w : b * w].reshape(b - a, w) * hann
        spec = np.fft.rfft(seg, axis=-1)[:, lo:hi]
        c = np.empty((hi - lo, b - a))
        np.abs(spec.T, out=c)
        c *= c  # |X|**2, the same product
        for k in range(1, hi - lo):
            np.add(c[k - 1], c[k], out=c[k])
        if hi - lo and np.isfinite(c[-1]).all():
            idx[a:b] = np.count_nonzero(c < c[-1] / 2, axis=0)
        else:  # a NaN or no frequencies: numpy's first-True (0 where none)
            idx[a:b] = np.argmax(c >= c[-1:] / 2, axis=0) if hi - lo else 0
    f = f[sel]
    t = (np.arange(n) + 0.5) * window_s
    return t.astype(np.float64), np.asarray(f[idx], dtype=np.float64)


def cycle_timing(
    onsets_s: FloatArray, offsets_s: FloatArray, cycles: list[tuple[float, float]]
) -> list[list[tuple[float, float]]]:
    """Activation intervals of each gait cycle in % of the cycle (clipped to the cycle)."""
    if not cycles:
        return []
    ab = np.asarray(cycles, dtype=np.float64)
    a, b = ab[:, 0], ab[:, 1]
    lo = np.searchsorted(offsets_s, a, side="right")
    hi = np.maximum(np.searchsorted(onsets_s, b, side="left"), lo)
    n = hi - lo
    cyc = np.repeat(np.arange(len(ab)), n)  # the cycle of each interval, in order
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + lo[cyc]
    start, T = a[cyc], (b - a)[cyc]
    on = rounded(100 * (np.maximum(onsets_s[k], start) - start) / T, 1,
                 none_if_not_finite=False)
    off = rounded(100 * (np.minimum(offsets_s[k], b[cyc]) - start) / T, 1,
                  none_if_not_finite=False)
    pairs = list(zip(on, off, strict=True))
    ends = np.cumsum(n).tolist()
    return [pairs[e - m : e] for e, m in zip(ends, n.tolist(), strict=True)]
