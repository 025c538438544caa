from __future__ import annotations

from gaitway.analytics.validation import validate_real, validate_synthetic
from gaitway.harnesses.analytics_validation import _md

from .conftest import REAL


def test_real_recordings_are_plausible() -> None:
    rows = validate_real(REAL)
    plain = {"example_vertical_grf.csv", "treadmill_no_events.c3d"}  # no annotated events
    assert plain | {"treadmill_events.c3d", "overground_events.c3d"} == set(rows)
    for r in (rows[n] for n in plain):
        assert r["alternation_errors"] == 0
        assert r["events_inside_unloaded_swing"] == 0
        assert 55 <= r["stance_pct_median"] <= 70
        assert r["strides_with_stance_50_to_70_pct"] >= 0.9
    k = rows["treadmill_no_events.c3d"]["force_vs_kinematic_events"]
    assert k["all"]["f1"] > 0.9
    assert k["heel_strike"]["median_abs_error_ms"] < 40


def test_synthetic_cases_and_report() -> None:
    rows = validate_synthetic()
    for r in rows.values():
        assert r["force_plates"]["all"]["f1"] == 1.0
        # threshold delay on ramps that start at exactly zero load (see test_events)
        assert r["force_plates"]["all"]["p95_abs_error_ms"] < 20
    report = {
        "generated_utc": "now",
        "seconds": 1.0,
        "twin_profiles": {"available": False, "reason": "not in this test"},
        "synthetic": rows,
        "real": {},
        "emg": {"signals": "none", "channels": {}},
    }
    md = _md(report)
    assert "| symmetric | force_plates | 1.0 |" in md
    assert "Not run: not in this test." in md
