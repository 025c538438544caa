"""Heel strike and toe-off per side, from force plates or, without force data, from kinematics.

Force plates: a foot is in stance while its belt's vertical force is above a threshold, with
hysteresis (a higher level to enter stance than to leave it) so that noise near the threshold
cannot chatter, and a debounce (minimum stance and swing durations) that removes spikes and
dropouts. Split-belt treadmills leak a few percent of one belt's load into the other
(crosstalk), so each side's threshold rises with the other belt's load. A foot that lands on
the wrong belt shows up as a missing stance on its own belt; that is left to the stride builder,
which refuses strides whose events do not alternate instead of inventing events.

Kinematics: the foot's forward position relative to the pelvis peaks at heel strike and is
lowest at toe-off (Zeni et al. 2008, Gait & Posture 27:710), which holds on a treadmill.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Self, overload

import numpy as np
from scipy import ndimage, signal

from gaitway.analytics.filters import sosfiltfilt
from gaitway.analytics.gait_data import FloatArray, GaitEvent, Side
from gaitway.analytics.segments import IntArray
from gaitway.analytics.stance_batch import crossing_times, maybe_crossing, maybe_partial
from gaitway.errors import UserError


@dataclass(frozen=True, slots=True)
class ForcePlateParams:
    """Thresholds are fractions of the load reference (body weight, or the walking load)."""

    on_fraction: float = 0.06
    off_fraction: float = 0.03
    on_min_n: float = 25.0
    off_min_n: float = 12.0
    crosstalk_coefficient: float = 0.04
    min_stance_s: float = 0.15
    min_swing_s: float = 0.10
    #: Zero-phase low-pass before thresholding. Lower cutoffs smear a sharp heel impact
    #: backwards in time (30 Hz: 10 ms early on the twin); 60 Hz keeps that under 6 ms.
    lowpass_hz: float = 60.0
    remove_baseline: bool = True
    #: A second foot landing on a belt moves that belt's centre of pressure forward (in belt
    #: coordinates) by much more than one foot's heel-to-toe roll; this is the limit.
    crossing_cop_jump_m: float = 0.35
    crossing_window_s: float = 0.4
    crossing_min_load_fraction: float = 0.15
    #: Extrapolating the load ramp between the two thresholds back to zero load moves strikes
    #: earlier and toe-offs later by up to ``max_extrapolation_s``. Off by default: on the
    #: hand-annotated real treadmill trial it made every kind worse (right toe-off mean error
    #: +23 ms with it, +9 ms without; left heel strike -14 ms with it, +1 ms without), since
    #: labs mark events where the force leaves its noise (about 10-20 N), as the lower
    #: threshold does. It suits only signals whose ramp starts exactly at zero (the plain
    #: synthetic generator). docs/validation/report.md has the figures.
    extrapolate_to_zero: bool = False
    max_extrapolation_s: float = 0.04
    #: A partial crossing: the other foot resting lightly on this belt (tens of newtons)
    #: while this foot leaves it. In the last part of stance (load under this fraction of
    #: the stance's peak) the centre of pressure then runs ahead, towards the visitor, by
    #: more than any foot rolls over its toes (about 0.15 m).
    partial_unload_fraction: float = 0.3
    partial_cop_jump_m: float = 0.2


#: Named presets are data (CONVENTIONS.md): a split-belt treadmill and a single plate.
FORCE_PLATE_PRESETS: dict[str, ForcePlateParams] = {
    "treadmill": ForcePlateParams(),
    "single_belt": ForcePlateParams(crosstalk_coefficient=0.0),
}


def _lowpass(x: FloatArray, cutoff_hz: float, fs: float, order: int = 2) -> FloatArray:
    """Zero-phase low-pass in float64 (of a float32 channel too, without a float64 copy of
    it); ``x`` itself when there is nothing to filter."""
    if cutoff_hz <= 0 or cutoff_hz >= 0.45 * fs or len(x) < 30:
        return x
    sos = signal.butter(order, cutoff_hz, btype="low", fs=fs, output="sos")
    return sosfiltfilt(sos, x, np.float64)


class _Levels:
    """A threshold along time, ``max(other, 0) * coefficient + level`` (the other belt's
    crosstalk added to a fixed level), computed where it is asked for: the same numbers as
    the whole array (elementwise, the same operations), without two 14-MB arrays per side of
    a 30-minute session. Indexing gives a float at an index and an array for a slice."""

    def __init__(self, n: int, level: float, other: FloatArray | None = None,
                 coefficient: float = 0.0) -> None:
        self.n, self.level = n, level
        self._other = other if other is not None and coefficient else None
        self._c = coefficient

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, k: int) -> float: ...
    @overload
    def __getitem__(self, k: slice) -> FloatArray: ...
    def __getitem__(self, k: int | slice) -> float | FloatArray:
        if isinstance(k, slice):
            a, b, _ = k.indices(self.n)
            if self._other is None:
                return np.full(max(b - a, 0), 0.0 + self.level)
            out = np.clip(self._other[a:b], 0, None)
            out *= self._c
            out += self.level
            return out
        if self._other is None:
            return 0.0 + self.level
        return max(float(self._other[k]), 0.0) * self._c + self.level

    def take(self, k: IntArray) -> FloatArray:
        """The thresholds at an array of indices: ``level[k]`` of each, the same floats."""
        if self._other is None:
            return np.full(k.shape, 0.0 + self.level)
        out = np.clip(np.asarray(self._other[k], dtype=np.float64), 0, None)
        out *= self._c
        out += self.level
        return out


#: A threshold along time: an array, or one computed where it is asked for.
Threshold = FloatArray | _Levels
#: Samples thresholded at a time (a few hundred kB of temporaries instead of whole channels).
_CHUNK = 1 << 16


def _hysteresis(values: FloatArray, on: Threshold, off: Threshold) -> np.ndarray:
    """Boolean state that turns on above ``on`` and off below ``off`` (vectorised)."""
    n = len(values)
    trig = np.zeros(n, dtype=np.int8)
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        part = trig[a:b]
        part[values[a:b] > on[a:b]] = 1
        part[values[a:b] < off[a:b]] = -1
    # int32 positions (a 30-minute recording at 1 kHz has 1.8 million): half the memory
    pos = np.int32 if n < 2**31 else np.int64
    idx = np.arange(n, dtype=pos)
    idx[trig == 0] = 0  # in place: one array of positions, not three
    np.maximum.accumulate(idx, out=idx)
    state: np.ndarray = trig[idx] > 0
    state[(idx == 0) & (trig[0] == 0)] = False
    return state


def _runs(state: np.ndarray) -> list[tuple[int, int]]:
    """Half-open [start, end) index runs where ``state`` is True."""
    zero = np.zeros(1, dtype=np.int8)  # (a plain 0 would make the difference int64)
    d = np.diff(state.astype(np.int8), prepend=zero, append=zero)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _debounce(runs: list[tuple[int, int]], min_on: int, min_off: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < min_off:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return [(a, b) for a, b in merged if b - a >= min_on]


def _debounce_keep_end(
    runs: list[tuple[int, int]], min_on: int, min_off: int, n: int, f: FloatArray,
    on: Threshold,
) -> list[tuple[int, int]]:
    """:func:`_debounce`, except that a stance cut off by the end of the file is kept when
    its load is still rising to the last sample: it is a heel strike the file ended after
    (90 ms before the end on the real treadmill trial), not a spike."""
    kept = _debounce(runs, min_on, min_off)
    if runs and runs[-1][1] == n and (not kept or kept[-1][1] != n):
        a, b = runs[-1]
        if b - a >= 3 and not (kept and a - kept[-1][1] < min_off) and (
            f[b - 1] > 2.0 * on[b - 1] and f[b - 1] > f[a]
        ):
            kept.append((a, b))
    return kept


def _crossing_time(t: FloatArray, x: FloatArray, level: Threshold, i: int, rising: bool) -> float:
    """Time the signal crosses ``level`` near index ``i``, walking outwards from the stance."""
    n = len(x)
    j = i
    if rising:
        while j > 0 and x[j - 1] > level[j - 1]:
            j -= 1
        if j == 0:
            return float(t[0])
        a, b = j - 1, j
    else:
        while j < n - 1 and x[j] > level[j]:
            j += 1
        if j >= n - 1 or j == 0:
            return float(t[min(j, n - 1)])
        a, b = j - 1, j
    da = x[a] - level[a]
    db = x[b] - level[b]
    frac = 0.0 if db == da else min(1.0, max(0.0, float(-da / (db - da))))
    return float(t[a] + frac * (t[b] - t[a]))


def _belt_travel(v: FloatArray, t: FloatArray) -> FloatArray:
    """How far the belt moved (m) from the first sample, trapezoidal, in float64. Only
    differences within one stance are used, so it is integrated per stance: no
    whole-session position array (a 30-minute session: 14 MB and three temporaries)."""
    v64 = np.asarray(v, dtype=np.float64)
    out = np.empty(len(v64))
    if len(v64):
        out[0] = 0.0
        np.cumsum(0.5 * (v64[1:] + v64[:-1]) * np.diff(t), out=out[1:])
    return out


def _median_step(t: FloatArray) -> float:
    """``np.median(np.diff(t))`` for an increasing time axis, bit for bit, without
    np.median's generic machinery (called once per stance: thousands of times a session)."""
    d = np.diff(t)
    k = d.size // 2
    if d.size % 2:
        return float(np.partition(d, k)[k])
    part = np.partition(d, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2.0)


