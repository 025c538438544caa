from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.analytics.emg import (
    EmgParams,
    EmgPipeline,
    cycle_timing,
    median_frequency,
    scaled_percentiles,
)
from gaitway.analytics.synthetic import SyntheticGait, generate
from gaitway.analytics.validation import emg_agreement
from gaitway.errors import UserError


def _bursts(seconds: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    data, _, active = generate(SyntheticGait(duration_s=seconds, seed=2))
    assert data.emg is not None
    name = "emg_tibialis_anterior_left"
    return data.emg.channels[name], active[name]


def test_envelope_and_onsets_agree_with_neurokit2() -> None:
    raw, active = _bursts()
    r = emg_agreement(raw, 1000.0, active)
    assert r["envelope_correlation_same_settings"] > 0.9999
    assert r["onsets_vs_neurokit2_threshold"]["f1"] >= 0.9
    assert r["envelope_correlation_neurokit2_default_tkeo"] > 0.9
    assert r["onsets_vs_simulated_truth"]["f1"] == 1.0


def test_onsets_match_the_true_bursts() -> None:
    raw, active = _bursts()
    p = EmgPipeline().process(raw, sampling_rate_hz=1000.0)
    true_on = np.flatnonzero(np.diff(active) > 0.5) / 1000.0
    ours = p.onsets_s_[p.onsets_s_ > 0.1]  # the file starts inside a burst
    assert len(ours) == len(true_on)
    assert np.max(np.abs(ours - true_on)) < 0.04
    assert p.normalised_.max() == pytest.approx(1.0)


def test_mvc_normalisation_is_stated_and_required() -> None:
    raw, _ = _bursts(5.0)
    with pytest.raises(UserError, match="maximal-contraction"):
        EmgPipeline(params=EmgParams(normalisation="mvc")).process(raw, sampling_rate_hz=1000)
    p = EmgPipeline(params=EmgParams(normalisation="mvc", mvc_v=1e-3)).process(
        raw, sampling_rate_hz=1000
    )
    assert p.normalisation_reference_v_ == 1e-3
    assert p.normalised_.max() == pytest.approx(p.envelope_.max() / 1e-3)


def test_median_frequency_falls_with_fatigue() -> None:
    """Noise low-passed ever lower over time: the median frequency must fall."""
    from scipy import signal

    rng = np.random.default_rng(0)
    fs = 1000.0
    parts = []
    for cut in (200, 160, 120, 90, 70, 55):
        sos = signal.butter(4, cut, fs=fs, output="sos")
        parts.append(signal.sosfilt(sos, rng.normal(0, 1, 5000)))
    x = np.concatenate(parts)
    p = EmgPipeline().process(x, sampling_rate_hz=fs)
    assert p.mdf_slope_hz_per_min_ < -50
    _t, mdf = median_frequency(x, fs, 5.0, 20.0, 450.0)
    assert np.all(np.diff(mdf) < 0)


def test_cycle_timing_in_percent() -> None:
    on = np.array([0.5, 1.6])
    off = np.array([0.8, 1.9])
    cycles = [(0.0, 1.0), (1.0, 2.0)]
    assert cycle_timing(on, off, cycles) == [[(50.0, 80.0)], [(60.0, 90.0)]]


def test_bad_emg_input() -> None:
    with pytest.raises(UserError, match="too slow"):
        EmgPipeline().process(np.zeros(1000), sampling_rate_hz=100.0)
    with pytest.raises(UserError, match="too short"):
        EmgPipeline().process(np.zeros(100), sampling_rate_hz=1000.0)


def test_single_precision_matches_double() -> None:
    raw, _ = _bursts(20.0)
    a = EmgPipeline().process(raw, sampling_rate_hz=1000.0)
    b = EmgPipeline(params=EmgParams(single_precision=False)).process(raw, sampling_rate_hz=1000.0)
    assert np.max(np.abs(a.envelope_ - b.envelope_)) < 1e-4 * b.envelope_.max()
    assert np.array_equal(np.round(a.onsets_s_, 3), np.round(b.onsets_s_, 3))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    n=st.integers(1, 5000),
    scale=st.floats(1e-9, 1e3),
    qs=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=3),
    ties=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_scaled_percentiles_equal_numpy(n: int, scale: float, qs: list[float],
                                                 ties: bool, seed: int) -> None:
    """The envelope's thresholds from its float32 form, partitioned in place, are
    np.percentile's numbers on the float64 envelope, bit for bit."""
    rng = np.random.default_rng(seed)
    v = rng.gamma(2.0, 1e-4, n).astype(np.float32)
    if ties:
        v = np.round(v, 4)
    want = np.percentile(v.astype(np.float64) * scale, qs)
    got = scaled_percentiles(v.copy(), scale, tuple(qs))
    assert list(got) == want.tolist()


def _median_frequency_row_by_row(band: np.ndarray, fs: float, window_s: float, f_lo: float,
                                 f_hi: float) -> np.ndarray:
    """The median frequency as computed before: each window's cumulative power with
    np.cumsum along its row, the first frequency reaching half of it."""
    w = round(window_s * fs)
    n = len(band) // w
    f = np.fft.rfftfreq(w, 1.0 / fs)
    sel = (f >= f_lo) & (f <= f_hi)
    seg = band[: n * w].reshape(n, w) * np.hanning(w)
    pxx = np.abs(np.fft.rfft(seg, axis=-1)[:, sel]) ** 2
    c = np.cumsum(pxx, axis=1)
    return np.asarray(f[sel][np.argmax(c >= c[:, -1:] / 2, axis=1)], dtype=np.float64)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seconds=st.floats(2.5, 700.0),
    fs=st.sampled_from([200.0, 1000.0, 1111.0, 2000.0]),
    window_s=st.sampled_from([0.25, 0.5, 1.0, 2.0]),
    lo=st.floats(5.0, 60.0),
    tone=st.booleans(),
    bad=st.sampled_from([None, np.nan, np.inf, 0.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_property_median_frequency_equals_row_by_row(seconds: float, fs: float,
                                                     window_s: float, lo: float, tone: bool,
                                                     bad: float | None, dtype: type,
                                                     seed: int) -> None:
    """All windows of a chunk at once give each window's median frequency as its own
    cumulative sum does: noise, pure tones (power at one frequency: ties on the half), flat
    zero stretches, NaN and inf windows, more windows than a chunk."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    x = rng.normal(0.0, 1.0, n) + (np.sin(2 * np.pi * 80.0 * t) * 5.0 if tone else 0.0)
    x = x.astype(dtype)
    w = round(window_s * fs)
    if bad is not None:  # from a window's start: whole windows of it too
        a = w * int(rng.integers(0, n // w)) + int(rng.integers(0, 2)) * int(rng.integers(0, w))
        x[a : a + int(rng.integers(1, 3 * w))] = bad
    hi = min(450.0, 0.45 * fs)
    with np.errstate(invalid="ignore", over="ignore"):  # the NaN and inf windows
        _, got = median_frequency(x, fs, window_s, lo, hi)
        want = _median_frequency_row_by_row(x, fs, window_s, lo, hi)
    assert len(got) == n // w >= 1
    assert np.array_equal(got, want)
