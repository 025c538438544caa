"""Reading a recording's channels as float32 (half the memory) gives the float64 results.

Tolerances: event times within 0.1 ms (one tenth of a sample at 1 kHz), every numeric value
of the result within 1e-3 relative or 1e-4 absolute, the same strides and events.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gaitway.analytics.analyze import analyze_data
from gaitway.analytics.readers.recording_reader import read_recording
from gaitway.clinic.synthetic import write_session_dir
from gaitway.recording import open_recording


def _pairs(a: Any, b: Any, path: str = "") -> list[tuple[str, float, float]]:
    if isinstance(a, dict):
        assert set(a) == set(b), path
        return [p for k in a for p in _pairs(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list):
        assert len(a) == len(b), path
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in
                _pairs(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [(path, a, b)]
    assert a == b, path
    return []


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("f32") / "s"
    write_session_dir(d, seconds=30.0)
    return d


def test_float32_channels_give_the_float64_results(session: Path) -> None:
    d64, t64 = read_recording(session, channel_dtype=np.float64)
    d32, t32 = read_recording(session)
    assert d32.forces is not None
    assert d32.forces.channels["grf_z_left"].dtype == np.float32
    assert d32.forces.time.dtype == np.float64
    r64 = analyze_data(d64, truth=t64)
    r32 = analyze_data(d32, truth=t32)
    ev64 = [(e["side"], e["kind"]) for e in r64["events"]]
    assert ev64 == [(e["side"], e["kind"]) for e in r32["events"]]
    for a, b in zip(r64["events"], r32["events"], strict=True):
        assert abs(a["time_s"] - b["time_s"]) <= 1e-4
    for path, a, b in _pairs(r64, r32):
        assert math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-4), (path, a, b)


def test_reader_float32_keeps_time_and_recovery(session: Path) -> None:
    rec = open_recording(session)
    full = rec.read(["grf_z_left"])
    half = rec.read(["grf_z_left"], dtype=np.float32)
    assert half.time.dtype == np.float64
    assert np.array_equal(full.time, half.time)
    assert np.allclose(full["grf_z_left"], half["grf_z_left"], rtol=1e-6, atol=1e-4)
    assert rec.losses == []
