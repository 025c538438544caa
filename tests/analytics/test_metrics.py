from __future__ import annotations

import math

import numpy as np
import pytest

from gaitway.analytics.analyze import analyze_data
from gaitway.analytics.events import ForcePlateParams
from gaitway.analytics.gait_data import GaitData, GaitEvent
from gaitway.analytics.session_metrics import symmetry
from gaitway.analytics.strides import build_strides
from gaitway.analytics.synthetic import SyntheticGait, generate


def test_symmetry_formulas() -> None:
    s = symmetry(1.1, 0.9)
    assert s["symmetry_index"] == pytest.approx(100 * 0.2 / 1.0)
    assert s["symmetry_ratio"] == pytest.approx(1.1 / 0.9)
    assert s["gait_asymmetry"] == pytest.approx(100 * abs(math.log(1.1 / 0.9)))
    assert symmetry(1.0, 1.0)["symmetry_index"] == 0.0


def test_strides_reject_bad_sequences() -> None:
    ev = [
        GaitEvent(0.0, "left", "heel_strike"),
        GaitEvent(0.55, "right", "heel_strike"),
        GaitEvent(0.7, "left", "toe_off"),
        GaitEvent(1.1, "left", "heel_strike"),
        GaitEvent(1.65, "right", "heel_strike"),  # left toe-off missing in the next stride
        GaitEvent(2.2, "left", "heel_strike"),
    ]
    strides = build_strides(ev, "left")
    assert [s.valid for s in strides] == [True, False]
    assert "toe-offs" in strides[1].reason
    assert strides[0].contra_heel_strike_s == 0.55


def test_metrics_on_synthetic_truth() -> None:
    cfg = SyntheticGait(duration_s=30.0, right_step_fraction=0.4, noise_n=1.0, seed=5)
    data, _, _ = generate(cfg)
    # Metric formulas on events free of the threshold delay (the synthetic load ramps start
    # at exactly zero, where extrapolation is right; see test_events).
    r = analyze_data(data, force_params=ForcePlateParams(extrapolate_to_zero=True))
    m = r["metrics"]
    T = cfg.stride_time_s
    assert m["stride_time_s_left_mean"]["value"] == pytest.approx(T, abs=0.01)
    assert m["stance_pct_left_mean"]["value"] == pytest.approx(62.0, abs=1.0)
    # Right heel strike at 40 % of the left stride: right step 0.4 T, left step 0.6 T.
    assert m["step_time_s_right_mean"]["value"] == pytest.approx(0.4 * T, abs=0.01)
    assert m["step_time_s_left_mean"]["value"] == pytest.approx(0.6 * T, abs=0.01)
    si = m["symmetry_index_step_time_s"]
    assert si["value"] == pytest.approx(100 * 0.2 / 0.5, abs=2.0)
    assert si["formula"] == "100 * (L - R) / (0.5 * (L + R))"
    # Feet land at the same belt position: step length = belt speed x step time.
    assert m["step_length_m_left_mean"]["value"] == pytest.approx(0.6 * T, abs=0.02)
    assert m["stride_length_m_left_mean"]["value"] == pytest.approx(T, abs=0.02)
    # Double support: (stance - step of the other side) twice.
    ds = 100 * ((0.62 - 0.4) + (0.62 - 0.6))
    assert m["double_support_pct_left_mean"]["value"] == pytest.approx(ds, abs=1.5)
    assert m["walking_speed"]["value"] == pytest.approx(1.0)
    assert m["distance"]["value"] == pytest.approx(30.0, abs=0.1)
    assert m["peak_force_pct_bw_left_mean"]["value"] == pytest.approx(110, abs=4)
    assert m["load_share_pct_left_mean"]["value"] == pytest.approx(50, abs=3)
    assert m["rom_hip_deg_left_mean"]["value"] == pytest.approx(40.0, abs=0.5)
    assert m["tracking_rmse_hip_deg_left_mean"]["value"] == pytest.approx(
        1 / math.sqrt(2), abs=0.05
    )
    assert m["assist_level_pct_left_mean"]["value"] == pytest.approx(50.0)
    # Cuff torque 2 sin(w) against hip velocity sign: analytic mean over swing is positive.
    assert m["participation_hip_swing_nm_left_mean"]["value"] > 0


def test_cycles_are_normalised_curves(synthetic: tuple[GaitData, list[GaitEvent]]) -> None:
    data, _ = synthetic
    r = analyze_data(data)
    hip = r["cycles"]["left"]["hip"]
    assert len(hip["mean"]) == 101
    assert len(hip["sd"]) == 101
    # The generator's hip is 10 + 20 cos(2 pi phase) degrees, phase 0 at heel strike.
    expected = 10 + 20 * np.cos(2 * np.pi * np.linspace(0, 1, 101))
    assert np.max(np.abs(np.array(hip["mean"]) - expected)) < 1.5


def test_body_mass_argument_overrides(synthetic: tuple[GaitData, list[GaitEvent]]) -> None:
    data, _ = synthetic
    a = analyze_data(data)["metrics"]["peak_force_pct_bw_left_mean"]["value"]
    b = analyze_data(data, body_mass_kg=140.0)
    assert b["metrics"]["peak_force_pct_bw_left_mean"]["value"] == pytest.approx(a / 2, rel=1e-3)
    assert b["parameters"]["body_mass_source"] == "argument"
