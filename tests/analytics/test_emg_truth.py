"""Onset matching and true onsets (issue 17 item 3); the twin run is in test_session_integration."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.analytics.emg_truth import match_onsets, true_onsets


def test_match_pairs_one_to_one_nearest_first() -> None:
    m = match_onsets(np.array([1.00, 1.05, 3.0]), np.array([1.04, 2.0]), tolerance_s=0.1)
    assert (m.matched, m.missed, m.false_onsets) == (1, 1, 2)
    assert m.mean_error_ms == 10.0  # 1.05 - 1.04, not 1.00


def test_true_onsets_follow_the_bursts() -> None:
    fs = 1000.0
    a = np.full(10_000, 0.01)
    for start in (1000, 4000, 7000):
        a[start : start + 400] = 0.5
    assert np.allclose(true_onsets(a, fs), [1.0, 4.0, 7.0])
    assert true_onsets(np.full(1000, 0.2), fs).size == 0  # no bursts: no onsets


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.lists(st.floats(0, 100, allow_nan=False), max_size=30),
       st.floats(-0.09, 0.09), st.floats(0.01, 0.5))
def test_shifted_copy_matches_all(times: list[float], shift: float, tol: float) -> None:
    ref = np.unique(np.round(np.array(times), 1))  # at least 0.1 s apart
    m = match_onsets(ref + shift, ref, tolerance_s=max(tol, abs(shift) + 1e-9))
    if abs(shift) < 0.05:  # nearer to its own reference than to any other
        assert m.matched == ref.size
        assert m.false_onsets == 0
    assert m.matched + m.missed == ref.size
    assert m.matched + m.false_onsets == ref.size
