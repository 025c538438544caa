"""Progress: trends, changes against MDC/MCID by speed band, Perry categories, sentences."""

from __future__ import annotations

import datetime as dt

import pytest

from gaitway.clinic import records
from gaitway.clinic.measures import speed_band
from gaitway.clinic.progress import (
    AssessmentPoint,
    PatientHistory,
    ProgressModel,
    SessionPoint,
    patient_progress,
)
from gaitway.clinic.store import ClinicStore

from .helpers import T0, course


def _session(day: float, **values: float) -> SessionPoint:
    return SessionPoint(f"s{day}", T0 + dt.timedelta(days=day), "complete", 1800.0,
                        dict(values))


@pytest.mark.parametrize(("speed", "band"), [(0.1, "household"), (0.39, "household"),
                                             (0.4, "limited"), (0.8, "community"),
                                             (1.3, "community")])
def test_perry_categories(speed: float, band: str) -> None:
    assert speed_band(speed).key == band


def test_gait_speed_change_uses_baseline_band_thresholds() -> None:
    def verdict(first: float, latest: float) -> str:
        h = PatientHistory("P", False, "left", None, assessments=[
            AssessmentPoint("10mwt", first, T0), AssessmentPoint("10mwt", latest,
                                                                 T0 + dt.timedelta(days=20))])
        (c,) = [c for c in ProgressModel().compute(h).changes_ if c.key == "10mwt"]
        return c.verdict

    assert verdict(0.30, 0.42) == "real change"  # household band: MDC 0.10, MCID 0.16
    assert verdict(0.30, 0.47) == "clinically important"
    assert verdict(0.60, 0.72) == "within measurement error"  # limited band: MDC 0.15
    assert verdict(0.90, 1.05) == "within measurement error"  # community band: MDC 0.18
    assert verdict(0.60, 0.77) == "real change"  # limited band: MCID 0.175 (Fulk 2011)
    assert verdict(0.60, 0.78) == "clinically important"
    # community band: MCID 0.10 (Perera 2006) is below the MDC 0.18, so the MDC decides
    assert verdict(0.90, 1.07) == "within measurement error"
    assert verdict(0.90, 1.09) == "clinically important"


def test_every_threshold_names_its_source() -> None:
    from gaitway.clinic.measures import CLINICAL_TESTS, SPEED_BANDS

    for band in SPEED_BANDS:
        assert "Lewek" in band.source
        assert band.mdc_mps > 0
        assert band.mcid_mps > 0
    assert [b.mcid_mps for b in SPEED_BANDS] == [0.16, 0.175, 0.10]
    for test in CLINICAL_TESTS.values():
        if test.mdc is not None or test.mcid is not None:
            assert any(ch.isdigit() for ch in test.source) or "ordinal" in test.source
    assert CLINICAL_TESTS["tug"].mdc == 2.9  # Flansbjer 2005
    assert CLINICAL_TESTS["6mwt"].code == "64098-7"  # LOINC: walking distance 6 minutes


def test_tug_lower_is_better() -> None:
    h = PatientHistory("P", False, None, None, assessments=[
        AssessmentPoint("tug", 25.0, T0), AssessmentPoint("tug", 20.0, T0 + dt.timedelta(7))])
    (c,) = ProgressModel().compute(h).changes_
    assert c.improved is True
    assert c.verdict == "real change"
    assert c.delta == -5.0


def test_patient_sentences_compare_with_last_week() -> None:
    h = PatientHistory("P", False, "right", None, sessions=[
        _session(0, steps=700, weight_bearing_right_pct=30.0, guidance_pct=80, bws_pct=40),
        _session(3, steps=705, weight_bearing_right_pct=35.0, guidance_pct=80, bws_pct=40),
        _session(7, steps=715, weight_bearing_right_pct=42.0, guidance_pct=70, bws_pct=40),
    ])
    lines = ProgressModel().compute(h).lines_
    assert "Today, you took 15 more steps than last week." in lines
    assert "Your right leg is now bearing 40 % more weight than last week." in lines
    assert any("less guidance" in line and "70 %" in line for line in lines)
    assert not any("body-weight support" in line for line in lines)


def test_trend_slope_per_week() -> None:
    h = PatientHistory("P", False, None, None, sessions=[
        _session(d, bws_pct=50 - d) for d in (0, 7, 14, 21)])
    m = ProgressModel().compute(h)
    assert m.series_["bws_pct"].slope_per_week == pytest.approx(-7.0)
    assert m.series_["steps"].slope_per_week is None


def test_progress_from_the_store(store: ClinicStore) -> None:
    course(store, n=5)
    with store.transaction() as db:
        p = records.find_patient(db, "SIM-A")
        records.add_assessment(db, actor="t", patient=p, test="10mwt", value=0.3,
                               performed_at=T0)
        records.add_assessment(db, actor="t", patient=p, test="10mwt", value=0.5,
                               performed_at=T0 + dt.timedelta(days=14))
    with store.reader() as db:
        m = patient_progress(db, records.find_patient(db, "SIM-A"))
    assert len(m.history_.sessions) == 5
    assert m.series_["guidance_pct"].values == pytest.approx([90, 85, 80, 75, 70])
    assert m.band_ is not None
    assert m.band_.key == "limited"
    speed = next(c for c in m.changes_ if c.key == "10mwt")
    assert speed.verdict == "clinically important"
    assert speed.improved
    assert any("limited community walker" in line for line in m.lines_)


def test_interrupted_sessions_stay_out_of_trends_and_changes() -> None:
    short = SessionPoint("s9", T0 + dt.timedelta(days=9), "interrupted", 20.0, {"steps": 2.0})
    h = PatientHistory("P", False, None, None, sessions=[
        _session(0, steps=700), _session(7, steps=715), short])
    m = ProgressModel().compute(h)
    assert m.series_["steps"].values == [700, 715]
    (c,) = [c for c in m.changes_ if c.key == "steps"]
    assert (c.first, c.latest) == (700, 715)
    only_cut = PatientHistory("P", False, None, None, sessions=[short])
    assert ProgressModel().compute(only_cut).series_["steps"].values == [2.0]


def test_no_weekly_trend_from_sessions_on_one_day() -> None:
    h = PatientHistory("P", False, None, None, sessions=[
        _session(d / 24, steps=700 + 10 * d) for d in (0, 1, 2, 3)])
    assert ProgressModel().compute(h).series_["steps"].slope_per_week is None
