"""Surface EMG: band-pass, rectification, linear envelope, normalisation, on/off timing and
median frequency over time (a fatigue indicator: it falls as muscle fibres fatigue).

Filters are scipy.signal's zero-phase Butterworth (sosfiltfilt's numbers, through
:mod:`gaitway.analytics.filters` for fewer copies of a long channel and, in single precision,
several channels in lockstep in a compiled kernel), the same building block neurokit2 uses;
the validation shows the two agree on the same signals.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Literal, Self

import numpy as np
import numpy.typing as npt
from scipy import signal

from gaitway.analytics.filters import Array, odd_extend, padded, padlen, sosfiltfilt, zero_phase
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
    """Process one raw EMG channel; results in attributes ending in ``_``.

    :func:`process_channels` processes several channels at once (their filters together)
    into the same attributes."""

    def __init__(self, *, params: EmgParams | None = None) -> None:
        self.params = params or EmgParams()

    def process(self, raw: FloatArray, *, sampling_rate_hz: float) -> Self:
        for _ in _process([self], [raw], sampling_rate_hz):
            pass
        return self

    @property
    def normalised_(self) -> FloatArray:
        """The envelope divided by the normalisation reference, made on demand."""
        ref = self.normalisation_reference_v_
        out: FloatArray = self.envelope_ / ref if ref > 0 else self.envelope_ * 0.0
        return out

    def parameters(self) -> dict[str, object]:
        return asdict(self.params)

    def _finish(self, env: FloatArray, base: float, peak: float, band: FloatArray | None,
                mdf: tuple[FloatArray, FloatArray] | None, fs: float) -> None:
        """The attributes from the envelope, its percentiles and the band (or the band's
        median frequency, already computed)."""
        p = self.params
        ref = p.mvc_v if p.normalisation == "mvc" and p.mvc_v else float(np.max(env))
        self.envelope_ = env
        self.normalisation_reference_v_ = ref
        self.threshold_v_ = base + p.onset_fraction * (peak - base)
        self.onsets_s_, self.offsets_s_ = activation_intervals(
            env, self.threshold_v_, fs, p.min_active_s, p.min_rest_s
        )
        if mdf is None:
            assert band is not None
            mdf = _median_frequency(band, fs, p)
        self.mdf_time_s_, self.median_frequency_hz_ = mdf
        if len(self.median_frequency_hz_) >= 2:
            slope = np.polyfit(self.mdf_time_s_ / 60.0, self.median_frequency_hz_, 1)[0]
            self.mdf_slope_hz_per_min_ = float(slope)
        else:
            self.mdf_slope_hz_per_min_ = float("nan")


#: Channels filtered together (at most native_filter.MAX_LANES). 4, not 8: on a 30-minute
#: recording 8 took the analysis's peak to 503 MB (4: 478 MB, docs/benchmarks.md, fifth
#: pass) for ~0.06 s of CPU less.
_GROUP = 4


def process_channels(raws: Sequence[FloatArray], *, sampling_rate_hz: float,
                     params: EmgParams | None = None) -> Iterator[EmgPipeline]:
    """``EmgPipeline(params=params).process(raw, sampling_rate_hz=...)`` of each channel, in
    order, bit for bit the same attributes, made one after another as the caller takes them.

    Why together: each zero-phase filter is a recursive pass, one sample after another; with
    single precision, a group of channels of one length is filtered in lockstep
    (:func:`gaitway.analytics.filters.zero_phase`): 4 channels cost about what one did.
    Memory: a group's padded float32 channels (4 x 7.2 MB for 30 minutes) are held through
    its filters instead of one channel's; the band's array becomes the envelope's."""
    p = params or EmgParams()
    group = _GROUP if p.single_precision else 1
    for at in range(0, len(raws), group):
        chunk = raws[at : at + group]
        yield from _process([EmgPipeline(params=p) for _ in chunk], chunk, sampling_rate_hz)
        del chunk


def _checked(raw: FloatArray, p: EmgParams, fs: float) -> FloatArray:
    if fs < 200:
        raise UserError(f"EMG sampled at {fs:g} Hz is too slow to analyse (need >= 200 Hz)")
    if p.normalisation == "mvc" and not p.mvc_v:
        raise UserError("EMG normalisation 'mvc' needs the maximal-contraction amplitude")
    x = np.asarray(raw)
    if not np.isfinite(x).all():
        x = np.nan_to_num(x.astype(np.float64))
    if len(x) < 3 * fs / p.envelope_hz:
        raise UserError(f"EMG signal of {len(x)} samples is too short to analyse")
    return x


