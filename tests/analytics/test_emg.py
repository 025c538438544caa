from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaitway.analytics import native_filter
from gaitway.analytics.emg import (
    EmgParams,
    EmgPipeline,
    activation_intervals,
    cycle_timing,
    median_frequency,
    process_channels,
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


def _old_process(raw: np.ndarray, fs: float, p: EmgParams) -> dict[str, object]:
    """The single-channel pipeline as it was before the channels were filtered together
    (scipy.signal.sosfiltfilt itself, np.percentile): the reference for process_channels."""
    from scipy import signal

    x = np.asarray(raw)
    if not np.isfinite(x).all():
        x = np.nan_to_num(x.astype(np.float64))
    high = min(p.band_high_hz, 0.45 * fs)
    sos_band = signal.butter(p.band_order, [p.band_low_hz, high], btype="bandpass", fs=fs,
                             output="sos")
    sos_env = signal.butter(p.envelope_order, p.envelope_hz, btype="low", fs=fs, output="sos")
    if p.single_precision:
        scale = float(np.max(np.abs(x))) or 1.0
        x32 = (x.astype(np.float64) / scale).astype(np.float32)
        band = signal.sosfiltfilt(sos_band.astype(np.float32), x32)
        env = signal.sosfiltfilt(sos_env.astype(np.float32), np.abs(band)).astype(
            np.float64) * scale
    else:
        band = signal.sosfiltfilt(sos_band, x.astype(np.float64))
        env = signal.sosfiltfilt(sos_env, np.abs(band))
    base, peak = (float(v) for v in np.percentile(env, [5, 99.5]))
    threshold = base + p.onset_fraction * (peak - base)
    on, off = activation_intervals(env, threshold, fs, p.min_active_s, p.min_rest_s)
    t, mdf = median_frequency(band, fs, p.mdf_window_s, p.band_low_hz, high)
    ref = p.mvc_v if p.normalisation == "mvc" and p.mvc_v else float(np.max(env))
    return {"envelope_": env, "threshold_v_": threshold, "onsets_s_": on, "offsets_s_": off,
            "mdf_time_s_": t, "median_frequency_hz_": mdf, "normalisation_reference_v_": ref}


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    n_channels=st.integers(1, 11),
    seconds=st.floats(1.6, 6.0),
    fs=st.sampled_from([250.0, 1000.0, 2000.0]),
    band_order=st.integers(1, 6),
    envelope_order=st.integers(1, 6),
    envelope_hz=st.floats(2.0, 20.0),
    single=st.booleans(),
    native=st.booleans(),
    float32_input=st.booleans(),
    specials=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_process_channels_equals_the_old_pipeline_channel_by_channel(
    n_channels: int, seconds: float, fs: float, band_order: int, envelope_order: int,
    envelope_hz: float, single: bool, native: bool, float32_input: bool, specials: bool,
    seed: int,
) -> None:
    """Channels processed together (their filters in lockstep, in groups, the band's array
    reused for the envelope; with the compiled filter and with it switched off) give each
    channel's attributes exactly as the old one-channel pipeline: bursts, silence, a zero
    channel, NaN/inf samples, float32 and float64 input, every order the params allow."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    raws = []
    for k in range(n_channels):
        gate = (np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t + k) > 0.3).astype(float)
        x = rng.normal(size=n) * (0.05 + gate) * 10.0 ** rng.uniform(-5, -2)
        if k == 1:
            x[:] = 0.0
        if specials and k == 2:
            x[rng.integers(n, size=3)] = [np.nan, np.inf, -np.inf]
        raws.append(x.astype(np.float32) if float32_input else x)
    p = EmgParams(band_order=band_order, envelope_order=envelope_order,
                  envelope_hz=envelope_hz, single_precision=single)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_filter.ENV_SWITCH, "1" if native else "0")
        got = list(process_channels(raws, sampling_rate_hz=fs, params=p))
        one = EmgPipeline(params=p).process(raws[-1], sampling_rate_hz=fs)
    assert len(got) == n_channels
    for raw, pipe in zip(raws, got, strict=True):
        want = _old_process(raw, fs, p)
        for name, value in want.items():
            assert np.array_equal(getattr(pipe, name), value, equal_nan=True), name
    for name, value in _old_process(raws[-1], fs, p).items():
        assert np.array_equal(getattr(one, name), value, equal_nan=True), name
