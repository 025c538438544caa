"""Gait-phase estimation from the robot's own sensors.

An adaptive oscillator (the Ronsse et al. 2011 family) locks onto the hip angle: a phase
variable ``phi`` advances at a learned frequency ``omega`` and is pulled towards the phase at
which a learned Fourier series of the hip angle best matches the measurement. The oscillator's
own phase has no fixed relation to heel strike, so each heel strike detected on the force
plates corrects an offset (and the frequency, from the median of the last measured stride
times). How strongly the hip angle pulls phase and frequency can differ while heel strikes
are being detected (``hs_nu_phi``, ``hs_nu_omega``) and when none came for 1.5 strides: on the
twin's hemiparetic patients a paretic hip does not follow the reference's shape, and its pull
made the phase worse than the heel-strike timing alone (path control: 16 % vs 1.2 % RMS of
the cycle), so the control stack uses heel-strike timing while it has it and falls back to
the hip oscillator when the plates see no strikes.

The per-tick class :class:`PhaseOscillator` works on plain Python floats (a few microseconds
per update); :class:`AdaptiveOscillatorPhaseEstimator` runs it over a recorded signal in the
tpcp pattern so that it can be scored against the simulation's ground truth.
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Final, Self

import numpy as np
import numpy.typing as npt

from gaitway.errors import UserError

TWO_PI: Final[float] = 2.0 * math.pi
_INV_TWO_PI: Final[float] = 1.0 / TWO_PI
FloatArray = npt.NDArray[np.float64]


def fourier_hip_coefficients(table: FloatArray) -> tuple[float, float, float, float, float]:
    """Mean and first two harmonics (a1, b1, a2, b2) of one cycle sampled uniformly."""
    y = np.asarray(table[:-1] if table[0] == table[-1] else table, dtype=np.float64)
    n = y.shape[0]
    ph = TWO_PI * np.arange(n) / n
    a0 = float(y.mean())
    a1 = float(2.0 * np.mean(y * np.cos(ph)))
    b1 = float(2.0 * np.mean(y * np.sin(ph)))
    a2 = float(2.0 * np.mean(y * np.cos(2 * ph)))
    b2 = float(2.0 * np.mean(y * np.sin(2 * ph)))
    return a0, a1, b1, a2, b2


class PhaseOscillator:
    """Adaptive oscillator with heel-strike correction, for one leg.

    ``update`` takes the hip angle (rad), the tick period and whether a heel strike of this leg
    was detected on this tick, and returns the gait phase in cycles (0 at heel strike, 0-1).
    """

    __slots__ = (
        "_a0",
        "_a1",
        "_a2",
        "_b1",
        "_b2",
        "_eta",
        "_hs_clock",
        "_hs_freq_gain",
        "_hs_nu_omega",
        "_hs_nu_phi",
        "_hs_phase_gain",
        "_last_hs_time",
        "_lost_after",
        "_nu_omega",
        "_nu_phi",
        "_offset",
        "_omega_max",
        "_omega_min",
        "_phi",
        "_stride_memory",
        "_strides",
        "_time",
        "omega",
        "phase",
        "strides",
    )

    def __init__(
        self,
        *,
        frequency_hz: float,
        coefficients: tuple[float, float, float, float, float],
        nu_phi: float = 4.0,
        nu_omega: float = 1.0,
        eta: float = 0.5,
        hs_phase_gain: float = 0.8,
        hs_frequency_gain: float = 0.5,
        stride_memory: int = 1,
        hs_nu_phi: float | None = None,
        hs_nu_omega: float | None = None,
    ) -> None:
        if frequency_hz <= 0.0:
            raise UserError(f"oscillator frequency must be positive, got {frequency_hz} Hz")
        self.omega = TWO_PI * frequency_hz
        self._omega_min = TWO_PI * 0.2
        self._omega_max = TWO_PI * 2.5
        self._a0, self._a1, self._b1, self._a2, self._b2 = coefficients
        self._nu_phi = nu_phi
        self._nu_omega = nu_omega
        self._eta = eta
        self._hs_phase_gain = hs_phase_gain
        self._hs_freq_gain = hs_frequency_gain
        self._hs_nu_phi = nu_phi if hs_nu_phi is None else hs_nu_phi
        self._hs_nu_omega = nu_omega if hs_nu_omega is None else hs_nu_omega
        self._lost_after = 0.0  # time after which heel strikes count as lost
        self._hs_clock = self._hs_nu_phi == 0.0 and self._hs_nu_omega == 0.0
        self._phi = 0.0
        self._offset = 0.0
        self._time = 0.0
        self._last_hs_time = -1.0
        self._strides: list[float] = []
        self._stride_memory = max(int(stride_memory), 1)
        self.phase = 0.0
        self.strides = 0

    @property
    def frequency_hz(self) -> float:
        return self.omega / TWO_PI

    def reset_phase(self, phase: float) -> None:
        """Start from a known gait phase (cycles), for example at the first heel strike."""
        self._phi = TWO_PI * phase
        self._offset = 0.0
        self.phase = phase % 1.0

    def update(
        self, hip_angle: float, dt: float, heel_strike: bool, hs_delay_s: float = 0.0
    ) -> float:
        """One tick; ``hs_delay_s``: how long ago the confirmed heel strike began."""
        phi = self._phi
        if self._time < self._lost_after and self._hs_clock:
            # heel strikes keep the timing and the hip has no pull: a clock (a few operations;
            # the Fourier fit pauses and resumes if strikes are lost)
            phi += dt * self.omega
            self._time += dt
            if phi > TWO_PI:
                phi -= TWO_PI
                self._offset -= TWO_PI
            if heel_strike:
                self._heel_strike(phi, hs_delay_s)
            self._phi = phi
            p = (phi - self._offset) * _INV_TWO_PI
            p -= math.floor(p)
            self.phase = p
            return p
        c1 = math.cos(phi)
        s1 = math.sin(phi)
        c2 = c1 * c1 - s1 * s1
        s2 = 2.0 * s1 * c1
        a1, b1, a2, b2 = self._a1, self._b1, self._a2, self._b2
        e = hip_angle - (self._a0 + a1 * c1 + b1 * s1 + a2 * c2 + b2 * s2)
        slope = -a1 * s1 + b1 * c1 + 2.0 * (b2 * c2 - a2 * s2)
        g = e * slope / (a1 * a1 + b1 * b1 + 4.0 * (a2 * a2 + b2 * b2) + 1e-9)
        if self._time < self._lost_after:  # heel strikes keep the timing
            nu_phi, nu_omega = self._hs_nu_phi, self._hs_nu_omega
        else:  # none lately: the hip angle alone carries phase and cadence
            nu_phi, nu_omega = self._nu_phi, self._nu_omega
        omega = self.omega + dt * nu_omega * g
        omega = min(max(omega, self._omega_min), self._omega_max)
        self.omega = omega
        phi += dt * (omega + nu_phi * g)
        k = self._eta * dt * e
        self._a0 += k
        self._a1 = a1 + k * c1
        self._b1 = b1 + k * s1
        self._a2 = a2 + k * c2
        self._b2 = b2 + k * s2
        self._time += dt
        if phi > TWO_PI:
            phi -= TWO_PI
            self._offset -= TWO_PI
        if heel_strike:
            self._heel_strike(phi, hs_delay_s)
        self._phi = phi
        p = (phi - self._offset) / TWO_PI
        p -= math.floor(p)
        self.phase = p
        return p

    def _heel_strike(self, phi: float, delay_s: float) -> None:
        """Pull the offset so that the strike's onset reads phase 0 (this instant: the delay
        times the frequency), and the frequency towards the measured stride."""
        err = phi - self._offset - self.omega * delay_s
        err -= TWO_PI * math.floor(err / TWO_PI + 0.5)  # wrapped to -pi..pi
        self._offset += self._hs_phase_gain * err
        onset = self._time - delay_s
        if self._last_hs_time >= 0.0:
            stride = onset - self._last_hs_time
            if 0.4 < stride < 5.0:
                hist = self._strides
                hist.append(stride)
                if len(hist) > self._stride_memory:
                    del hist[0]
                target = TWO_PI / sorted(hist)[len(hist) // 2]
                self.omega += self._hs_freq_gain * (target - self.omega)
        self._last_hs_time = onset
        self._lost_after = onset + 1.5 * TWO_PI / self.omega
        self.strides += 1


class HeelStrikeDetector:
    """Heel strike from one belt's vertical force: a rising crossing with hysteresis, confirmed.

    ``on_n`` and ``off_n`` are the force thresholds (N). A strike needs the foot to have been
    unloaded for ``min_swing_s`` first (a bounce at toe-off is not a swing), and the load to
    stay above ``off_n`` for ``confirm_s`` (a toe scuffing the belt in swing, common with foot
    drop, is not a strike). It is reported when confirmed, with ``delay_s`` = how long ago it
    began, so that estimators can date it back to its onset.
    """

    __slots__ = (
        "_last",
        "_loaded",
        "_off_since",
        "_onset",
        "confirm_s",
        "delay_s",
        "min_interval_s",
        "min_swing_s",
        "off_n",
        "on_n",
        "onset_s",
    )

    def __init__(
        self,
        *,
        on_n: float,
        off_n: float,
        min_interval_s: float = 0.4,
        min_swing_s: float = 0.1,
        confirm_s: float = 0.05,
    ) -> None:
        if not 0.0 <= off_n < on_n:
            raise UserError(f"heel-strike thresholds need 0 <= off < on, got {off_n}, {on_n}")
        self.on_n = on_n
        self.off_n = off_n
        self.min_interval_s = min_interval_s
        self.min_swing_s = min_swing_s
        self.confirm_s = confirm_s
        self._loaded = True  # assume standing at start: the first strike needs a lift-off
        self._last = -1e9
        self._off_since = 0.0
        self._onset = -1.0  # >= 0 while a candidate strike waits for confirmation
        self.delay_s = 0.0
        self.onset_s = -1.0

    @property
    def loaded(self) -> bool:
        """The foot bears load on its belt (above ``on_n`` since it last fell below
        ``off_n``): stance, as the force plate sees it."""
        return self._loaded

    def update(self, time_s: float, grf_z: float) -> bool:
        onset = self._onset
        if onset >= 0.0:  # a candidate: confirm or drop it
            if grf_z < self.off_n:
                self._onset = -1.0
                self._loaded = False  # a scuff: still in swing, from the original lift-off
                return False
            if time_s - onset >= self.confirm_s:
                self._onset = -1.0
                self._last = onset
                self.onset_s = onset
                self.delay_s = time_s - onset
                return True
            return False
        if self._loaded:
            if grf_z < self.off_n:
                self._loaded = False
                self._off_since = time_s
            return False
        if grf_z > self.on_n:
            self._loaded = True
            if (
                time_s - self._off_since >= self.min_swing_s
                and time_s - self._last >= self.min_interval_s
            ):
                self._onset = time_s
                if self.confirm_s <= 0.0:
                    return self.update(time_s, grf_z)
        return False


def wrapped_phase_error(estimate: FloatArray, truth: FloatArray) -> FloatArray:
    """Phase difference in cycles, wrapped to -0.5..0.5."""
    d = np.asarray(estimate, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    out: FloatArray = d - np.round(d)
    return out


class AdaptiveOscillatorPhaseEstimator:
    """Gait phase of one leg from its hip angle and heel strikes, over a whole signal (tpcp).

    Results: ``phase_`` (cycles, 0-1 per sample) and ``frequency_hz_`` (per sample).
    """

    def __init__(
        self,
        *,
        initial_frequency_hz: float,
        coefficients: tuple[float, float, float, float, float],
        nu_phi: float = 4.0,
        nu_omega: float = 1.0,
        eta: float = 0.5,
        hs_phase_gain: float = 0.8,
        hs_frequency_gain: float = 0.5,
    ) -> None:
        self.initial_frequency_hz = initial_frequency_hz
        self.coefficients = coefficients
        self.nu_phi = nu_phi
        self.nu_omega = nu_omega
        self.eta = eta
        self.hs_phase_gain = hs_phase_gain
        self.hs_frequency_gain = hs_frequency_gain

    def estimate(
        self,
        hip_angle: FloatArray,
        *,
        sampling_rate_hz: float,
        heel_strikes: npt.NDArray[np.bool_] | None = None,
    ) -> Self:
        hip = np.asarray(hip_angle, dtype=np.float64)
        if hip.ndim != 1 or hip.size < 2:
            raise UserError("hip angle must be a 1-D signal of at least two samples")
        if sampling_rate_hz < 100.0:
            raise UserError(
                f"sampling rate {sampling_rate_hz} Hz is too low for the oscillator; "
                "give at least 100 Hz"
            )
        hs = (
            np.zeros(hip.size, dtype=bool)
            if heel_strikes is None
            else np.asarray(heel_strikes, dtype=bool)
        )
        if hs.shape != hip.shape:
            raise UserError("heel_strikes must be a boolean array as long as the hip angle")
        osc = PhaseOscillator(
            frequency_hz=self.initial_frequency_hz,
            coefficients=self.coefficients,
            nu_phi=self.nu_phi,
            nu_omega=self.nu_omega,
            eta=self.eta,
            hs_phase_gain=self.hs_phase_gain,
            hs_frequency_gain=self.hs_frequency_gain,
        )
        dt = 1.0 / sampling_rate_hz
        phase = np.empty(hip.size)
        freq = np.empty(hip.size)
        update = osc.update
        for i, (x, h) in enumerate(zip(hip.tolist(), hs.tolist(), strict=True)):
            phase[i] = update(x, dt, h)
            freq[i] = osc.omega / TWO_PI
        self.phase_ = phase
        self.frequency_hz_ = freq
        return self


def phase_from_contacts(
    contact: npt.NDArray[np.bool_], *, min_stance_samples: int = 150, max_gap_samples: int = 50
) -> FloatArray:
    """Ground-truth gait phase from true foot contact: 0 at each touch-down, rising linearly
    to 1 at the next. NaN before the first and after the last touch-down.

    Contact chatter is closed first (gaps up to ``max_gap_samples``); a touch-down then counts
    only if contact lasts ``min_stance_samples`` (150 ms at 1 kHz), so a toe scuffing the belt
    in swing is not a heel strike.
    """
    c = np.asarray(contact, dtype=bool).copy()
    n = c.shape[0]
    out = np.full(n, np.nan)
    if n < 2:
        return out
    rises = np.flatnonzero(c[1:] & ~c[:-1]) + 1
    falls = np.flatnonzero(~c[1:] & c[:-1]) + 1
    for f in falls.tolist():  # close short gaps
        k = int(np.searchsorted(rises, f))
        if k < rises.size and rises[k] - f <= max_gap_samples:
            c[f : rises[k]] = True
    rises = np.flatnonzero(c[1:] & ~c[:-1]) + 1
    falls = np.flatnonzero(~c[1:] & c[:-1]) + 1
    strikes_l = []
    for r in rises.tolist():
        k = int(np.searchsorted(falls, r))
        end = int(falls[k]) if k < falls.size else n
        if end - r >= min_stance_samples:
            strikes_l.append(r)
    strikes = np.asarray(strikes_l, dtype=np.int64)
    for a, b in zip(strikes[:-1].tolist(), strikes[1:].tolist(), strict=True):
        out[a:b] = np.arange(b - a) / (b - a)
    return out


def phase_rms_error(estimate: FloatArray, truth: FloatArray) -> float:
    """RMS of the wrapped phase error (cycles) where the truth is known."""
    ok = np.isfinite(truth)
    if not ok.any():
        raise UserError("no ground-truth phase to score against (no complete stride)")
    e = wrapped_phase_error(np.asarray(estimate)[ok], np.asarray(truth)[ok])
    return float(np.sqrt(np.mean(e * e)))


def steady_stride_mask(truth: FloatArray, *, tolerance: float = 0.15) -> npt.NDArray[np.bool_]:
    """Samples of steady walking: inside strides (of the truth phase from
    :func:`phase_from_contacts`) lasting within ``tolerance`` of the median stride.

    A stumble, a stop or a slipped step is not steady walking: its stride is much shorter or
    longer than the patient's usual one, and no estimator can know it in advance.
    """
    tr = np.asarray(truth, dtype=np.float64)
    starts = np.flatnonzero(tr == 0.0)
    mask = np.zeros(tr.shape[0], dtype=bool)
    if starts.size < 2:
        return mask
    lengths = []
    for a in starts.tolist():
        b = a + 1
        while b < tr.shape[0] and np.isfinite(tr[b]) and tr[b] != 0.0:
            b += 1
        lengths.append(b - a)
    med = float(np.median(lengths))
    for a, n in zip(starts.tolist(), lengths, strict=True):
        if abs(n - med) <= tolerance * med:
            mask[a : a + n] = True
    return mask


class StreamingPhaseScorer:
    """The phase estimate's error against true foot contact, scored while a simulated session
    runs (no recording needed), by the rules of :func:`phase_from_contacts` and
    :func:`steady_stride_mask`.

    Per tick, :meth:`add` takes the estimates (cycles) and true contacts of both legs: a
    list append and a few comparisons. At each confirmed touch-down the stride before it is
    scored (sum of squared wrapped errors) and its samples dropped, so memory stays at about
    one stride (at most ``max_stride_samples``; longer strides are not scored: no steady
    walking lasts 10 s a stride). :meth:`result` gives the RMS error over the steady strides
    that began at or after ``from_s``, in % of the gait cycle.
    """

    __slots__ = ("_buf", "_buf_start", "_confirmed", "_dt", "_gap", "_in_seg", "_last_true",
                 "_max", "_n", "_prev_strike", "_seg_start", "_stance", "strides")

    def __init__(self, *, dt: float = 0.001, max_gap_samples: int = 50,
                 min_stance_samples: int = 150, max_stride_samples: int = 10_000) -> None:
        self._dt = dt
        self._n = 0
        self._gap = max_gap_samples
        self._stance = min_stance_samples
        self._max = max_stride_samples
        self._buf: tuple[list[float], list[float]] = ([], [])
        self._buf_start = [0, 0]  # sample index of each buffer's first entry
        self._in_seg = [False, False]
        self._last_true = [-(10**9), -(10**9)]
        self._seg_start = [0, 0]
        self._confirmed = [False, False]
        self._prev_strike = [-1, -1]
        #: per side: (start time s, length in samples, sum of squared error in cycles^2)
        self.strides: tuple[list[tuple[float, int, float]], list[tuple[float, int, float]]] = (
            [], [])

    def add(self, est_left: float, est_right: float, contact_left: bool,
            contact_right: bool) -> None:
        i = self._n
        self._n = i + 1
        self._side(0, i, est_left, contact_left)
        self._side(1, i, est_right, contact_right)

    def _side(self, s: int, i: int, est: float, contact: bool) -> None:
        buf = self._buf[s]
        buf.append(est)
        if len(buf) > self._max:  # no strike for too long: keep the latest samples only
            del buf[: len(buf) - self._max]
            self._buf_start[s] = i + 1 - self._max
        if contact:
            if not self._in_seg[s] or i - self._last_true[s] - 1 > self._gap:
                self._in_seg[s] = True
                self._seg_start[s] = i
                self._confirmed[s] = False
            self._last_true[s] = i
            if not self._confirmed[s] and i + 1 - self._seg_start[s] >= self._stance:
                self._confirmed[s] = True
                self._strike(s, self._seg_start[s])
        elif self._in_seg[s] and i - self._last_true[s] > self._gap:
            self._in_seg[s] = False

    def _strike(self, s: int, r: int) -> None:
        prev = self._prev_strike[s]
        self._prev_strike[s] = r
        buf = self._buf[s]
        start = self._buf_start[s]
        if prev >= start:  # the whole stride prev..r is still buffered: score it
            n = r - prev
            off = prev - start
            inv = 1.0 / n
            sse = 0.0
            for k in range(n):
                d = buf[off + k] - k * inv
                d -= math.floor(d + 0.5)
                sse += d * d
            self.strides[s].append((prev * self._dt, n, sse))
        if r > start:
            del buf[: r - start]
            self._buf_start[s] = r

    def result(self, *, from_s: float = 0.0, tolerance: float = 0.15) -> dict[str, Any]:
        """RMS phase error (% of the cycle) per side and overall over steady strides, and
        how many strides were scored and how many of them were steady."""
        rms: dict[str, float | None] = {}
        steady: dict[str, int] = {}
        total: dict[str, int] = {}
        sse_all = 0.0
        n_all = 0
        for s, side in enumerate(("left", "right")):
            rs = [r for r in self.strides[s] if r[0] >= from_s]
            total[side] = len(rs)
            steady[side] = 0
            rms[side] = None
            if not rs:
                continue
            med = statistics.median(r[1] for r in rs)
            keep = [r for r in rs if abs(r[1] - med) <= tolerance * med]
            n = sum(r[1] for r in keep)
            sse = sum(r[2] for r in keep)
            steady[side] = len(keep)
            sse_all += sse
            n_all += n
            rms[side] = 100.0 * math.sqrt(sse / n) if n else None
        rms["overall"] = 100.0 * math.sqrt(sse_all / n_all) if n_all else None
        return {"rms_pct": rms, "steady_strides": steady, "strides": total}
