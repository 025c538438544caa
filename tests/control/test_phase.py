"""Phase estimator on synthetic hip angles with known phase and changing cadence."""

from __future__ import annotations

import numpy as np
import pytest

from gaitway.control.phase import (
    AdaptiveOscillatorPhaseEstimator,
    HeelStrikeDetector,
    PhaseOscillator,
    StreamingPhaseScorer,
    fourier_hip_coefficients,
    phase_from_contacts,
    phase_rms_error,
    steady_stride_mask,
    wrapped_phase_error,
)
from gaitway.errors import UserError
from gaitway.gait.reference import ReferenceGait

FS = 1000.0


def _synthetic(seconds: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Hip angle from a reference curve (scaled, offset, noisy) at a cadence that wanders."""
    ref = ReferenceGait(speed_m_s=0.6, height_m=1.75)
    table = ref.table("hip")
    t = np.arange(int(seconds * FS)) / FS
    freq = ref.frequency_hz * (1.0 + 0.15 * np.sin(2 * np.pi * t / 40.0))
    cycles = np.cumsum(freq) / FS
    truth = cycles % 1.0
    rng = np.random.default_rng(seed)
    hip = np.interp(truth, np.linspace(0, 1, table.size), table) * 1.2 + 0.03
    hip += rng.normal(0.0, 0.005, t.size)
    hs = np.zeros(t.size, dtype=bool)
    hs[1:] = np.floor(cycles[1:]) > np.floor(cycles[:-1])
    return hip, hs, truth, ref.frequency_hz


def _estimator(f0: float, **kw: float) -> AdaptiveOscillatorPhaseEstimator:
    ref = ReferenceGait(speed_m_s=0.6, height_m=1.75)
    return AdaptiveOscillatorPhaseEstimator(
        initial_frequency_hz=f0, coefficients=fourier_hip_coefficients(ref.table("hip")), **kw
    )


def test_phase_error_small_with_heel_strike_correction() -> None:
    hip, hs, truth, f0 = _synthetic(90.0)
    est = _estimator(0.8 * f0).estimate(hip, sampling_rate_hz=FS, heel_strikes=hs)
    err = wrapped_phase_error(est.phase_, truth)[20_000:]
    rms = float(np.sqrt(np.mean(err**2)))
    assert rms < 0.015, rms  # goal on the twin is 3 % of the cycle; synthetic is cleaner


def test_heel_strikes_and_adaptation_beat_a_fixed_clock() -> None:
    hip, hs, truth, f0 = _synthetic(90.0)
    adaptive = _estimator(0.8 * f0).estimate(hip, sampling_rate_hz=FS, heel_strikes=hs)
    fixed = _estimator(0.8 * f0, nu_phi=0.0, nu_omega=0.0, eta=0.0, hs_frequency_gain=0.0)
    fixed.estimate(hip, sampling_rate_hz=FS, heel_strikes=hs)
    e_a = np.sqrt(np.mean(wrapped_phase_error(adaptive.phase_, truth)[20_000:] ** 2))
    e_f = np.sqrt(np.mean(wrapped_phase_error(fixed.phase_, truth)[20_000:] ** 2))
    assert e_a < 0.5 * e_f


def test_oscillator_learns_cadence_without_heel_strikes() -> None:
    hip, _, _truth, f0 = _synthetic(60.0)
    hip_const = hip.copy()
    est = _estimator(0.85 * f0, hs_phase_gain=0.0).estimate(hip_const, sampling_rate_hz=FS)
    t = np.arange(hip.size) / FS
    true_f = f0 * (1.0 + 0.15 * np.sin(2 * np.pi * t / 40.0))
    late = slice(30_000, None)
    assert np.mean(np.abs(est.frequency_hz_[late] - true_f[late]) / true_f[late]) < 0.05


def test_heel_strike_pulls_phase_to_zero() -> None:
    ref = ReferenceGait(speed_m_s=0.6, height_m=1.75)
    osc = PhaseOscillator(
        frequency_hz=ref.frequency_hz,
        coefficients=fourier_hip_coefficients(ref.table("hip")),
        hs_phase_gain=1.0,
    )
    osc.reset_phase(0.3)
    p = osc.update(ref.angles(0.3)[0], 0.001, True)
    assert min(p, 1.0 - p) < 0.002


def _feed(det: HeelStrikeDetector, start: float, end: float, force: float) -> list[float]:
    """Hold ``force`` from start to end (1 ms ticks); return the onsets of reported strikes."""
    out = []
    for n in range(round((end - start) * 1000)):
        if det.update(start + n * 0.001, force):
            out.append(det.onset_s)
    return out


def test_heel_strike_detector_confirms_and_dates_back() -> None:
    det = HeelStrikeDetector(on_n=100.0, off_n=40.0, min_interval_s=0.4, confirm_s=0.05)
    assert _feed(det, 0.0, 0.1, 500.0) == []  # standing at start: no strike until a lift-off
    assert _feed(det, 0.1, 0.5, 10.0) == []
    assert _feed(det, 0.5, 1.0, 300.0) == [pytest.approx(0.5)]
    assert det.delay_s == pytest.approx(0.05)


def test_heel_strike_detector_ignores_scuffs_bounces_and_chatter() -> None:
    det = HeelStrikeDetector(on_n=100.0, off_n=40.0, min_interval_s=0.4, confirm_s=0.05)
    _feed(det, 0.0, 0.1, 10.0)
    assert _feed(det, 0.1, 0.8, 300.0) == [pytest.approx(0.1)]
    assert _feed(det, 0.8, 0.83, 10.0) == []  # toe-off ...
    assert _feed(det, 0.83, 0.9, 300.0) == []  # ... and a bounce 30 ms later: no swing yet
    assert _feed(det, 0.9, 1.2, 10.0) == []
    assert _feed(det, 1.2, 1.22, 300.0) == []  # a 20 ms toe scuff in swing
    assert _feed(det, 1.22, 1.4, 10.0) == []
    assert _feed(det, 1.4, 1.6, 300.0) == [pytest.approx(1.4)]


def test_bad_input_is_a_user_error() -> None:
    est = _estimator(1.0)
    with pytest.raises(UserError, match="sampling rate"):
        est.estimate(np.zeros(100), sampling_rate_hz=50.0)
    with pytest.raises(UserError, match="heel_strikes"):
        est.estimate(np.zeros(100), sampling_rate_hz=1000.0, heel_strikes=np.zeros(5, bool))
    with pytest.raises(UserError):
        HeelStrikeDetector(on_n=10.0, off_n=20.0)


def test_phase_from_contacts_ignores_chatter_and_scuffs() -> None:
    c = np.zeros(3000, dtype=bool)
    for start in (100, 1100, 2100):
        c[start : start + 600] = True
    c[400:405] = False  # chatter in stance
    c[900:950] = True  # a scuff in swing
    ph = phase_from_contacts(c)
    assert np.isnan(ph[:100]).all()
    assert ph[100] == 0.0
    assert ph[1100] == 0.0
    assert ph[600] == pytest.approx(0.5)
    assert ph[1099] == pytest.approx(0.999)
    assert np.isnan(ph[2100:]).all()
    assert phase_rms_error(ph, ph) == 0.0


def test_streaming_scorer_matches_the_offline_score_on_steady_strides() -> None:
    """The online scorer (what summary.json reports) gives the offline figure: truth from
    contacts with chatter closed and scuffs ignored, steady strides only."""
    rng = np.random.default_rng(3)
    n = 30_000
    contact = np.zeros((n, 2), dtype=bool)
    starts = {0: [], 1: []}
    for side, first in ((0, 200), (1, 900)):
        t = first
        while t < n:
            dur = 1400 if rng.random() > 0.15 else 900  # a slipped, short stride now and then
            contact[t : min(t + int(0.62 * dur), n), side] = True
            starts[side].append(t)
            t += dur
    contact[5000:5010, 0] = False  # chatter in stance
    contact[7600:7650, 1] = True  # a scuff in swing
    truth = np.column_stack([phase_from_contacts(contact[:, s]) for s in (0, 1)])
    est = np.nan_to_num(truth, nan=0.3) + rng.normal(0.0, 0.02, (n, 2))
    est %= 1.0
    scorer = StreamingPhaseScorer()
    for e, c in zip(est.tolist(), contact.tolist(), strict=True):
        scorer.add(e[0], e[1], c[0], c[1])
    res = scorer.result(from_s=2.0)
    for s, side in enumerate(("left", "right")):
        mask = steady_stride_mask(truth[:, s])
        mask[:2000] = False
        offline = 100.0 * phase_rms_error(est[:, s], np.where(mask, truth[:, s], np.nan))
        assert res["rms_pct"][side] == pytest.approx(offline, rel=0.02)
        assert 0 < res["steady_strides"][side] < res["strides"][side]
    assert res["rms_pct"]["overall"] == pytest.approx(2.0, abs=0.2)
