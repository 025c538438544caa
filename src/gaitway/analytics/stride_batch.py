"""The per-stride metrics of many strides at once: the same numbers as
:func:`~gaitway.analytics.stride_metrics.stride_record` called stride by stride (which stays
the reference, and what the live analysis uses for one stride at a time).

A 30-minute session has ~2,500 strides; stride by stride, ~40 small numpy calls and the
Python around them cost ~0.7 s of CPU. Here every step that gives the same floats as a
whole-array operation is one: elementwise arithmetic, index searches, maxima and minima
(``np.maximum.reduceat``), the normalised cycles (one ``np.interp`` over all strides). Sums and
dot products stay one numpy call per stride on the stride's slice: numpy sums pairwise, BLAS
in its own blocks, so a sum over a longer array or reduceat's (first element, then the rest)
rounds differently; the same reduction on the same slice keeps every value bit for bit.

Strides are taken in chunks of consecutive ones, so the temporaries (angles in degrees,
tracking errors, signs) cover a chunk's samples, never whole 30-minute channels: this runs
beside the EMG, at the analysis's peak memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from gaitway.analytics.gait_data import FloatArray, GaitData, Side, SignalBlock
from gaitway.analytics.rounding import rounded
from gaitway.analytics.segments import IntArray, segment_dots, segment_reduce, segment_sums
from gaitway.analytics.stride_metrics import (
    COP_BIN_S,
    DRIVEN,
    JOINTS,
    UNIT_CYCLE,
    foot_position_source,
)
from gaitway.analytics.strides import Stride

Record = dict[str, float | None]
#: strides per chunk: a chunk's samples (~1.3 s a stride at 1 kHz: ~170k) keep the
#: temporaries near a megabyte each
CHUNK_STRIDES = 128
_NAN = float("nan")


class _Columns:
    """Metric columns in the order ``stride_record`` sets its keys: each a key, its values
    already rounded (None where not computable) and where the key is present."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.cols: list[tuple[str, list[float | None], npt.NDArray[np.bool_]]] = []

    def add(self, key: str, values: FloatArray, present: npt.NDArray[np.bool_] | bool,
            nd: int = 4) -> None:
        """``values`` in float64 (NaN: not computable, as ``_r`` makes it None)."""
        mask = np.broadcast_to(np.asarray(present, dtype=bool), (self.n,))
        if mask.any():
            self.cols.append((key, rounded(values, nd), mask))

    def records(self) -> list[Record]:
        """The strides' records, built a group of strides with the same keys at a time."""
        recs: list[Record] = [{} for _ in range(self.n)]
        if not self.cols or not self.n:
            return recs
        present = np.array([m for _, _, m in self.cols])
        groups: dict[bytes, list[int]] = {}
        for r, code in enumerate(map(bytes, np.packbits(present, axis=0).T)):
            groups.setdefault(code, []).append(r)
        for rows in groups.values():
            on = present[:, rows[0]].tolist()
            cols = [(key, vals) for (key, vals, _), o in zip(self.cols, on, strict=True) if o]
            keys = [key for key, _ in cols]
            if len(rows) == self.n:
                table = zip(*[vals for _, vals in cols], strict=True)
            else:
                table = zip(*[[vals[r] for r in rows] for _, vals in cols], strict=True)
            for r, row in zip(rows, table, strict=True):
                recs[r] = dict(zip(keys, row, strict=True))
        return recs


def _opt(values: Sequence[float | None]) -> FloatArray:
    return np.array([_NAN if v is None else v for v in values], dtype=np.float64)


def _values_at(block: SignalBlock, name: str, t: FloatArray) -> FloatArray:
    """``_value_at`` at each time: the sample at or after it (the last one past the end),
    NaN where missing or not finite."""
    x = block.get(name)
    if x is None:
        return np.full(len(t), _NAN)
    k = np.minimum(block.time.searchsorted(t), len(x) - 1)
    v = x[k].astype(np.float64)
    v[~np.isfinite(v)] = _NAN
    return v


def _foot_positions(data: GaitData, side: Side, t: FloatArray) -> FloatArray:
    """``foot_position`` at each time (NaN: None), from the same single source."""
    src = foot_position_source(data, side)
    if src is None:
        return np.full(len(t), _NAN)
    block, channel, offset_s = src
    return _values_at(block, channel, t + offset_s)


