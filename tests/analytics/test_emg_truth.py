"""Onset matching and true onsets (issue 17 item 3); the twin run is in test_session_integration."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.analytics.emg_truth import match_onsets, true_bursts, true_onsets


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


def test_a_burst_at_the_threshold_is_neither_a_miss_nor_a_false_onset() -> None:
    """A burst that barely clears the threshold is found or missed by chance: not scored."""
    fs = 1000.0
    a = np.full(10_000, 0.01)
    a[1000:1400] = 0.5  # threshold 0.01 + 0.2 * 0.49 = 0.108
    a[4000:4400] = 0.12  # clears it by 0.012 of a height of 0.098 (margin: 0.049)
    a[7000:7400] = 0.5
    b = true_bursts(a, fs)
    assert np.allclose(b.onsets_s, [1.0, 4.0, 7.0])
    assert b.near_threshold.tolist() == [False, True, False]
    missed = match_onsets(np.array([1.01, 7.01]), b)
    found = match_onsets(np.array([1.01, 4.02, 7.01]), b)
    for m in (missed, found):
        assert (m.n_reference, m.matched, m.missed, m.false_onsets) == (2, 2, 0, 0)
        assert m.near_threshold == 1
    assert (missed.near_threshold_found, found.near_threshold_found) == (0, 1)
    # against the plain onsets the same burst counts
    assert match_onsets(np.array([1.01, 7.01]), b.onsets_s).missed == 1


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.floats(0.05, 1.0), st.floats(0.0, 0.19), st.floats(0.0, 0.9))
def test_only_onsets_within_the_margin_go_unscored(peak: float, dip: float,
                                                   margin: float) -> None:
    """A burst peaking near the threshold, or one after a rest that hardly dips under it, is
    not scored; clear onsets are."""
    fs = 1000.0
    a = np.full(6_000, 0.0)
    a[1000:1300] = 1.0  # sets the range: threshold 0.2
    a[1300:1400] = dip  # a rest of 100 ms (under the threshold: the next burst is new)
    a[1400:1700] = 1.0
    a[3000:3300] = peak
    b = true_bursts(a, fs, margin=margin)
    expected = 3 if peak > 0.2 else 2
    assert b.onsets_s.size == expected
    assert not b.near_threshold[0]  # from a full rest to the top
    assert bool(b.near_threshold[1]) == (dip > (1.0 - margin) * 0.2)
    if expected == 3:
        assert bool(b.near_threshold[2]) == (peak < (1.0 + margin) * 0.2)
