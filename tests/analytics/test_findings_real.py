"""Issue 17's analytics findings, each on real data (or a real Gaitway recording file).

- ``read_recording("path")`` with a str failed with AttributeError;
- the single-belt CSV reported 46 steps where its cadence over its duration means about 92;
- a metric that cannot be computed must be absent with a typed reason, never NaN or inf;
- a symmetry index of thousands of percent (step lengths of opposite signs) must not happen.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.analytics import analyze_path
from gaitway.analytics.readers.recording_reader import read_recording
from gaitway.analytics.session_metrics import Why, count_steps, symmetry
from gaitway.clinic.synthetic import write_session_dir

from .conftest import GRF_CSV, REAL

REAL_FILES = [*sorted(REAL.glob("*.c3d")), GRF_CSV]


def _floats(obj: Any) -> list[float]:
    if isinstance(obj, float):
        return [obj]
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _floats(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _floats(v)]
    return []


def test_read_recording_takes_a_str(tmp_path: Path) -> None:
    write_session_dir(tmp_path / "s", seconds=6.0)
    data, _ = read_recording(str(tmp_path / "s"))
    same, _ = read_recording(tmp_path / "s")
    assert data.duration_s == same.duration_s > 5.0
    assert data.forces is not None
    assert data.forces.has("grf_z_left")


def test_single_belt_csv_counts_both_feet_steps() -> None:
    r = analyze_path(GRF_CSV)
    m = r["metrics"]
    expected = m["cadence"]["value"] * m["duration"]["value"] / 60.0  # ~92
    assert abs(m["steps"]["value"] - expected) <= 0.05 * expected
    assert r["parameters"]["steps_method"].startswith("2 x")


def test_count_steps_both_and_one_side() -> None:
    assert count_steps({"left": 10, "right": 9}) == (19, "heel strikes of both feet")
    assert count_steps({"left": 0, "right": 7})[0] == 14


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_files_hold_no_nan_and_no_absurd_value(path: Path) -> None:
    r = analyze_path(path)
    text = json.dumps(r, allow_nan=False)  # raises on NaN or inf
    assert all(math.isfinite(x) for x in _floats(json.loads(text)))
    for name, m in r["metrics"].items():
        if name.startswith("symmetry_index_"):
            assert abs(m["value"]) < 200.0, (name, m)
        if name.startswith(("step_length_m_", "stride_length_m_")):
            assert 0.1 < m["value"] < 2.5, (name, m)
    if "walking_speed" in r["metrics"]:
        assert 0.2 < r["metrics"]["walking_speed"]["value"] < 2.5
    for u in r["parameters"]["unavailable_metrics"]:
        assert u["why"] in {w.value for w in Why}
        assert u["name"] not in r["metrics"]


def test_overground_speed_and_stride_length_from_the_ground_frame() -> None:
    r = analyze_path(REAL / "overground_events.c3d")
    assert any("overground" in n for n in r["notes"])
    assert 0.6 < r["metrics"]["walking_speed"]["value"] < 1.5
    lengths = [s["stride_length_m"] for v in r["strides"].values() for s in v
               if s.get("stride_length_m") is not None]
    assert lengths
    assert all(0.6 < x < 1.8 for x in lengths)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.floats(-3.0, 3.0), st.floats(-3.0, 3.0))
def test_symmetry_is_bounded_or_absent(left: float, right: float) -> None:
    sym = symmetry(left, right)
    if left > 0 and right > 0:
        si = sym["symmetry_index"]
        assert si is not None
        assert abs(si) <= 200.0
    else:
        assert sym == {"symmetry_index": None, "symmetry_ratio": None, "gait_asymmetry": None}