def _slices(n: int, rows: int = CHUNK_STRIDES) -> list[slice]:
    """Consecutive chunks of ``rows`` strides."""
    return [slice(a, min(n, a + rows)) for a in range(0, n, rows)]


def stride_records(
    data: GaitData, strides: Sequence[Stride], *, body_mass_kg: float | None
) -> tuple[list[Record], dict[str, FloatArray]]:
    """Each stride's record, as ``stride_record`` makes it (same keys in the same order, same
    values), and each joint's normalised curves: one row (101 points, degrees) per stride
    that has the curve, in the strides' order."""
    recs: list[Record] = [{} for _ in strides]
    rows: dict[str, list[tuple[int, FloatArray]]] = {}
    for side in ("left", "right"):
        pos = [n for n, s in enumerate(strides) if s.side == side]
        if not pos:
            continue
        side_recs, side_curves = _side_records(data, side, [strides[n] for n in pos],
                                               body_mass_kg)
        for n, rec in zip(pos, side_recs, strict=True):
            recs[n] = rec
        for joint, (which, curve) in side_curves.items():
            rows.setdefault(joint, []).extend(
                zip([pos[r] for r in which.tolist()], curve, strict=True))
    curves: dict[str, FloatArray] = {}
    for joint, pairs in rows.items():
        pairs.sort(key=lambda p: p[0])
        curves[joint] = np.array([c for _, c in pairs], dtype=np.float64).reshape(-1, len(
            UNIT_CYCLE))
    return recs, curves


def _side_records(
    data: GaitData, side: Side, strides: list[Stride], body_mass_kg: float | None
) -> tuple[list[Record], dict[str, tuple[IntArray, FloatArray]]]:
    n = len(strides)
    a = np.array([s.heel_strike_s for s in strides], dtype=np.float64)
    b = np.array([s.next_heel_strike_s for s in strides], dtype=np.float64)
    to = _opt([s.toe_off_s for s in strides])
    cto = _opt([s.contra_toe_off_s for s in strides])
    chs = _opt([s.contra_heel_strike_s for s in strides])
    prev = _opt([s.prev_contra_heel_strike_s for s in strides])
    has_to = ~np.isnan(to)
    T = b - a
    c = _Columns(n)
    c.add("start_s", a, True)
    c.add("end_s", b, True)
    c.add("stride_time_s", T, True)
    c.add("cadence_steps_per_min", 120.0 / T, True, 2)
    with np.errstate(invalid="ignore"):
        stance = to - a
        c.add("stance_time_s", stance, has_to)
        c.add("swing_time_s", b - to, has_to)
        c.add("stance_pct", 100 * stance / T, has_to, 2)
        c.add("swing_pct", 100 * (b - to) / T, has_to, 2)
        ds_ok = has_to & ~np.isnan(cto) & ~np.isnan(chs) & (cto < to) & (chs < to)
        ds = (cto - a) + (to - chs)
        c.add("double_support_pct", 100 * ds / T, ds_ok, 2)
        c.add("single_support_pct", 100 * (chs - cto) / T, ds_ok, 2)
        has_step = ~np.isnan(prev)
        step_t = a - prev
        c.add("step_time_s", step_t, has_step)
        _belt_columns(c, data, side, a, b, T, step_t, prev, has_step)
    _force_columns(c, data, side, a, b, to, has_to, body_mass_kg)
    curves = _kinematic_columns(c, data, side, a, b, to, has_to)
    return c.records(), curves


def _belt_columns(c: _Columns, data: GaitData, side: Side, a: FloatArray, b: FloatArray,
                  T: FloatArray, step_t: FloatArray, prev: FloatArray,
                  has_step: npt.NDArray[np.bool_]) -> None:
    f = data.forces
    # ``belt_speed``: the belt channel's mean over the stride (NaN too: a value, rounded to
    # None), else the file's belt speed, else none
    fixed = data.belt_speed_m_s
    v = np.full(len(a), _NAN if fixed is None else fixed)
    has_v = np.full(len(a), fixed is not None)
    if f is not None and f.has(f"belt_speed_{side}"):
        i, j = f.time.searchsorted(a), f.time.searchsorted(b)
        some = j > i
        v[some] = segment_sums(f.channels[f"belt_speed_{side}"], i[some], j[some]) / (
            j[some] - i[some])
        has_v |= some
    if not has_v.any():
        return
    other: Side = "right" if side == "left" else "left"
    c.add("belt_speed_m_s", v, has_v)
    p_here = _foot_positions(data, side, a)
    p_next = _foot_positions(data, side, b)
    c.add("stride_length_m", v * T + p_next - p_here,
          has_v & ~np.isnan(p_here) & ~np.isnan(p_next))
    p_other = _foot_positions(data, other, np.where(has_step, prev, a))
    c.add("step_length_m", v * step_t + p_here - p_other,
          has_v & has_step & ~np.isnan(p_here) & ~np.isnan(p_other))


