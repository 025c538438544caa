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
