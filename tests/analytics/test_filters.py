"""The lean zero-phase filter returns scipy.signal.sosfiltfilt's numbers, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from gaitway.analytics.filters import sosfiltfilt


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    n=st.integers(40, 3000),
    order=st.integers(1, 6),
    cutoff_hz=st.floats(1.0, 400.0),
    band=st.booleans(),
    single=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_equals_scipy_sosfiltfilt(
    n: int, order: int, cutoff_hz: float, band: bool, single: bool, seed: int
) -> None:
    fs = 1000.0
    if band:
        sos = signal.butter(order, [cutoff_hz / 4, cutoff_hz], btype="bandpass", fs=fs,
                            output="sos")
    else:
        sos = signal.butter(order, cutoff_hz, btype="low", fs=fs, output="sos")
    x = (np.random.default_rng(seed).normal(size=n) * 100 + 50).astype(np.float32)
    edge = 3 * (2 * sos.shape[0] + 1)
    if single:
        sos = sos.astype(np.float32)
        if n <= edge:
            with pytest.raises(ValueError, match="padlen"):
                sosfiltfilt(sos, x, np.float32)
            return
        want = signal.sosfiltfilt(sos, x)
        got = sosfiltfilt(sos, x, np.float32)
    else:
        if n <= edge:
            with pytest.raises(ValueError, match="padlen"):
                sosfiltfilt(sos, x)
            return
        want = signal.sosfiltfilt(sos, x.astype(np.float64))
        got = sosfiltfilt(sos, x)
    assert got.dtype == want.dtype
    assert np.array_equal(got, want)
