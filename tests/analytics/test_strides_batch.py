"""Strides built with all their searches at once are the strides built one by one (the
code before, here as the reference): drawn event sequences with missing, doubled and
out-of-order events, equal times, one side only, strides too short and too long."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.analytics.gait_data import GaitEvent, Side
from gaitway.analytics.scoring import score_events
from gaitway.analytics.strides import Stride, build_strides


def _between(times: np.ndarray, a: float, b: float) -> np.ndarray:
    i, j = int(times.searchsorted(a, side="right")), int(times.searchsorted(b, side="left"))
    return times[i:j]


def _one_by_one(events: list[GaitEvent], side: Side, *, min_stride_s: float = 0.4,
                max_stride_s: float = 5.0) -> list[Stride]:
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
        before = int(chs.searchsorted(a, side="left"))
        out.append(Stride(
            side=side, heel_strike_s=float(a),
            toe_off_s=float(tos[0]) if len(tos) >= 1 else None,
            next_heel_strike_s=float(b),
            contra_heel_strike_s=float(inner_c[0]) if len(inner_c) >= 1 else None,
            contra_toe_off_s=float(cto_after[0]) if len(cto_after) >= 1 else None,
            prev_contra_heel_strike_s=float(chs[before - 1])
            if before and a - chs[before - 1] < max_stride_s else None,
            valid=not reason, reason=reason))
    return out


_events = st.lists(st.tuples(st.one_of(st.floats(0.0, 60.0), st.sampled_from([1.0, 2.0, 2.5])),
                             st.sampled_from(["left", "right"]),
                             st.sampled_from(["heel_strike", "toe_off"])), max_size=120)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(raw=_events, side=st.sampled_from(["left", "right"]))
def test_property_strides_equal_one_by_one(raw: list[tuple[float, Side, str]],
                                           side: Side) -> None:
    events = [GaitEvent(t, s, k) for t, s, k in raw]  # type: ignore[arg-type]
    assert build_strides(events, side) == _one_by_one(events, side)


def _score_one_by_one(detected: list[GaitEvent], reference: list[GaitEvent],
                      tolerance_s: float, window: tuple[float, float] | None
                      ) -> tuple[int, int, int, tuple[float, ...]]:
    """score_events as it was: numpy scalars, np.searchsorted, a boolean array."""
    tp = fp = fn = 0
    errors: list[float] = []
    for side in ("left", "right"):
        for kind in ("heel_strike", "toe_off"):
            det = np.array(sorted(e.time_s for e in detected if e.side == side and e.kind == kind))
            ref = np.array(sorted(e.time_s for e in reference if e.side == side and e.kind == kind))
            if window is not None:
                det = det[(det >= window[0]) & (det <= window[1])]
                ref = ref[(ref >= window[0]) & (ref <= window[1])]
            used = np.zeros(len(det), dtype=bool)
            for r in ref:
                if len(det) == 0:
                    fn += 1
                    continue
                i = int(np.searchsorted(det, r))
                best, best_err = -1, tolerance_s
                for j in (i - 1, i, i + 1):
                    if 0 <= j < len(det) and not used[j] and abs(det[j] - r) <= best_err:
                        best, best_err = j, abs(det[j] - r)
                if best < 0:
                    fn += 1
                else:
                    used[best] = True
                    tp += 1
                    errors.append(float(det[best] - r))
            fp += int((~used).sum())
    return tp, fp, fn, tuple(errors)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(det=_events, ref=_events, tol=st.sampled_from([0.0, 0.025, 0.1, 1.0]),
       window=st.sampled_from([None, (0.5, 30.0)]))
def test_property_score_events_equals_numpy_scalars(
    det: list[tuple[float, Side, str]], ref: list[tuple[float, Side, str]], tol: float,
    window: tuple[float, float] | None,
) -> None:
    d = [GaitEvent(t, s, k) for t, s, k in det]  # type: ignore[arg-type]
    r = [GaitEvent(t, s, k) for t, s, k in ref]  # type: ignore[arg-type]
    got = score_events(d, r, tolerance_s=tol, window=window)
    want = _score_one_by_one(d, r, tol, window)
    assert (got.true_positives, got.false_positives, got.false_negatives,
            got.errors_s) == want