def _level_crossing_back(t: FloatArray, x: FloatArray, level: Threshold, b: int) -> float:
    """Last time before index ``b`` the signal came down through ``level``."""
    j = b - 1
    while j > 0 and x[j] < level[j]:
        j -= 1
    if j <= 0 or j + 1 >= len(x):
        return float(t[max(j, 0)])
    da, db = x[j] - level[j], x[j + 1] - level[j + 1]
    frac = 0.0 if db == da else min(1.0, max(0.0, float(-da / (db - da))))
    return float(t[j] + frac * (t[j + 1] - t[j]))


def _total_load_percentile(forces: list[FloatArray], q: float) -> float:
    """``np.percentile(np.sum(forces, axis=0), q)`` bit for bit (0 with no samples), with
    one whole-channel array instead of four: the sum is built in place (a sum over the first
    axis adds the rows in order, as here) and partitioned in place."""
    if not forces or not forces[0].size:
        return 0.0
    total = np.array(forces[0], dtype=np.float64)
    for f in forces[1:]:
        total += f
    return float(np.percentile(total, q, overwrite_input=True))


@dataclass(frozen=True, slots=True)
class _StancePlan:
    """Per stance of a side: its heel strike and toe-off times (NaN: timed stance by stance),
    and whether a crossing or a partial crossing is possible (False: ruled out)."""

    strikes: list[float]
    toe_offs: list[float]
    crossing: list[bool]
    partial: list[bool]


