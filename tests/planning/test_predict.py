"""The hierarchical recovery-curve model: intervals, shrinkage, targets, the TWIST baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.errors import UserError
from gaitway.planning.calibration import course_series
from gaitway.planning.cohort import virtual_cohort
from gaitway.planning.predict import (
    HORIZONS_WEEKS,
    OUTCOMES,
    PatientCurve,
    Series,
    fit_population,
    forecast,
    outcome,
    twist_weeks_after_onset,
)


@pytest.fixture(scope="module")
def cohort_series() -> list[dict[str, Series]]:
    return [course_series(c) for c in virtual_cohort(8, seed=3, weeks=8)]


def test_population_fit_and_patient_curves(cohort_series) -> None:
    spec = outcome("gait_speed")
    pop = fit_population([s[spec.key] for s in cohort_series[1:]])
    assert pop.patients == 7
    assert pop.beta[1] > 0  # the population improves
    assert pop.noise_var > 0
    held = cohort_series[0][spec.key]
    early = PatientCurve.condition(pop, held.until(1.0))
    late = PatientCurve.condition(pop, held.until(6.0))
    assert late.sd([8.0])[0] < early.sd([8.0])[0]  # more data, narrower band
    prior = PatientCurve.condition(pop, Series((), ()))
    r = (2.0 / 6.0) ** 2
    assert np.allclose(prior.mean([2.0]), pop.beta @ [1.0, math.log1p(1.0), r / (1.0 + r)])
    f = forecast(spec, pop, held.until(3.0))
    assert [p.weeks for p in f.predictions] == list(HORIZONS_WEEKS)
    for p in f.predictions:
        assert p.low80 <= p.value <= p.high80
    assert set(f.to_json()) == {"unit", "trend_per_week", "predictions", "weeks_to_target"}
    assert set(f.to_json()["predictions"][0]) == {"weeks", "value", "low80", "high80"}
    w = f.weeks_to_target
    assert w is not None
    assert set(w) == {"0.4 m/s", "0.8 m/s"}
    if w["0.4 m/s"] is not None and w["0.8 m/s"] is not None:
        assert w["0.4 m/s"] <= w["0.8 m/s"]


def test_every_outcome_fits_on_the_cohort(cohort_series) -> None:
    for spec in OUTCOMES:
        pop = fit_population([s[spec.key] for s in cohort_series])
        f = forecast(spec, pop, cohort_series[0][spec.key].until(2.0))
        for p in f.predictions:
            assert spec.low <= p.low80 <= p.value <= p.high80 <= spec.high
        if spec.integer:
            assert all(float(p.low80).is_integer() for p in f.predictions)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(values=st.lists(st.floats(0.0, 2.0), min_size=1, max_size=12),
       spacing=st.floats(0.05, 3.0))
def test_forecast_stays_in_range_for_any_series(cohort_series, values, spacing) -> None:
    spec = outcome("gait_speed")
    pop = _pop(cohort_series)
    s = Series(tuple(i * spacing for i in range(len(values))), tuple(values))
    f = forecast(spec, pop, s)
    for p in f.predictions:
        assert 0.0 <= p.low80 <= p.value <= p.high80 <= 2.5
    assert math.isfinite(f.trend_per_week)


_CACHE: dict[str, object] = {}


def _pop(cohort_series):
    if "pop" not in _CACHE:
        _CACHE["pop"] = fit_population([s["gait_speed"] for s in cohort_series])
    return _CACHE["pop"]


def test_population_needs_two_patients() -> None:
    with pytest.raises(UserError, match="at least 2 patients"):
        fit_population([Series((0.0, 1.0), (0.2, 0.3))])
    with pytest.raises(UserError, match="unknown outcome"):
        outcome("happiness")


@pytest.mark.parametrize(("tct", "mrc", "weeks"), [
    (41.0, 0, 6.0), (100.0, 5, 6.0), (40.0, 3, 12.0), (12.0, 4, 12.0), (40.0, 2, None),
    (0.0, 0, None),
])
def test_twist_rule(tct: float, mrc: int, weeks: float | None) -> None:
    assert twist_weeks_after_onset(tct, mrc) == weeks
