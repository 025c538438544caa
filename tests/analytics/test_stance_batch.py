"""The force-plate detector's stance plan (``stance_batch``: event times over windows of
samples, whole-array bounds that rule crossings and partial crossings out) gives the events
the stance-by-stance code gives: on drawn treadmill signals with feet crossing onto the other
belt, feet resting on it at toe-off, gaps in the centre of pressure and dropouts; and each
part against its per-stance form, including walks longer than the window and centre-of-
pressure jumps near the limits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.analytics.events import (
    ForcePlateEventDetector,
    ForcePlateParams,
    _belt_travel,
    _crossing_time,
    _Levels,
    _StancePlan,
)
from gaitway.analytics.gait_data import GaitData
from gaitway.analytics.stance_batch import WINDOW, crossing_times, maybe_crossing, maybe_partial
from gaitway.analytics.synthetic import SyntheticGait, generate


def _stance_by_stance(self: ForcePlateEventDetector, t, f, off, runs, cop, belt,  # type: ignore[no-untyped-def]
                      load) -> _StancePlan:
    """No plan: every stance timed and tested by the per-stance code (the code before)."""
    k = len(runs)
    return _StancePlan([float("nan")] * k, [float("nan")] * k, [True] * k, [True] * k)


def _belt(data: GaitData) -> np.ndarray:
    """The belt speed as the analysis gives it to the detector: the two belts' mean."""
    assert data.forces is not None
    fc = data.forces.channels
    return 0.5 * (fc["belt_speed_left"] + fc["belt_speed_right"])


def _visit(data: GaitData, rng: np.random.Generator, k: int, side: str, lead_m: float,
           share: float, at_toe_off: bool) -> None:
    """The other foot on ``side``'s belt: landing ahead of it (a crossing) or, at the end of
    ``side``'s stance, resting on it lightly ahead (a partial crossing)."""
    assert data.forces is not None
    fc, t = data.forces.channels, data.forces.time
    other = "right" if side == "left" else "left"
    on = np.flatnonzero(fc[f"grf_z_{other}"] > 50.0)
    starts = on[np.flatnonzero(np.diff(on) > 1) + 1]
    if k >= len(starts) - 1:
        return
    a = int(starts[k])
    b = a + int(rng.integers(150, 600))
    sel = slice(a, min(b, len(t)))
    tau = np.linspace(0.0, 1.0, sel.stop - sel.start)
    moved = share * (np.clip(tau / 0.3, 0, 1) if at_toe_off else np.clip(1 - tau / 0.6, 0, 1))
    moved = moved * np.maximum(fc[f"grf_z_{other}"][sel], 0.0)
    here = fc[f"grf_z_{side}"][sel]
    both = here + moved
    cop_here = np.nan_to_num(fc[f"cop_x_{side}"][sel])
    cop_visit = np.nan_to_num(fc[f"cop_x_{other}"][sel]) + lead_m
    fc[f"cop_x_{side}"][sel] = np.where(
        both > 1, (cop_here * here + cop_visit * moved) / np.maximum(both, 1), np.nan)
    fc[f"grf_z_{side}"][sel] = both
    fc[f"grf_z_{other}"][sel] -= moved


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seconds=st.floats(4.0, 14.0),
    fs=st.sampled_from([500.0, 1000.0, 2000.0]),
    noise=st.floats(0.0, 20.0),
    crosstalk=st.sampled_from([0.0, 0.03, 0.08]),
    visits=st.lists(st.tuples(st.integers(0, 10), st.sampled_from(["left", "right"]),
                              st.floats(0.0, 0.9), st.floats(0.05, 0.8), st.booleans()),
                    max_size=4),
    gaps=st.booleans(),
    extrapolate=st.booleans(),
    lowpass=st.sampled_from([0.0, 30.0, 60.0]),
    seed=st.integers(0, 2**16),
)
def test_property_detector_events_equal_stance_by_stance(
    seconds: float, fs: float, noise: float, crosstalk: float,
    visits: list[tuple[int, str, float, float, bool]], gaps: bool, extrapolate: bool,
    lowpass: float, seed: int,
) -> None:
    data, _, _ = generate(SyntheticGait(duration_s=seconds, sampling_rate_hz=fs, noise_n=noise,
                                        crosstalk=crosstalk, emg=False, seed=seed))
    rng = np.random.default_rng(seed)
    for k, side, lead, share, at_end in visits:
        _visit(data, rng, k, side, lead, share, at_end)
    assert data.forces is not None
    fc = data.forces.channels
    if gaps:
        for side in ("left", "right"):
            for _ in range(3):
                a = int(rng.integers(0, len(data.forces.time)))
                fc[f"cop_x_{side}"][a : a + int(rng.integers(1, 200))] = np.nan
            a = int(rng.integers(0, len(data.forces.time)))
            fc[f"grf_z_{side}"][a : a + int(rng.integers(1, 30))] = 0.0  # a dropout
    params = ForcePlateParams(extrapolate_to_zero=extrapolate, lowpass_hz=lowpass)
    args = ({s: fc[f"grf_z_{s}"] for s in ("left", "right")}, data.forces.time)
    kw = {"sampling_rate_hz": fs, "cop_x": {s: fc[f"cop_x_{s}"] for s in ("left", "right")},
          "belt_speed_m_s": _belt(data)}
    got = ForcePlateEventDetector(params=params).detect(*args, **kw)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ForcePlateEventDetector, "_plan", _stance_by_stance)
        want = ForcePlateEventDetector(params=params).detect(*args, **kw)  # type: ignore[arg-type]
    assert got.events_ == want.events_
    assert got.crossings_ == want.crossings_
    assert got.partial_crossings_ == want.partial_crossings_
    assert got.stance_runs_ == want.stance_runs_


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(2, 3000), c=st.sampled_from([0.0, 0.04, 0.5]), ramp=st.integers(1, 200),
       seed=st.integers(0, 2**16))
