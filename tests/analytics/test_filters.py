"""The lean zero-phase filters (one channel, or many in lockstep) return
scipy.signal.sosfiltfilt's numbers, bit for bit."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from gaitway.analytics import native_filter
from gaitway.analytics.filters import odd_extend, padded, padlen, sosfiltfilt, zero_phase


def _butter(order: int, cutoff_hz: float, band: bool, fs: float) -> npt.NDArray[np.float64]:
    """A Butterworth low-pass at ``cutoff_hz``, or a band-pass from a quarter of it to it."""
    if band:
        return np.asarray(signal.butter(order, [cutoff_hz / 4, cutoff_hz], btype="bandpass",
                                        fs=fs, output="sos"))
    return np.asarray(signal.butter(order, cutoff_hz, btype="low", fs=fs, output="sos"))


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
    sos = _butter(order, cutoff_hz, band, fs)
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


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    lengths=st.lists(st.sampled_from([40, 41, 333, 2048]), min_size=1, max_size=11),
    order=st.integers(1, 8),
    cutoff_hz=st.floats(1.0, 400.0),
    band=st.booleans(),
    single=st.booleans(),
    native=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_zero_phase_equals_scipy_channel_by_channel(
    lengths: list[int], order: int, cutoff_hz: float, band: bool, single: bool, native: bool,
    seed: int,
) -> None:
    """Channels padded and filtered in place, together (float32 of one length in lockstep
    through the compiled kernel, up to 8 a call; with the kernel switched off, scipy one by
    one), each equal to scipy.signal.sosfiltfilt of its own channel; channels of several
    lengths and more than 8 in a group; large and tiny values, zeros."""
    fs = 1000.0
    sos = _butter(order, cutoff_hz, band, fs)
    dtype = np.float32 if single else np.float64
    sos = sos.astype(dtype)
    edge = padlen(sos)
    rng = np.random.default_rng(seed)
    xs = [(rng.normal(size=n) * 10.0 ** rng.integers(-6, 4)).astype(dtype) for n in lengths]
    xs[0][: len(xs[0]) // 3] = 0.0
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_filter.ENV_SWITCH, "1" if native else "0")
        if native and native_filter.lockstep() is None:
            pytest.skip("the compiled filter was not built")
        if any(len(x) <= edge for x in xs):
            with pytest.raises(ValueError, match="padlen"):
                padded(min(lengths), edge, dtype)
            return
        exts = []
        for x in xs:
            ext = padded(len(x), edge, dtype)
            ext[edge : edge + len(x)] = x
            odd_extend(ext, edge)
            exts.append(ext)
        zero_phase(sos, exts)
    for x, ext in zip(xs, exts, strict=True):
        want = signal.sosfiltfilt(sos, x)
        got = ext[edge : edge + len(x)]
        assert got.dtype == want.dtype
        assert np.array_equal(got.view(np.uint8), np.ascontiguousarray(want).view(np.uint8))


def test_lockstep_kernel_is_built_in_ci() -> None:
    """The compiled filter loads where the package build compiled it (scripts/setup.sh), and
    refuses what it cannot take; a missing or foreign library loads as None."""
    kernel = native_filter.load()
    if kernel is None:
        message = f"the compiled filter {native_filter.LIBRARY} is missing: run scripts/setup.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    x = np.zeros(100, dtype=np.float32)
    sos = signal.butter(2, 10.0, fs=1000.0, output="sos").astype(np.float32)
    with pytest.raises(ValueError, match="1-8 channels"):
        kernel.run(sos, [x] * 9, np.zeros((9, 1, 2), np.float32), backward=False)
    with pytest.raises(ValueError, match="float32"):
        kernel.run(sos, [x.astype(np.float64)], np.zeros((1, 1, 2), np.float32), backward=False)
    assert native_filter.load(Path("/nonexistent/libgwfilter.so")) is None
