"""The centre of pressure's path per stance on real plates (issue 17 item 2: no absurd value in
the output). The real overground trial's 2,400-Hz plates carry about 1 mm of noise a sample:
summed sample by sample, a stance whose COP spans 7 cm reported a 1.22-m path."""

from __future__ import annotations

import numpy as np
from scipy import signal

from gaitway.analytics import analyze_path
from gaitway.analytics.readers.c3d_reader import read_c3d

from .conftest import REAL

#: A foot is about 0.2-0.3 m long: its COP cannot travel much more than that in one stance
#: on a fixed plate (overground).
ONE_FOOT_M = 0.35


def _reference_path(name: str, start_s: float, end_s: float, side: str) -> float:
    """The stance's COP path after a 15-Hz zero-phase low-pass (an independent way to
    remove the noise), over the same trimmed stance the metric uses."""
    data = read_c3d(REAL / name)
    f = data.forces
    assert f is not None
    i, j = (int(v) for v in f.time.searchsorted([start_s, end_s]))
    n = j - i
    a, b = i + n // 10, j - n // 10
    sos = signal.butter(2, 15.0, fs=f.sampling_rate_hz, output="sos")
    x = signal.sosfiltfilt(sos, f.channels[f"cop_x_{side}"][a:b])
    y = signal.sosfiltfilt(sos, f.channels[f"cop_y_{side}"][a:b])
    return float(np.sum(np.hypot(np.diff(x), np.diff(y))))


def test_overground_cop_path_is_a_foot_not_the_plate_noise() -> None:
    result = analyze_path(REAL / "overground_events.c3d")
    strides = [s for side in result["strides"].values() for s in side
               if s.get("cop_path_length_m") is not None]
    assert strides, "the trial has a stance on a plate"
    for s in strides:
        side = next(k for k, v in result["strides"].items() if s in v)
        # stance: heel strike to toe-off, as the metric trims it
        ref = _reference_path("overground_events.c3d", s["start_s"],
                              s["start_s"] + s["stance_time_s"], side)
        assert s["cop_path_length_m"] < ONE_FOOT_M
        assert s["cop_path_length_m"] >= s["cop_ml_range_m"]
        assert abs(s["cop_path_length_m"] - ref) < 0.2 * ref + 0.01


def test_treadmill_cop_path_agrees_with_the_low_passed_one() -> None:
    result = analyze_path(REAL / "treadmill_events.c3d")
    for side, strides in result["strides"].items():
        for s in strides[:4]:
            if s.get("cop_path_length_m") is None:
                continue
            ref = _reference_path("treadmill_events.c3d", s["start_s"],
                                  s["start_s"] + s["stance_time_s"], side)
            assert abs(s["cop_path_length_m"] - ref) < 0.1 * ref


def test_real_pelvis_sway_is_still_measured() -> None:
    """Leaving out a sway of exactly zero (a channel that does not move) keeps real sway: the
    treadmill trial's pelvis markers move a few centimetres sideways each stride."""
    result = analyze_path(REAL / "treadmill_events.c3d")
    for side in ("left", "right"):
        sway = result["metrics"][f"pelvis_sway_ml_m_{side}_mean"]["value"]
        assert 0.01 < sway < 0.15
    assert not any(u["name"] == "pelvis_sway_ml_m"
                   for u in result["parameters"]["unavailable_metrics"])