def _designs(p: EmgParams, fs: float) -> tuple[FloatArray, FloatArray, float]:
    """The band-pass and envelope filters (second-order sections) and the band's top."""
    high = min(p.band_high_hz, 0.45 * fs)
    sos_band = signal.butter(
        p.band_order, [p.band_low_hz, high], btype="bandpass", fs=fs, output="sos"
    )
    sos_env = signal.butter(p.envelope_order, p.envelope_hz, btype="low", fs=fs, output="sos")
    return sos_band, sos_env, high


def _median_frequency(band: FloatArray, fs: float,
                      p: EmgParams) -> tuple[FloatArray, FloatArray]:
    # the median frequency does not depend on the signal's scale: the unscaled band
    high = min(p.band_high_hz, 0.45 * fs)
    return median_frequency(band, fs, p.mdf_window_s, p.band_low_hz, high)


def _process(pipes: list[EmgPipeline], raws: Sequence[FloatArray],
             fs: float) -> Iterator[EmgPipeline]:
    """Fill ``pipes`` (one params) from ``raws``, yielding each when it is complete. Nothing
    of a yielded pipeline is kept here (its envelope, 14 MB for 30 minutes, is the
    caller's to release)."""
    p = pipes[0].params
    queue = deque(pipes)
    del pipes  # (the queue is the only reference: each pipeline leaves it when yielded)
    xs = [_checked(raw, p, fs) for raw in raws]
    sos_band, sos_env, _ = _designs(p, fs)
    if not p.single_precision:
        while xs:
            x64 = np.asarray(xs.pop(0), dtype=np.float64)
            band = sosfiltfilt(sos_band, x64)
            env = np.asarray(sosfiltfilt(sos_env, np.abs(band)), dtype=np.float64)
            base, peak = (float(v) for v in np.percentile(env, [5, 99.5]))
            pipe = queue.popleft()
            pipe._finish(env, base, peak, band, None, fs)
            del x64, band, env
            yield pipe
            del pipe
        return
    # Each channel scaled to at most 1 in float64 and stored once in float32, straight into
    # its padded array (max |x| without a whole-channel |x| array: the same number); both
    # filters in float32, all channels of the group together.
    band32, env32 = sos_band.astype(np.float32), sos_env.astype(np.float32)
    edge_band, edge_env = padlen(band32), padlen(env32)
    scales: list[float] = []
    padded_: list[Array | None] = []
    for x in xs:
        scales.append(max(float(x.max()), -float(x.min())) or 1.0)
        ext = padded(len(x), edge_band, np.float32)
        np.divide(x, scales[-1], out=ext[edge_band : edge_band + len(x)], dtype=np.float64,
                  casting="unsafe")
        odd_extend(ext, edge_band)
        padded_.append(ext)
    del xs
    zero_phase(band32, [e for e in padded_ if e is not None])
    # each band's median frequency, then the band rectified and padded for the envelope: in
    # its own array where the envelope's padding fits in the band's (the same values as a
    # new array; a group's padded channels are then all the EMG holds)
    mdfs = []
    for k, whole in enumerate(padded_):
        assert whole is not None
        n = len(whole) - 2 * edge_band
        band = whole[edge_band : edge_band + n]
        mdfs.append(_median_frequency(band, fs, p))
        if edge_env <= edge_band:
            rect = whole[edge_band - edge_env : edge_band + n + edge_env]
            np.abs(band, out=band)
        else:
            rect = padded(n, edge_env, np.float32)
            np.abs(band, out=rect[edge_env : edge_env + n])
        odd_extend(rect, edge_env)
        padded_[k] = rect
        del band, whole, rect
    zero_phase(env32, [e for e in padded_ if e is not None])
    for k, (scale, mdf) in enumerate(zip(scales, mdfs, strict=True)):
        done = padded_[k]
        assert done is not None
        padded_[k] = None
        n = len(done) - 2 * edge_env
        low = done[edge_env : edge_env + n]
        # the float32 envelope in float64, times the scale: one pass (the same product)
        env = np.empty(n, dtype=np.float64)
        np.multiply(low, scale, out=env, dtype=np.float64)
        # np.percentile(env, ...) from the float32 envelope, partitioned in place: no
        # 14-MB copy of a 30-minute channel's float64 envelope
        base, peak = scaled_percentiles(low, scale, (5.0, 99.5))
        del low, done
        pipe = queue.popleft()
        pipe._finish(env, base, peak, None, mdf, fs)
        del env
        yield pipe
        del pipe


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