def test_property_crossing_times_equal_the_walk(n: int, c: float, ramp: int, seed: int) -> None:
    """Walks of up to ``ramp`` samples (beyond the window too: those come back NaN, and only
    those), at the array's ends, with flat stretches (equal neighbours) and NaN."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.0005, 0.0015, n))
    steps = rng.integers(1, ramp + 1, n // 2 + 1)
    x = np.repeat(np.where(np.arange(len(steps)) % 2, 80.0, -5.0), steps)[:n]
    x = np.pad(x, (0, max(0, n - len(x))), constant_values=80.0)
    x = x + rng.normal(0.0, 1.0, n) * (rng.random(n) < 0.5)
    x[rng.integers(0, n, 2)] = np.nan if rng.random() < 0.3 else 30.0
    other = rng.normal(100.0, 300.0, n)
    level = _Levels(n, 30.0, other, c)
    idx = rng.integers(0, n, 40)
    for rising in (True, False):
        got = crossing_times(t, x, level.take, idx, rising)
        for i, g in zip(idx.tolist(), got.tolist(), strict=True):
            want = _crossing_time(t, x, level, i, rising)
            if g == g:
                assert g == want
            else:  # only a walk longer than the window is left to the caller
                j = i
                if rising:
                    while j > 0 and x[j - 1] > level[j - 1]:
                        j -= 1
                else:
                    while j < n - 1 and x[j] > level[j]:
                        j += 1
                assert abs(j - i) >= WINDOW - 1


@settings(max_examples=60, deadline=None, derandomize=True)
@given(stances=st.integers(1, 300), fs=st.sampled_from([250.0, 1000.0, 2400.0]),
       jump=st.floats(0.0, 0.6), width=st.floats(0.02, 1.0), nans=st.booleans(),
       seed=st.integers(0, 2**16))
def test_property_ruled_out_stances_have_no_crossing(stances: int, fs: float, jump: float,
                                                     width: float, nans: bool,
                                                     seed: int) -> None:
    """A stance the bounds rule out gives ``_crossing`` None and ``_partial`` its toe-off
    unchanged, with nothing recorded; jumps of the centre of pressure drawn near the limits
    (0.35 and 0.2 m), over times near the window (0.4 s), in stances of any length."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, int(1.5 * fs), stances)
    gapsz = rng.integers(1, int(0.5 * fs), stances)
    a = np.concatenate(([int(gapsz[0])], int(gapsz[0]) + np.cumsum(lengths + gapsz)[:-1]))
    b = a + lengths
    n = int(b[-1] + rng.integers(0, 50))
    t = np.arange(n) / fs + rng.uniform(0, 100)
    f = np.zeros(n)
    cop = np.full(n, np.nan, dtype=np.float32)
    belt = np.full(n, rng.uniform(0.2, 1.5)) + rng.normal(0, 0.01, n)
    load = 700.0
    for s, e in zip(a.tolist(), b.tolist(), strict=True):
        tau = np.linspace(0, 1, e - s)
        f[s:e] = load * (np.sin(np.pi * tau) + rng.uniform(0, 0.3) * np.sin(3 * np.pi * tau))
        f[s:e] *= rng.uniform(0.2, 1.3)
        roll = rng.uniform(0.0, 0.3) * tau - np.cumsum(belt[s:e]) / fs
        k = int(rng.integers(0, e - s))
        ramp = np.clip((np.arange(e - s) - k) / max(1.0, width * fs), 0, 1)
        cop[s:e] = roll + jump * ramp * rng.uniform(0.5, 1.5)
    if nans:
        cop[rng.integers(0, n, 20)] = np.nan
    det = ForcePlateEventDetector()
    det.thresholds_n_ = {"on": 42.0, "off": 21.0}
    det.partial_crossings_ = []
    p = det.params
    cross = maybe_crossing(f, cop, belt, t, a, b, p.crossing_min_load_fraction * load,
                           p.crossing_cop_jump_m, p.crossing_window_s)
    partial = maybe_partial(f, cop, a, b, p.partial_unload_fraction, p.partial_cop_jump_m)
    off = _Levels(n, 21.0)
    for r, (s, e) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        if not cross[r]:
            assert det._crossing(f[s:e], cop[s:e], _belt_travel(belt[s:e], t[s:e]), t[s:e],
                                 load) is None
        if not partial[r]:
            assert det._partial(f, cop, t, s, e, off, 123.0, "left") == 123.0
            assert det.partial_crossings_ == []


