"""The force-plate detector's lean parts give the numbers of the whole-array forms, bit for
bit: thresholds computed where asked for (no two whole-channel arrays per side) and the load
reference's percentile of a sum built in place."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.analytics.events import _hysteresis, _Levels, _total_load_percentile


def _whole(other: np.ndarray | None, c: float, level: float, n: int) -> np.ndarray:
    """The thresholds as the detector built them before: whole arrays, in place."""
    off = np.zeros(n)
    if other is not None and c:
        np.clip(other, 0, None, out=off)
        off *= c
    return off + level


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    n=st.integers(1, 200_000),
    c=st.sampled_from([0.0, 0.04, 0.1, 0.5]),
    level=st.floats(0.0, 500.0),
    with_other=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_levels_equal_whole_arrays(
    n: int, c: float, level: float, with_other: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    other = rng.normal(300.0, 400.0, n) if with_other else None
    want = _whole(other, c, level, n)
    lv = _Levels(n, level, other, c)
    assert np.array_equal(lv[0:n], want)
    a, b = sorted(rng.integers(0, n + 1, 2).tolist())
    assert np.array_equal(lv[a:b], want[a:b])
    for k in rng.integers(0, n, 5).tolist():
        assert lv[k] == want[k]
    # the hysteresis on computed thresholds is the one on whole arrays (chunk edges too)
    f = rng.normal(level, 2.0 * level + 1.0, n)
    hi = _Levels(n, level * 2.0 + 1.0, other, c)
    assert np.array_equal(_hysteresis(f, hi, lv), _hysteresis(f, hi[0:n], want))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(0, 50_000), sides=st.integers(1, 2), q=st.floats(0.0, 100.0),
       seed=st.integers(0, 2**16))
def test_property_total_load_percentile_equals_numpy(n: int, sides: int, q: float,
                                                     seed: int) -> None:
    rng = np.random.default_rng(seed)
    forces = [rng.normal(200.0, 300.0, n) for _ in range(sides)]
    copies = [f.copy() for f in forces]
    got = _total_load_percentile(forces, q)
    want = float(np.percentile(np.sum(forces, axis=0), q)) if n else 0.0
    assert got == want
    assert all(np.array_equal(f, g) for f, g in zip(forces, copies, strict=True))  # untouched
