"""The per-stride metrics of all strides at once (``stride_batch``) are the records and curves
``stride_record`` makes stride by stride: same keys in the same order, same floats, on drawn
recordings (float32 or float64 channels, NaN gaps, missing channels) and drawn strides (one,
many, of very different lengths, past the file's ends, without toe-offs or contralateral
events); and the exact primitives they are built on against their one-slice forms."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.analytics.gait_data import GaitData, SignalBlock
from gaitway.analytics.rounding import rounded
from gaitway.analytics.segments import segment_dots, segment_reduce, segment_sums
from gaitway.analytics.stride_batch import CHUNK_STRIDES, stride_records
from gaitway.analytics.stride_metrics import stride_record
from gaitway.analytics.strides import Stride

KIN = ("hip_angle", "knee_angle", "ankle_angle", "ref_hip_angle", "ref_knee_angle",
       "ref_ankle_angle", "hip_velocity", "knee_velocity", "interaction_torque_thigh",
       "interaction_torque_shank", "truth_voluntary_torque_hip", "truth_voluntary_torque_knee",
       "foot_x", "heel_x")
FORCE = ("grf_z", "cop_x", "cop_y", "belt_speed")


def _channel(rng: np.random.Generator, n: int, dtype: type, gaps: bool, scale: float,
             offset: float = 0.0) -> np.ndarray:
    x = (offset + scale * np.cumsum(rng.normal(0.0, 0.05, n))).astype(dtype)
    if gaps and n:
        for _ in range(int(rng.integers(1, 4))):
            a = int(rng.integers(0, n))
            x[a : a + int(rng.integers(1, 40))] = np.nan
    return x


def _data(rng: np.random.Generator, n: int, fs: float, dtype: type, gaps: bool,
          drop: set[str], with_forces: bool, with_kin: bool, speed: float | None) -> GaitData:
    t = np.arange(n) / fs + float(rng.uniform(0.0, 3.0))

    def block(names: tuple[str, ...], extra: dict[str, tuple[float, float]]) -> SignalBlock:
        ch = {}
        for name in names:
            for side in ("left", "right"):
                if f"{name}_{side}" in drop or name in drop:
                    continue
                scale, offset = extra.get(name, (1.0, 0.0))
                ch[f"{name}_{side}"] = _channel(rng, n, dtype, gaps, scale, offset)
        return SignalBlock(t, fs, ch)

    forces = block(FORCE, {"grf_z": (400.0, 300.0), "belt_speed": (0.01, 0.5)}) if (
        with_forces) else None
    kin = None
    if with_kin:
        kin = block(KIN, {"interaction_torque_thigh": (10.0, 0.0)})
        for name in ("assist_level", "guidance", "pelvis_lateral"):
            if name not in drop:
                kin.channels[name] = _channel(rng, n, dtype, gaps, 0.1)  # type: ignore[index]
        if "still_pelvis" in drop and "pelvis_lateral" in kin.channels:
            kin.channels["pelvis_lateral"] = np.zeros(n, dtype)  # type: ignore[index]
    return GaitData(source="simulated", origin="drawn", forces=forces, kinematics=kin,
                    belt_speed_m_s=speed, duration_s=n / fs)


def _strides(rng: np.random.Generator, t0: float, t1: float, count: int, both: bool,
             spread: float) -> list[Stride]:
    out = []
    for k in range(count):
        side = ("left", "right")[k % 2] if both else "left"
        a = float(rng.uniform(t0 - 0.3, t1))
        # lengths from a few samples to most of the recording, past its end too
        dur = float(rng.uniform(1e-3, 0.05) if rng.random() < 0.2 else
                    rng.uniform(0.1, spread))
        b = a + dur

        def inside(p: float, a: float = a, dur: float = dur) -> float | None:
            return float(a + rng.uniform(0.0, 1.0) * dur) if rng.random() < p else None

        out.append(Stride(side=side, heel_strike_s=a, toe_off_s=inside(0.85),
                          next_heel_strike_s=b, contra_heel_strike_s=inside(0.8),
                          contra_toe_off_s=inside(0.8),
                          prev_contra_heel_strike_s=(a - float(rng.uniform(0.0, 1.0))
                                                     if rng.random() < 0.8 else None),
                          valid=True))
    # stride by stride order as the analysis gives them: by side, then time (not needed for
    # the batch, which takes any order)
    return sorted(out, key=lambda s: (s.side, s.heel_strike_s)) if rng.random() < 0.7 else out


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    n=st.integers(6, 6000),
    fs=st.sampled_from([100.0, 250.0, 1000.0, 2400.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
    gaps=st.booleans(),
    drop=st.sets(st.sampled_from([*KIN, "grf_z_right", "cop_y", "belt_speed", "assist_level",
                                  "pelvis_lateral", "still_pelvis", "heel_x_right"]),
                 max_size=5),
    with_forces=st.booleans(),
    with_kin=st.booleans(),
    speed=st.sampled_from([None, 0.0, 0.55]),
    mass=st.sampled_from([None, 0.0, 72.5]),
    count=st.sampled_from([1, 2, 7, 40, CHUNK_STRIDES + 3]),
    both=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_batch_equals_stride_by_stride(
    n: int, fs: float, dtype: type, gaps: bool, drop: set[str], with_forces: bool,
    with_kin: bool, speed: float | None, mass: float | None, count: int, both: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    data = _data(rng, n, fs, dtype, gaps, drop, with_forces, with_kin, speed)
    t = (data.forces or data.kinematics or SignalBlock(np.arange(n) / fs, fs)).time
    spread = float(rng.uniform(0.3, 3.0)) * max(n / fs, 0.5)  # >= 0.15 s
    strides = _strides(rng, float(t[0]), float(t[-1]), count, both, spread)
    with np.errstate(all="ignore"):  # the reference warns on all-NaN slices, as it does
        want = [stride_record(data, s, body_mass_kg=mass) for s in strides]
        recs, curves = stride_records(data, strides, body_mass_kg=mass)
    assert len(recs) == len(strides)
    for (rec, _), got in zip(want, recs, strict=True):
        assert list(got) == list(rec)  # the same keys in the same order
        for key, v in rec.items():
            w = got[key]
            assert (v is None and w is None) or (
                v is not None and w is not None and math.copysign(1.0, v) == math.copysign(
                    1.0, w) and v == w), (key, v, w)
    for joint in ("hip", "knee", "ankle"):
        rows = [c[joint] for _, c in want if joint in c]
        got_rows = curves.get(joint, np.empty((0, 101)))
        assert got_rows.shape == (len(rows), 101)
        if rows:
            assert np.array_equal(np.array(rows), got_rows, equal_nan=True)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(1, 5000), k=st.integers(1, 300),
       dtype=st.sampled_from([np.float32, np.float64]), nans=st.booleans(),
       seed=st.integers(0, 2**16))
def test_property_segment_reductions_equal_each_slice(n: int, k: int, dtype: type, nans: bool,
                                                      seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = (rng.normal(0.0, 1.0, n) * 10.0 ** rng.uniform(-3, 3, n)).astype(dtype)
    y = rng.normal(0.0, 1.0, n).astype(dtype)
    if nans:
        x[rng.integers(0, n, 3)] = np.nan
    i = rng.integers(0, n, k)
    j = np.minimum(i + rng.integers(1, n + 1, k), n)  # ends at the array's end included
    for uf in (np.maximum, np.minimum):
        got = segment_reduce(uf, x, i, j)
        want = np.array([uf.reduce(x[a:b]) for a, b in zip(i, j, strict=True)], dtype=dtype)
        assert got.dtype == x.dtype
        assert np.array_equal(got, want, equal_nan=True)
    i0 = np.minimum(i, j - rng.integers(0, 2, k))  # empty slices too
    sums = segment_sums(x, i0, j)
    assert np.array_equal(sums, [float(x[a:b].sum()) for a, b in zip(i0, j, strict=True)],
                          equal_nan=True)
    dots = segment_dots(x, y, i, j)
    assert np.array_equal(dots, [float(np.dot(x[a:b], y[a:b])) for a, b in zip(i, j,
                                                                                strict=True)],
                          equal_nan=True)


@st.composite
def _near_ties(draw: st.DrawFn) -> float:
    """Values at and next to decimal halves (where rounding goes either way), and others."""
    nd = draw(st.integers(0, 6))
    m = draw(st.integers(-10**9, 10**9))
    v = (m + 0.5) / 10.0**nd
    return float(np.nextafter(v, draw(st.sampled_from([-np.inf, np.inf]))) if draw(
        st.booleans()) else v)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(values=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                 st.floats(-1e6, 1e6), _near_ties()), min_size=1,
                       max_size=40),
       nd=st.sampled_from([1, 2, 3, 4]))
def test_property_rounded_is_pythons_round(values: list[float], nd: int) -> None:
    got = rounded(np.array(values), nd)
    want = [round(v, nd) if math.isfinite(v) else None for v in values]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g is None and w is None) or (
            g is not None and w is not None and g == w
            and math.copysign(1.0, g) == math.copysign(1.0, w)), (g, w)
    kept = rounded(np.array(values), nd, none_if_not_finite=False)  # NaN and inf as round
    assert [repr(v) for v in kept] == [repr(round(v, nd)) for v in values]