def test_the_plan_rules_out_most_stances_of_a_plain_walk() -> None:
    """On a plain walk (no visitor) the bounds leave no stance to the exact tests, and every
    event is timed by the plan: what makes the plan worth having."""
    data, _, _ = generate(SyntheticGait(duration_s=20.0, emg=False))
    assert data.forces is not None
    fc = data.forces.channels
    seen: list[_StancePlan] = []
    real = ForcePlateEventDetector._plan

    def spy(self: ForcePlateEventDetector, *a: object) -> _StancePlan:
        plan = real(self, *a)  # type: ignore[arg-type]
        seen.append(plan)
        return plan

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ForcePlateEventDetector, "_plan", spy)
        ForcePlateEventDetector(params=replace(ForcePlateParams())).detect(
            {s: fc[f"grf_z_{s}"] for s in ("left", "right")}, data.forces.time,
            sampling_rate_hz=1000.0, cop_x={s: fc[f"cop_x_{s}"] for s in ("left", "right")},
            belt_speed_m_s=_belt(data))
    assert len(seen) == 2
    for plan in seen:
        assert len(plan.strikes) >= 15
        assert not any(plan.crossing)
        assert not any(plan.partial)
        assert all(x == x for x in plan.strikes[1:])  # no NaN: all timed in the plan
        assert all(x == x for x in plan.toe_offs[:-1])
