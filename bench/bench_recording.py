"""Benchmarks of session recordings: append cost, size on disk, read-back speed.

The signals are synthetic (simulated) but shaped like a session's: smooth joint angles and
forces at the stride frequency with sensor noise, step-like contacts and buttons, and white-ish
EMG noise. Run through bench/run.py, or directly: ``python bench/bench_recording.py [--quick]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

# from gaitway.recording import RecordingWriter, open_recording
from gaitway.station.channels import RECORDED_CHANNELS, TRUTH_CHANNELS, ChannelSpec

FloatArray = npt.NDArray[np.float64]

STRIDE_HZ = 0.9
#: sensor noise standard deviation per unit (simulated station's order of magnitude)
NOISE = {"rad": 2e-5, "rad/s": 2e-3, "N*m": 0.02, "A": 0.005, "N": 0.3, "m": 2e-5,
         "m/s": 1e-4, "m/s^2": 0.02, "degC": 0.0, "1": 0.0, "V": 1e-4}


def _signal(spec: ChannelSpec, t: FloatArray, rng: np.random.Generator) -> FloatArray:
    """A plausible (simulated) trace for one channel over times ``t``."""
    phase = 2 * np.pi * STRIDE_HZ * t + rng.uniform(0, 2 * np.pi)
    n = t.size
    name, unit = spec.name, spec.unit
    if name == "time":
        return t.copy()
    if unit in ("bool", "bits"):
        return np.zeros(n)
    if name.startswith("truth_contact"):
        return (np.sin(phase) > -0.2).astype(np.float64)
    if "phase" in name:
        return (STRIDE_HZ * t + rng.uniform()) % 1.0
    if unit == "degC":
        return 30.0 + 0.002 * t
    if unit == "1":
        return np.full(n, 0.6) + 0.05 * np.sin(2 * np.pi * t / 120.0)
    if unit == "V":
        return rng.normal(0.0, NOISE["V"], n) * (1.0 + 0.8 * np.sin(phase))
    amplitude = {"rad": 0.4, "rad/s": 3.0, "N*m": 20.0, "A": 2.0, "N": 300.0, "m": 0.05,
                 "m/s": 0.05, "m/s^2": 2.0}.get(unit, 1.0)
    base = amplitude * (np.sin(phase) + 0.3 * np.sin(2 * phase + 1.0) + 0.1 * np.sin(3 * phase))
    if name.startswith(("ref_", "cmd_", "truth_")):
        return base  # computed, not measured: no sensor noise
    return base + rng.normal(0.0, NOISE.get(unit, 0.0), n)


def synthetic(
    channels: tuple[ChannelSpec, ...], n: int, seed: int = 0, dt: float = 0.001
) -> FloatArray:
    """(n, len(channels)) simulated rows, time in column 0 when channels start with time."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) * dt
    return np.column_stack([_signal(c, t, rng) for c in channels])
