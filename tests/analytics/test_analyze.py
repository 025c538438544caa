from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gaitway.analytics import analyze_path
from gaitway.analytics.gait_data import GaitData, GaitEvent
from gaitway.analytics.synthetic import SyntheticGait, generate
from gaitway.errors import UserError

from .conftest import C3D


def _check_schema(r: dict[str, Any]) -> None:
    assert r["source"] in ("simulated", "real")
    assert isinstance(r["parameters"], dict)
    assert "events" in r["parameters"]
    for e in r["events"]:
        assert set(e) == {"time_s", "side", "kind", "source"}
        assert e["source"] in ("force_plate", "kinematics", "file")
        assert isinstance(e["time_s"], float)
        assert e["side"] in ("left", "right")
        assert e["kind"] in ("heel_strike", "toe_off")
    times = [e["time_s"] for e in r["events"]]
    assert times == sorted(times)
    assert times[0] >= 0
    for side, strides in r["strides"].items():
        assert side in ("left", "right")
        assert all("stride_time_s" in s for s in strides)
    for m in r["metrics"].values():
        assert isinstance(m["value"], int | float)
        assert isinstance(m["unit"], str)
    for joints in r["cycles"].values():
        for c in joints.values():
            assert len(c["mean"]) == 101
            assert len(c["sd"]) == 101
            assert c["unit"] == "deg"
    json.dumps(r, allow_nan=False)


def test_real_c3d_full_result() -> None:
    r = analyze_path(C3D)
    _check_schema(r)
    assert r["source"] == "real"
    assert set(r["cycles"]) == {"left", "right"}
    assert set(r["cycles"]["left"]) == {"hip", "knee", "ankle"}
    # Vicon knee flexion peaks in swing at roughly 55-75 degrees for healthy walking.
    assert 50 < max(r["cycles"]["left"]["knee"]["mean"]) < 80
    assert 0.9 < r["metrics"]["walking_speed"]["value"] < 1.3
    assert r["parameters"]["body_mass_source"] == "file"
    # This subject sometimes steps onto the other belt: those strides carry no belt loads.
    crossed = [s for side in r["strides"].values() for s in side if s.get("foot_crossing")]
    assert crossed
    assert all("load_share_pct" not in s for s in crossed)


def test_unknown_and_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        analyze_path(tmp_path / "nope.c3d")
    p = tmp_path / "x.xyz"
    p.write_text("1")
    with pytest.raises(UserError, match="unknown file type"):
        analyze_path(p)
    with pytest.raises(UserError, match="implausible"):
        analyze_path(C3D, body_mass_kg=5000)


class _FakeRecording:
    """Implements the recording API of the contract (open_recording(...))."""

    def __init__(self, data: GaitData, truth: list[GaitEvent]) -> None:
        assert data.forces is not None
        assert data.kinematics is not None
        assert data.emg is not None
        t = data.forces.time
        self._cols: dict[str, np.ndarray] = {
            **data.forces.channels,
            **data.kinematics.channels,
            **data.emg.channels,
        }
        self._cols.pop("foot_x_left")
        self._cols.pop("foot_x_right")
        for side in ("left", "right"):
            c = np.zeros(len(t))
            ev = [e for e in truth if e.side == side]
            for a, b in itertools.pairwise(ev):
                if a.kind == "heel_strike" and b.kind == "toe_off":
                    c[(t >= a.time_s) & (t < b.time_s)] = 1.0
            self._cols[f"truth_contact_{side}"] = c
        self._t = t + 5.0  # recordings may start at any time
        self.metadata = {"simulated": True, "patient": {"body_mass_kg": 70.0, "height_m": 1.7}}
        self.complete = True
        self.cut_off = None
        self.events: list[Any] = []
        self.channel_names = ["time", *self._cols]
        self.asked: list[str] | None = None

    def read(self, channels: list[str] | None = None, start_s: Any = None, end_s: Any = None,  # type: ignore[no-untyped-def]
             dtype: Any = np.float64):
        self.asked = channels
        names = channels or list(self._cols)
        data = {n: self._cols[n].astype(dtype) for n in names}
        return _TS(self._t, data)


class _TS:
    def __init__(self, t: np.ndarray, data: dict[str, np.ndarray]) -> None:
        self.time, self.data, self.sampling_rate_hz = t, data, 1000.0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name]


def test_gaitway_recording_adapter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data, truth, _ = generate(SyntheticGait(duration_s=15.0, seed=4))
    fake = _FakeRecording(data, truth)
    monkeypatch.setattr("gaitway.recording.open_recording", lambda p: fake, raising=False)
    r = analyze_path(_touch(tmp_path / "s.gwrec"))
    _check_schema(r)
    assert r["source"] == "simulated"
    assert "SIMULATED" in r["notes"][0]
    assert r["parameters"]["body_mass_kg"] == 70.0
    v = r["validation"]["events_vs_simulation_truth"]
    assert v["f1"] == 1.0
    # The synthetic load ramps start at exactly zero; the lower threshold is crossed a few ms
    # later (extrapolation to zero load is off by default: real labs mark at a threshold).
    assert v["p95_abs_error_ms"] < 10
    # Only the channels the analysis needs were read.
    assert fake.asked is not None
    assert "imu_acc_x" not in fake.asked
    assert r["events"][0]["time_s"] < 1.0  # measured from the start of the file
    assert set(r["emg"]) == {"emg_tibialis_anterior_left", "emg_tibialis_anterior_right"}


def _touch(p: Path) -> Path:
    p.write_bytes(b"")
    return p
