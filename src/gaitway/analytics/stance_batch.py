"""The force-plate detector's per-stance steps for all stances of a side at once, giving what
the detector's stance-by-stance code gives (the property tests compare them).

A 30-minute session has ~2,500 stances a side; stance by stance, walking samples in Python to
time each event and testing every stance for a crossing or a partial crossing cost ~0.4 s of
CPU. Here the events are timed with a few array operations over a window of samples around
each stance's ends, and the crossing tests run first as whole-array bounds that can only rule
a stance *out*: the detector runs its exact test on the stances they leave (a handful).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from gaitway.analytics.gait_data import FloatArray
from gaitway.analytics.segments import IntArray, segment_reduce

BoolArray = npt.NDArray[np.bool_]
#: samples looked at from a stance's end for its threshold crossing (the walk's length is the
#: load ramp between the two thresholds: a few to a few tens of samples); a stance whose
#: crossing lies farther is timed by the detector's own walk
WINDOW = 64
#: stances per chunk of the whole-array bounds: a chunk's ~15 temporaries of its samples
#: (64 stances, ~85k samples at 1 kHz: ~10 MB) stay below the detector's own peak, its
#: filtering of whole channels
CHUNK = 64
#: the bounds' margin (m) over the rounding that differs between a whole-array travel of the
#: belt and the detector's per-stance one (~1e-10 m in a 30-minute session)
MARGIN_M = 1e-6


def crossing_times(t: FloatArray, x: FloatArray, level_at: Callable[[IntArray], FloatArray],
                   idx: IntArray, rising: bool) -> FloatArray:
    """``_crossing_time(t, x, level, i, rising)`` for each ``i`` in ``idx`` (NaN where the
    crossing lies beyond ``WINDOW`` samples: the caller walks those). ``level_at`` gives the
    threshold at an array of indices, as the detector's ``level[k]`` gives it at one."""
    n = len(x)
    k = len(idx)
    out = np.full(k, np.nan)
    if k == 0:
        return out
    d = np.arange(WINDOW) + (1 if rising else 0)
    p = idx[:, None] - d if rising else idx[:, None] + d  # (stances, WINDOW)
    inside = (p >= 0) & (p < n - (0 if rising else 1))
    q = np.clip(p, 0, n - 1)
    # the walk goes on while the signal is above the threshold (a NaN stops it, as there)
    goes_on = inside & (x[q] > level_at(q))
    stop = ~goes_on
    first = np.argmax(stop, axis=1)  # the first sample where the walk stops, if any
    found = stop[np.arange(k), first]
    ps = p[np.arange(k), first]
    if rising:
        j = np.where(ps < 0, 0, ps + 1)  # j: the walk's last index
        edge = j == 0  # reached the start: t[0]
    else:
        j = np.minimum(ps, n - 1)
        edge = (j >= n - 1) | (j == 0)
    out[found & edge] = t[np.minimum(j[found & edge], n - 1)]
    mid = found & ~edge
    b = j[mid]
    a = b - 1
    da = x[a] - level_at(a)
    db = x[b] - level_at(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = -da / (db - da)
    r = np.where(r > 0.0, r, 0.0)  # max(0.0, r): 0 for NaN too
    r = np.where(r < 1.0, r, 1.0)  # min(1.0, r)
    frac = np.where(db == da, 0.0, r)
    out[mid] = t[a] + frac * (t[b] - t[a])
    return out


def _owner(starts: IntArray, n: int) -> IntArray:
    """For each of ``n`` samples, the last stance that starts at or before it (``starts``
    increasing, the first at 0): a running count of starts."""
    mark = np.zeros(n, dtype=np.intp)
    mark[starts[1:]] = 1
    out: IntArray = np.cumsum(mark)
    return out


def _chunks(k: int) -> list[slice]:
    return [slice(s, min(k, s + CHUNK)) for s in range(0, k, CHUNK)]


def maybe_partial(f: FloatArray, cop: FloatArray, a: IntArray, b: IntArray,
                  unload_fraction: float, jump_m: float) -> BoolArray:
    """False for each stance ``[a, b)`` whose ``_partial`` certainly returns the toe-off
    unchanged (and records nothing): no sample after the load's peak falls below
    ``unload_fraction`` of it, or the centre of pressure runs ahead of where it was at that
    sample by less than ``jump_m``. The same quantities as ``_partial``, for all stances."""
    out = np.ones(len(a), dtype=bool)
    for sl in _chunks(len(a)):
        aa, bb = a[sl], b[sl]
        long = bb - aa >= 5
        out[sl] = long
        if not long.any():
            continue
        aa, bb = aa[long], bb[long]
        lo, hi = int(aa.min()), int(bb.max())
        fc = f[lo:hi]
        la, lb = aa - lo, bb - lo
        peak = segment_reduce(np.maximum, fc, la, lb)
        pos = np.arange(hi - lo)
        own = _owner(la, hi - lo)
        inside = pos < lb[own]  # (the chunk starts with a stance)
        big = np.iinfo(np.intp).max
        at_peak = np.where(inside & (fc == peak[own]), pos, big)
        first_peak = segment_reduce(np.minimum, at_peak, la, lb)
        below = inside & (fc < unload_fraction * peak[own]) & (pos > first_peak[own])
        j = segment_reduce(np.minimum, np.where(below, pos, big), la, lb)
        has = j < big
        xo = cop[lo + j[has]].astype(np.float64)
        xv = segment_reduce(np.fmax, cop, lo + j[has], bb[has]).astype(np.float64)
        with np.errstate(invalid="ignore"):
            run = ~(xv - xo < jump_m)  # NaN: not ruled out
        keep = np.zeros(len(aa), dtype=bool)
        keep[np.flatnonzero(has)[run]] = True
        keep |= ~np.isfinite(peak)  # a NaN in the load: left to the exact code
        sub = out[sl]
        sub[long] = keep
        out[sl] = sub
    return out


def maybe_crossing(f: FloatArray, cop: FloatArray, belt: FloatArray, t: FloatArray,
                   a: IntArray, b: IntArray, min_load_n: float, jump_m: float,
                   window_s: float) -> BoolArray:
    """False for each stance ``[a, b)`` in which ``_crossing`` certainly finds no second
    foot. There, on the stance's loaded samples with a centre of pressure (``on_belt``: in
    belt coordinates), a landing is a sample more than ``jump_m`` above the minimum of the
    ``w`` samples up to it, the window reflected at the stance's start (so reaching at most
    its first ``w - 1`` samples). Here that minimum is bounded from below by the minimum over
    at least as many samples before each one (``w`` from the stance's smallest time step,
    not the median one, is at least the detector's), and, within a stance's first ``w - 1``
    samples, over those too. Fewer than 5 such samples: no landing either.

    The belt's travel and the windows run over a chunk of stances, each stance's values
    offset below the previous one's so that no window reaches into another stance's samples;
    their rounding differs from the detector's per-stance sums by far less than
    ``MARGIN_M``."""
    out = np.ones(len(a), dtype=bool)
    for sl in _chunks(len(a)):
        aa, bb = a[sl], b[sl]
        lo, hi = int(aa.min()), int(bb.max())
        la, lb = aa - lo, bb - lo
        cc = cop[lo:hi]
        tt = t[lo:hi]
        ok = (f[lo:hi] > min_load_n) & np.isfinite(cc)
        running = np.concatenate(([0], np.cumsum(ok)))
        count = running[lb] - running[la]
        v = np.asarray(belt[lo:hi], dtype=np.float64)
        on_belt = np.empty(hi - lo)
        on_belt[0] = 0.0
        np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(tt), out=on_belt[1:])
        on_belt += cc
        owner = _owner(la, hi - lo)
        keep = np.flatnonzero(ok)
        if len(keep) == 0:
            out[sl] = False
            continue
        ob, who = on_belt[keep], owner[keep]  # the loaded samples, stance after stance
        if not np.isfinite(ob).all():
            continue  # a NaN belt speed: left to the exact test
        spread = 4.0 * float(np.abs(ob).max()) + 1.0  # more than the chunk's whole range
        steps = segment_reduce(np.minimum, np.diff(tt, append=np.inf), la,
                               np.maximum(lb - 1, la + 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            w_all = np.ceil(window_s / steps) + 1
        w = int(min(float(np.nanmax(w_all)), float(len(ob))) if np.isfinite(w_all).any()
                else len(ob))
        w = max(w, 2)
        shifted = ob - who * spread  # each stance below the ones before it
        low = ndimage.minimum_filter1d(shifted, size=w, origin=(w - 1) // 2) + who * spread
        # the reflected part: a stance's first w - 1 loaded samples
        starts = running[la]  # each stance's first loaded sample among them
        rank = np.arange(len(ob)) - starts[who]
        heads = np.full(len(aa), np.inf)
        has = count > 0
        head_end = starts[has] + np.minimum(w - 1, count[has])
        heads[has] = segment_reduce(np.minimum, ob, starts[has], head_end)
        floor = np.where(rank < w - 1, np.minimum(low, heads[who]), low)
        top = np.full(len(aa), -np.inf)
        top[has] = segment_reduce(np.maximum, ob - floor, starts[has], starts[has] + count[has])
        out[sl] = (count >= 5) & ~(top <= jump_m - MARGIN_M)
    return out