def _force_columns(c: _Columns, data: GaitData, side: Side, a: FloatArray, b: FloatArray,
                   to: FloatArray, has_to: npt.NDArray[np.bool_],
                   body_mass_kg: float | None) -> None:
    f = data.forces
    if f is None or not f.has(f"grf_z_{side}"):
        return
    other: Side = "right" if side == "left" else "left"
    end = np.where(has_to, to, b)
    i_all, j_all = f.time.searchsorted(a), f.time.searchsorted(end)
    ok = j_all - i_all >= 2
    if not ok.any():
        return
    i, j = i_all[ok], j_all[ok]
    fz = f.channels[f"grf_z_{side}"]

    def full(x: FloatArray) -> FloatArray:
        out = np.full(len(a), _NAN)
        out[ok] = x
        return out

    peak = full(segment_reduce(np.maximum, fz, i, j).astype(np.float64))
    mean = full(segment_sums(fz, i, j) / (j - i))
    c.add("peak_force_n", peak, ok, 1)
    c.add("mean_stance_force_n", mean, ok, 1)
    if body_mass_kg:
        bw = body_mass_kg * 9.81
        c.add("peak_force_pct_bw", 100 * peak / bw, ok, 2)
        c.add("mean_stance_force_pct_bw", 100 * mean / bw, ok, 2)
    if f.has(f"grf_z_{other}"):
        k, m = f.time.searchsorted(a[ok]), f.time.searchsorted(b[ok])
        own = _positive_sums(fz, k, m)
        oth = _positive_sums(f.channels[f"grf_z_{other}"], k, m)
        tot = own + oth
        with np.errstate(invalid="ignore", divide="ignore"):
            share = full(100 * own / tot)
        c.add("load_share_pct", share, full(tot) > 0, 2)
    if f.has(f"cop_x_{side}", f"cop_y_{side}"):
        _cop_columns(c, f, side, i_all, j_all, ok)


def _positive_sums(x: FloatArray, i: IntArray, j: IntArray) -> FloatArray:
    """``float(np.maximum(x[a:b], 0).sum())`` of each segment: the clipped values are
    made a chunk of strides at a time, each segment then summed on its own."""
    def part(sl: slice) -> FloatArray:
        if sl.start == sl.stop:
            return np.empty(0)
        lo, hi = int(i[sl].min()), int(j[sl].max())
        pos = np.maximum(x[lo:hi], 0)
        return segment_sums(pos, i[sl] - lo, j[sl] - lo)
    return np.concatenate([np.empty(0), *(part(sl) for sl in _slices(len(i)))])


def _cop_columns(c: _Columns, f: SignalBlock, side: Side, i_all: IntArray, j_all: IntArray,
                 ok: npt.NDArray[np.bool_]) -> None:
    """Path length of the centre of pressure (on ``COP_BIN_S`` means) and its medio-lateral
    range, over the middle 80 % of stance."""
    nn = j_all - i_all
    c0, c1 = i_all + nn // 10, j_all - nn // 10
    has = ok & (c1 - c0 > 2)
    k = max(1, round(COP_BIN_S * f.sampling_rate_hz))
    m = (c1 - c0) // k
    has_path = has & (m > 2)
    cx, cy = f.channels[f"cop_x_{side}"], f.channels[f"cop_y_{side}"]
    path = np.full(len(ok), _NAN)
    if has_path.any():
        s0, mm = c0[has_path], m[has_path]
        bx = _bin_sums(cx, s0, mm, k)
        by = _bin_sums(cy, s0, mm, k)
        step = np.hypot(np.diff(bx), np.diff(by))
        first = np.concatenate(([0], np.cumsum(mm)[:-1]))
        path[has_path] = segment_sums(step, first, first + mm - 1) / k
    c.add("cop_path_length_m", path, has_path)
    rng = np.full(len(ok), _NAN)
    if has.any():
        hi = segment_reduce(np.maximum, cy, c0[has], c1[has])
        lo = segment_reduce(np.minimum, cy, c0[has], c1[has])
        rng[has] = (hi - lo).astype(np.float64)
    c.add("cop_ml_range_m", rng, has)


