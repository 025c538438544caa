"""The progress report's forecast part: trend, band, targets, latest proposal, plain words."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from gaitway.clinic import records
from gaitway.clinic.importer import import_data
from gaitway.clinic.models import TrainingSession
from gaitway.clinic.reports.progress_report import progress_report
from gaitway.clinic.store import ClinicStore
from gaitway.clinic.synthetic import synthetic_session
from gaitway.planning import course, proposals
from gaitway.planning.forecast import patient_forecast
from gaitway.planning.report import add_forecast, band_weeks_to, plain_lines
from gaitway.planning.twin import twin_check

T0 = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)


def _history(store: ClinicStore) -> None:
    """Nine sessions of a recovering virtual patient (weekly tests come with them) under one
    prescription, tracked well enough for the rules to propose less guidance."""
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="SIM-R", simulated=True)
        course.enrol(db, p, profile_id="hemiparetic-left-moderate", seed=1, actor="t",
                     days_since_onset_d=10, when=T0)
        records.add_prescription(db, actor="t", patient=p, duration_min=20.0, speed_kmh=1.5,
                                 guidance_pct=60.0, bws_pct=35.0, controller="guidance",
                                 created_at=T0)
    for i in range(9):
        data = synthetic_session(seed=i + 1, started_at=T0 + dt.timedelta(days=2.5 * i + 0.1),
                                 minutes=0.5, guidance_pct=60.0, bws_pct=35.0)
        sid = import_data(store, data, actor="t", patient_ref="SIM-R").session_id
        with store.transaction() as db:
            course.advance(db, records.find_patient(db, "SIM-R"),
                           db.get(TrainingSession, sid), actor="t")
    with store.transaction() as db:
        for s in db.scalars(select(TrainingSession)):
            s.tracking_error_rms_deg = 2.0


def test_report_shows_trend_band_targets_and_the_latest_proposal(store: ClinicStore) -> None:
    _history(store)
    with store.transaction() as db:
        p = records.find_patient(db, "SIM-R")
        out = proposals.propose(db, p, actor="planner", check=twin_check, seconds=3.0)
        assert out.proposal is not None, out.message
    with store.reader() as db:
        p = records.find_patient(db, "SIM-R")
        content = progress_report(db, p)
        assert add_forecast(db, p, content)
        fc = patient_forecast(db, p)
    sections = dict(content.sections)
    likely = sections["What is likely next"]
    assert likely[0].startswith("On the current trend, your walking speed may be about")
    assert re.search(r"likely between \d\.\d\d and \d\.\d\d m/s", likely[0])
    assert any("not promises" in line for line in likely)
    assert any(line.startswith("SIMULATED") for line in likely)
    proposal = next(v for k, v in sections.items() if k.startswith("Latest proposal (pending)"))
    assert any(line.startswith("guidance 60 -> 50 %") for line in proposal)
    assert "completed" in proposal[-1]
    table = next(t for t in content.tables if t.title.startswith("Forecast on the current trend"))
    assert table.columns[1] == "trend"
    assert table.columns[-1] == "targets"
    speed_row = next(r for r in table.rows if r[0].startswith("gait speed"))
    assert re.fullmatch(r"[+-][\d.e+-]+/wk", speed_row[1])
    assert "0.4 m/s" in speed_row[-1]
    assert "0.8 m/s" in speed_row[-1]
    assert any(plot.title == "Gait speed: forecast band" for plot in content.plots)
    # the plain words' ranges are the forecast's own
    p4 = next(x for x in fc.outcomes["gait_speed"].predictions if x.weeks == 4.0)
    assert f"between {p4.low80:.2f} and {p4.high80:.2f} m/s" in plain_lines(fc)[0]

    # the band's dates bracket the trend's date to each target
    f, curve = fc.outcomes["gait_speed"], fc.curves["gait_speed"]
    for target in (0.4, 0.8, 1.2):
        trend = curve.weeks_to(target, now_weeks=f.now_weeks, higher_is_better=True)
        early, late = band_weeks_to(curve, target, now_weeks=f.now_weeks,
                                    higher_is_better=True)
        if trend is not None:
            assert early is not None
            assert early <= trend
            assert late is None or late >= trend
        else:
            assert late is None