class ForcePlateEventDetector:
    """Events from per-belt vertical force; tpcp style (parameters in, ``events_`` out)."""

    def __init__(self, *, params: ForcePlateParams | None = None) -> None:
        self.params = params or ForcePlateParams()

    def detect(
        self,
        forces: dict[Side, FloatArray],
        time: FloatArray,
        *,
        sampling_rate_hz: float,
        load_reference_n: float | None = None,
        cop_x: dict[Side, FloatArray] | None = None,
        belt_speed_m_s: FloatArray | float | None = None,
    ) -> Self:
        """Detect events on each side in ``forces`` (N, positive loaded, same time axis).

        With the forward centre of pressure and the belt speed, a foot that steps onto the
        other belt is recognised: the invaded belt's toe-off is dropped (it cannot be timed)
        and the crossing foot's heel strike is put where it landed.
        """
        p = self.params
        if sampling_rate_hz < 50:
            raise UserError(
                f"force sampling rate {sampling_rate_hz:g} Hz is too low for event detection "
                "(need at least 50 Hz)"
            )
        filt: dict[Side, FloatArray] = {}
        self.baseline_n_: dict[str, float] = {}
        for side, f in forces.items():
            if not np.all(np.isfinite(f)):
                f = np.nan_to_num(f, nan=0.0, posinf=0.0, neginf=0.0)
            ff = _lowpass(f, p.lowpass_hz, sampling_rate_hz)
            if ff is f:  # not filtered: float64, never the caller's array
                ff = np.array(f, dtype=np.float64)
            base = 0.0
            if p.remove_baseline:
                lo, hi = (float(v) for v in np.percentile(ff, [5, 95]))  # one sort, not two
                # Only a plate that is clearly unloaded at times has a baseline to remove.
                if hi > 0 and abs(lo) < 0.2 * hi:
                    base = lo
            self.baseline_n_[side] = base
            ff -= base  # our own array: no second copy of a long channel
            filt[side] = ff
        if load_reference_n is None or load_reference_n <= 0:
            load_reference_n = _total_load_percentile(list(filt.values()), 95)
        self.load_reference_n_ = load_reference_n
        on_level = max(p.on_min_n, p.on_fraction * load_reference_n)
        off_level = max(p.off_min_n, p.off_fraction * load_reference_n)
        self.thresholds_n_ = {"on": on_level, "off": off_level}
        min_on = max(1, round(p.min_stance_s * sampling_rate_hz))
        min_off = max(1, round(p.min_swing_s * sampling_rate_hz))
        events: list[GaitEvent] = []
        self.stance_runs_: dict[str, list[tuple[int, int]]] = {}
        self.crossings_: list[dict[str, object]] = []
        belt = None
        if cop_x and belt_speed_m_s is not None:
            belt = np.broadcast_to(np.asarray(belt_speed_m_s), time.shape)
        moved_hs: dict[Side, list[float]] = {}
        self.partial_crossings_: list[dict[str, object]] = []
        for side, f in filt.items():
            other = [g for s, g in filt.items() if s != side]
            # The thresholds along time, computed where they are needed.
            cross = other[0] if other else None
            off = _Levels(len(f), off_level, cross, p.crosstalk_coefficient)
            on = _Levels(len(f), on_level, cross, p.crosstalk_coefficient)
            runs = _debounce_keep_end(_runs(_hysteresis(f, on, off)), min_on, min_off, len(f), f,
                                      on)
            self.stance_runs_[side] = runs
            cop = (cop_x or {}).get(side)
            plan = self._plan(time, f, off, runs, cop, belt, load_reference_n)
            for r, (a, b) in enumerate(runs):
                if a > 0:
                    t_hs = plan.strikes[r]
                    if t_hs != t_hs:  # NaN: not timed in the plan
                        t_hs = self._event_time(time, f, off, on, a, True)
                    events.append(GaitEvent(float(t_hs), side, "heel_strike"))
                seg = a  # start of the current own-foot stance inside this run
                while True:
                    t_cross = None
                    if cop is not None and belt is not None and (seg != a or plan.crossing[r]):
                        t_cross = self._crossing(
                            f[seg:b], cop[seg:b], _belt_travel(belt[seg:b], time[seg:b]),
                            time[seg:b], load_reference_n
                        )
                    if t_cross is None:
                        if b < len(f):
                            t_to = plan.toe_offs[r]
                            if t_to != t_to:
                                t_to = self._event_time(time, f, off, on, b, False)
                            if cop is not None and (seg != a or plan.partial[r]):
                                t_to = self._partial(f, cop, time, seg, b, off, t_to, side)
                            events.append(GaitEvent(float(t_to), side, "toe_off"))
                        break
                    other_side: Side = "right" if side == "left" else "left"
                    self.crossings_.append(
                        {"time_s": round(t_cross, 4), "belt": side, "foot": other_side}
                    )
                    moved_hs.setdefault(other_side, []).append(t_cross)
                    # This belt's own foot may land again before the visitor leaves: a dip
                    # in force followed by a full load starts its next stance.
                    c = seg + int(np.searchsorted(time[seg:b], t_cross))
                    k = self._relanding(f[c:b], load_reference_n, at_end=b >= len(f))
                    if k is None or c + k <= seg:
                        break  # the run ends with the visitor's toe-off: nothing to emit
                    seg = c + k  # strictly later than before, so this loop ends
                    events.append(GaitEvent(float(time[seg]), side, "heel_strike"))
        for side, times in moved_hs.items():
            for tc in times:
                cands = [
                    e
                    for e in events
                    if e.side == side and e.kind == "heel_strike" and abs(e.time_s - tc) < 0.4
                ]
                for e in cands:
                    events.remove(e)
                # A foot landing across both belts touches its own belt too: its strike is
                # the earlier of the two contacts (a strike timed from the crossing alone
                # came 37 ms late on the real treadmill trial).
                t_hs = min([tc] + [e.time_s for e in cands if e.time_s <= tc + 0.05])
                events.append(GaitEvent(t_hs, side, "heel_strike"))
        events.sort(key=lambda e: e.time_s)
        self.events_ = events
        self.filtered_forces_ = filt
        return self

    def _plan(
        self, t: FloatArray, f: FloatArray, off: _Levels, runs: list[tuple[int, int]],
        cop: FloatArray | None, belt: FloatArray | None, load: float,
    ) -> _StancePlan:
        """Every stance's events and whether it may hold a crossing or a partial crossing,
        for all stances at once (``stance_batch``); the loop over stances runs the exact
        per-stance code only where the plan has no time (NaN) or cannot rule a case out."""
        p = self.params
        k = len(runs)
        ab = np.array(runs, dtype=np.intp).reshape(k, 2)
        a, b = ab[:, 0], ab[:, 1]
        nan = np.full(k, np.nan)
        strikes, toe_offs = nan, nan.copy()
        if not p.extrapolate_to_zero:  # (with it: the per-stance code)
            strikes = crossing_times(t, f, off.take, a, True)
            end = b < len(f)
            toe_offs[end] = crossing_times(t, f, off.take, b[end], False)
        crossing = np.ones(k, dtype=bool)
        partial = np.ones(k, dtype=bool)
        if cop is not None and k:
            if belt is not None:
                crossing = maybe_crossing(f, cop, belt, t, a, b,
                                          p.crossing_min_load_fraction * load,
                                          p.crossing_cop_jump_m, p.crossing_window_s)
            partial = maybe_partial(f, cop, a, b, p.partial_unload_fraction,
                                    p.partial_cop_jump_m)
        return _StancePlan(strikes.tolist(), toe_offs.tolist(), crossing.tolist(),
                           partial.tolist())

    def _event_time(
        self, t: FloatArray, f: FloatArray, off: Threshold, on: Threshold, i: int, rising: bool
    ) -> float:
        """Event time: the lower threshold's crossing, extrapolated to zero load."""
        t_off = _crossing_time(t, f, off, i, rising)
        if not self.params.extrapolate_to_zero:
            return t_off
        t_on = _crossing_time(t, f, on, i, True) if rising else _level_crossing_back(t, f, on, i)
        k = min(int(t.searchsorted(t_off)), len(t) - 1)
        ratio = off[k] / max(on[k] - off[k], 1e-9)
        shift = min(abs(t_on - t_off) * ratio, self.params.max_extrapolation_s)
        return float(t_off - shift if rising else t_off + shift)

    def _crossing(
        self, f: FloatArray, cop: FloatArray, belt: FloatArray, t: FloatArray, load: float
    ) -> float | None:
        """Time a second foot landed on this belt during this stance, or None."""
        ok = (f > self.params.crossing_min_load_fraction * load) & np.isfinite(cop)
        if ok.sum() < 5:
            return None
        idx = np.flatnonzero(ok)
        on_belt = cop[idx] + belt[idx]  # where the pressure is, in belt coordinates
        # Only a fast forward jump is a landing: a foot slipping on the belt drifts slowly.
        dt = _median_step(t) if len(t) > 1 else 1.0
        w = max(2, round(self.params.crossing_window_s / dt))
        recent_min = ndimage.minimum_filter1d(on_belt, size=w, origin=(w - 1) // 2)
        hit = np.flatnonzero(on_belt - recent_min > self.params.crossing_cop_jump_m)
        if len(hit) == 0:
            return None
        # The second foot landed where the lab-frame COP last turned forward.
        start = max(0, int(hit[0]) - w)
        j = start + int(np.argmin(cop[idx[start : hit[0] + 1]]))
        return float(t[idx[j]])

    def _relanding(self, f: FloatArray, load: float, *, at_end: bool = False) -> int | None:
        """Index of a force dip (< 25 % load) followed by a full load (> 60 %), or None.

        At the end of the file (``at_end``) the load may be cut off while it rises: a dip
        followed by a rise of a quarter of the load up to the last sample also counts.
        """
        if len(f) < 3:
            return None
        low = f < 0.25 * load
        if not low.any():
            return None
        first_low = int(np.argmax(low))
        later = f[first_low:]
        high = np.flatnonzero(later > 0.6 * load)
        if len(high) == 0:
            k = first_low + int(np.argmin(later))
            if not (at_end and float(f[-1] - f[k]) > 0.25 * load
                    and np.all(np.diff(f[k:]) > -1.0)):
                return None
        else:
            k = first_low + int(np.argmin(later[: high[0]]))
        # The landing is where the load leaves the dip's floor (the visitor's share), by the
        # lower threshold's margin: the floor itself comes before the heel touches.
        rise = np.flatnonzero(f[k:] > f[k] + self.thresholds_n_["off"])
        return k + int(rise[0]) if len(rise) else k

    def _partial(
        self, f: FloatArray, cop: FloatArray, t: FloatArray, a: int, b: int, off: Threshold,
        t_to: float, side: Side,
    ) -> float:
        """The toe-off of a stance whose end is shared with a foot resting on this belt.

        The belt's load is then the own foot's at its centre of pressure ``xo`` plus the
        visitor's at ``xv``; the measured centre of pressure splits it:
        ``F_own = F (xv - cop) / (xv - xo)``. ``xo`` is where the pressure was when the load
        fell under ``partial_unload_fraction`` of the stance peak, ``xv`` the most forward
        point it reaches afterwards. The toe-off is where ``F_own`` falls below the lower
        threshold. Recorded in ``partial_crossings_`` so the stride is flagged.
        """
        p = self.params
        if b - a < 5:
            return t_to
        seg_f = f[a:b]
        below = np.flatnonzero(seg_f < p.partial_unload_fraction * float(seg_f.max()))
        below = below[below > int(np.argmax(seg_f))]
        if len(below) == 0:
            return t_to
        j = a + int(below[0])
        tail = cop[j:b]
        if not np.isfinite(cop[j]) or not np.isfinite(tail).any():
            return t_to
        xo, xv = float(cop[j]), float(np.nanmax(tail))
        if xv - xo < p.partial_cop_jump_m:
            return t_to
        own = f[j:b] * np.clip((xv - np.nan_to_num(tail, nan=xv)) / (xv - xo), 0.0, 1.0)
        k = np.flatnonzero(own < off[j:b])
        t_new = float(t[j + int(k[0])]) if len(k) else t_to
        self.partial_crossings_.append(
            {"time_s": round(t_new, 4), "belt": side, "toe_off_by_threshold_s": round(t_to, 4),
             "cop_jump_m": round(xv - xo, 3)}
        )
        return min(t_new, t_to)

    def parameters(self) -> dict[str, object]:
        return {"method": "force_threshold_hysteresis", **asdict(self.params)}


@dataclass(frozen=True, slots=True)
class KinematicParams:
    lowpass_hz: float = 6.0
    min_interval_s: float = 0.35
    min_prominence_fraction: float = 0.3
    #: with a foot height signal: contact when the foot is within this fraction of its
    #: height range above the ground (its 5th percentile)
    height_contact_fraction: float = 0.1


class KinematicEventDetector:
    """Events from each foot's forward position relative to the pelvis (Zeni's method)."""

    def __init__(self, *, params: KinematicParams | None = None) -> None:
        self.params = params or KinematicParams()

    def detect(
        self,
        foot_x: dict[Side, FloatArray],
        time: FloatArray,
        *,
        sampling_rate_hz: float,
        toe_x: dict[Side, FloatArray] | None = None,
        foot_z: dict[Side, FloatArray] | None = None,
    ) -> Self:
        """Heel strike at the heel's most forward point, toe-off at the toe's most backward
        point (the heel's, when no toe signal is given); positions relative to the pelvis.

        With ``foot_z`` (foot height), heel strike is instead when the foot comes down to the
        ground: on a guided gait the foot reaches its most forward point well before contact.
        """
        p = self.params
        events: list[GaitEvent] = []
        dist = max(1, round(p.min_interval_s * sampling_rate_hz))
        for side, x in foot_x.items():
            xf = self._prepare(x, sampling_rate_hz)
            tx = (toe_x or {}).get(side)
            tf = self._prepare(tx, sampling_rate_hz) if tx is not None else xf
            if xf is None or tf is None:
                continue
            hs, _ = signal.find_peaks(xf, distance=dist, prominence=self._prominence(xf))
            z = (foot_z or {}).get(side)
            if z is not None and (zf := self._prepare(z, sampling_rate_hz)) is not None:
                hs = self._landings(zf, dist)
            to, _ = signal.find_peaks(-tf, distance=dist, prominence=self._prominence(tf))
            events += [GaitEvent(float(time[i]), side, "heel_strike", "kinematics") for i in hs]
            events += [GaitEvent(float(time[i]), side, "toe_off", "kinematics") for i in to]
        events.sort(key=lambda e: e.time_s)
        self.events_ = events
        return self

    def _prepare(self, x: FloatArray, fs: float) -> FloatArray | None:
        finite = np.isfinite(x)
        if finite.sum() < 10:
            return None
        xi = np.interp(np.arange(len(x)), np.flatnonzero(finite), x[finite])
        return _lowpass(xi, self.params.lowpass_hz, fs, order=4)

    def _landings(self, z: FloatArray, min_samples: int) -> np.ndarray:
        ground = float(np.percentile(z, 5))
        span = float(np.percentile(z, 95)) - ground
        frac = self.params.height_contact_fraction
        lo = -(ground + frac * span) * np.ones(len(z))
        hi = -(ground + 1.5 * frac * span) * np.ones(len(z))
        runs = _debounce(_runs(_hysteresis(-z, lo, hi)), min_samples, min_samples)
        return np.array([a for a, _ in runs if a > 0], dtype=int)

    def _prominence(self, x: FloatArray) -> float:
        span = float(np.percentile(x, 95) - np.percentile(x, 5))
        return max(self.params.min_prominence_fraction * span, 1e-6)

    def parameters(self) -> dict[str, object]:
        return {"method": "kinematic_foot_position_zeni", **asdict(self.params)}


def events_from_contact(
    contact: FloatArray, time: FloatArray, side: Side, *, min_duration_s: float = 0.03,
    step_s: float | None = None,
) -> list[GaitEvent]:
    """Ground-truth events from a 0/1 contact channel (rising edge = heel strike).

    Contact that flickers (a foot bouncing or sliding for a few milliseconds) is merged:
    contact and no-contact periods shorter than ``min_duration_s`` do not make events.
    """
    c = np.asarray(contact) > 0.5
    if len(time) < 2:
        return []
    # ``step_s``: the caller's ``np.median(np.diff(time))`` (both sides share a time axis)
    fs = 1.0 / (float(np.median(np.diff(time))) if step_s is None else step_s)
    n = max(1, round(min_duration_s * fs))
    runs = _debounce(_runs(c), n, n)
    out: list[GaitEvent] = []
    for a, b in runs:
        if a > 0:
            out.append(GaitEvent(float(time[a]), side, "heel_strike", "simulation_truth"))
        if b < len(c):
            out.append(GaitEvent(float(time[b]), side, "toe_off", "simulation_truth"))
    out.sort(key=lambda e: e.time_s)
    return out