def _bin_sums(x: FloatArray, start: IntArray, m: IntArray, k: int) -> FloatArray:
    """Each segment's ``x[s : s + m * k].reshape(m, k).sum(axis=1)`` (``x[s : s + m]`` when
    ``k == 1``), all segments' bins one after another."""
    seg = np.concatenate([x[s : s + q * k] for s, q in zip(start.tolist(), m.tolist(),
                                                             strict=True)])
    if k == 1:
        return seg
    out: FloatArray = seg.reshape(-1, k).sum(axis=1)
    return out


def _kinematic_columns(c: _Columns, data: GaitData, side: Side, a: FloatArray, b: FloatArray,
                       to: FloatArray, has_to: npt.NDArray[np.bool_]
                       ) -> dict[str, tuple[IntArray, FloatArray]]:
    k = data.kinematics
    curves: dict[str, tuple[IntArray, FloatArray]] = {}
    if k is None:
        return curves
    time = k.time
    i_all, j_all = time.searchsorted(a), time.searchsorted(b)
    ok = j_all - i_all >= 5
    if not ok.any():
        return curves
    rows = np.flatnonzero(ok)
    i, j = i_all[ok], j_all[ok]
    to_j = np.where(has_to[ok], time.searchsorted(np.where(has_to, to, b))[ok], j)
    n = len(a)

    def full(x: FloatArray) -> FloatArray:
        out = np.full(n, _NAN)
        out[rows] = x
        return out

    def where(x: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        out = np.zeros(n, dtype=bool)
        out[rows] = x
        return out

    a_ok, b_ok = a[ok], b[ok]
    for joint in JOINTS:
        ang = k.get(f"{joint}_angle_{side}")
        if ang is None:
            continue
        ref = k.get(f"ref_{joint}_angle_{side}")
        cuff = DRIVEN.get(joint)
        tau = k.get(f"interaction_torque_{cuff}_{side}") if cuff else None
        vel = k.get(f"{joint}_velocity_{side}")
        vol = k.get(f"truth_voluntary_torque_{joint}_{side}")
        parts = [_joint_chunk(time, ang, ref, tau, vel, vol, a_ok[sl], b_ok[sl], i[sl], j[sl],
                              to_j[sl]) for sl in _slices(len(i))]

        def joined(name: str, parts: list[dict[str, Any]] = parts) -> FloatArray:
            return full(np.concatenate([p[name] for p in parts]))

        fin = np.concatenate([p["finite"] for p in parts])
        present = where(fin)
        c.add(f"rom_{joint}_deg", joined("rom"), present, 2)
        curves[joint] = (rows[fin], np.concatenate([p["curve"] for p in parts]))
        if ref is not None:
            c.add(f"tracking_rmse_{joint}_deg", joined("rmse"), present, 3)
        if tau is not None:
            for phase in ("stance", "swing"):
                c.add(f"participation_{joint}_{phase}_nm", joined(phase), present, 3)
                if vol is not None:
                    c.add(f"truth_participation_{joint}_{phase}_nm", joined("truth_" + phase),
                          present, 3)
    for name, key in (("assist_level", "assist_level_pct"), ("guidance", "guidance_pct")):
        x = k.get(name)
        if x is not None:
            c.add(key, full(100 * segment_sums(x, i, j) / (j - i)), ok, 2)
    lat = k.get("pelvis_lateral")
    if lat is not None:
        sway = (segment_reduce(np.maximum, lat, i, j) - segment_reduce(np.minimum, lat, i, j)
                ).astype(np.float64)
        # exactly no sway is a channel that does not move: left out (``stride_record``)
        with np.errstate(invalid="ignore"):
            c.add("pelvis_sway_ml_m", full(sway), where(np.isfinite(sway) & (sway > 0.0)))
    return curves


def _joint_chunk(
    time: FloatArray, ang: FloatArray, ref: FloatArray | None, tau: FloatArray | None,
    vel: FloatArray | None, vol: FloatArray | None, a: FloatArray, b: FloatArray,
    i: IntArray, j: IntArray, to_j: IntArray,
) -> dict[str, Any]:
    """One joint's metrics over a chunk of consecutive strides (sample ranges ``[i, j)``,
    toe-off at ``to_j``), on the chunk's samples only."""
    out: dict[str, Any] = {}
    lo, hi = int(i.min()), int(j.max())
    li, lj, lt = i - lo, j - lo, to_j - lo
    seg = ang[lo:hi]
    deg = np.degrees(seg)
    mx = segment_reduce(np.maximum, deg, li, lj)
    mn = segment_reduce(np.minimum, deg, li, lj)
    # ``math.isfinite(deg.sum())``: every value finite, and a sum that cannot overflow (it
    # is at most the count times the largest magnitude); only beyond that the sum itself
    fin = np.isfinite(mx) & np.isfinite(mn)
    big = fin & ((lj - li) * np.maximum(np.abs(mx), np.abs(mn)).astype(np.float64)
                 >= 1e37)
    if big.any():
        fin[big] = np.isfinite(segment_sums(deg, li[big], lj[big]))
    out["finite"] = fin
    nan = np.full(len(i), _NAN)
    rom = nan.copy()
    rom[fin] = (mx[fin] - mn[fin]).astype(np.float64)
    out["rom"] = rom
    fi, fj = li[fin], lj[fin]
    out["curve"] = _cycle_curves(time[lo:hi], deg, a[fin], b[fin], fi, fj)
    if ref is not None:
        err = np.degrees(seg - ref[lo:hi])
        rmse = nan.copy()
        rmse[fin] = np.sqrt(segment_dots(err, err, fi, fj) / (fj - fi))
        out["rmse"] = rmse
    if tau is not None:
        neg = -tau[lo:hi]
        vol_c = vol[lo:hi] if vol is not None else None
        to_f, shift = lt[fin], 0 * fi
        if vel is not None:
            sgn = np.sign(vel[lo:hi])
        else:
            # each stride's own differences, its last one 0 (np.diff with append=last): on
            # a copy of each stride's samples, as strides given here may share samples
            spans = list(zip(fi.tolist(), fj.tolist(), strict=True))
            sgn = np.concatenate([np.empty(0, seg.dtype)] + [
                np.sign(np.diff(seg[x:y], append=seg[y - 1 : y])) for x, y in spans])
            neg = np.concatenate([neg[:0]] + [neg[x:y] for x, y in spans])
            if vol_c is not None:
                vol_c = np.concatenate([vol_c[:0]] + [vol_c[x:y] for x, y in spans])
            shift = np.concatenate(([0], np.cumsum(fj - fi)[:-1])).astype(np.intp) - fi
        for phase, (p0, p1) in (("stance", (fi + shift, to_f + shift)),
                                ("swing", (to_f + shift, fj + shift))):
            nz = p1 > p0  # ``_phase_mean`` of an empty phase is None
            val, tv = nan.copy(), nan.copy()
            at = np.flatnonzero(fin)[nz]
            val[at] = segment_dots(neg, sgn, p0[nz], p1[nz]) / (p1[nz] - p0[nz])
            out[phase] = val
            if vol_c is not None:
                tv[at] = segment_dots(vol_c, sgn, p0[nz], p1[nz]) / (p1[nz] - p0[nz])
                out["truth_" + phase] = tv
    return out


def _cycle_curves(t: FloatArray, deg: FloatArray, a: FloatArray, b: FloatArray, i: IntArray,
                  j: IntArray) -> FloatArray:
    """``np.interp(grid, t[i:j], deg[i:j])`` of each stride, in one ``np.interp``: the grid
    held to the stride's first and last samples (where the stride's own interpolation
    holds its end values; at a sample numpy returns the sample's value exactly), so no point
    reaches into a neighbouring stride's samples."""
    if len(i) == 0:
        return np.empty((0, len(UNIT_CYCLE)))
    grid = a[:, None] + (b - a)[:, None] * UNIT_CYCLE
    np.clip(grid, t[i][:, None], t[j - 1][:, None], out=grid)
    out: FloatArray = np.interp(grid.ravel(), t, deg).reshape(grid.shape)
    return out
