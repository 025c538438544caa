"""The recovery state persists with the patient: session N+1 starts where N left it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gaitway.clinic import audit, records
from gaitway.clinic.importer import import_data
from gaitway.clinic.models import Assessment, TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.clinic.synthetic import synthetic_session
from gaitway.errors import UserError
from gaitway.planning import course
from gaitway.planning.recovery import update

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_state_is_stored_per_session_and_reused(store: ClinicStore) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="SIM-R", simulated=True,
                                affected_side="left")
        s0 = course.enrol(db, p, profile_id="hemiparetic-left-moderate", seed=3, actor="t",
                          days_since_onset_d=14.0, when=T0 - dt.timedelta(days=1))
    for i in range(4):
        data = synthetic_session(seed=i + 1, started_at=T0 + dt.timedelta(days=2.5 * i),
                                 minutes=1.0, guidance_pct=60.0, bws_pct=30.0)
        sid = import_data(store, data, actor="t", patient_ref="SIM-R").session_id
        with store.transaction() as db:
            p = records.find_patient(db, "SIM-R")
            before = course.latest_state(db, p)
            session = db.get(TrainingSession, sid)
            after = course.advance(db, p, session, actor="t")
            assert course.advance(db, p, session, actor="t") == after  # once per session
        assert before is not None
        expected_days = 1.0 if i == 0 else 2.5
        assert after == update(before, course.base_profile(before.profile),
                               course.dose_of(session), days_elapsed_d=expected_days)
    with store.reader() as db:
        p = records.find_patient(db, "SIM-R")
        states = course.course(db, p)
        assert states[0] == s0
        assert len(states) == 5
        assert [s.sessions_done for s in states] == [0, 1, 2, 3, 4]
        assert states[-1].strength_left_frac > s0.strength_left_frac
        twin = course.twin_profile(db, p)
        assert twin.left.hip_strength > course.base_profile(s0.profile).left.hip_strength
        tests = db.scalars(select(Assessment).where(Assessment.patient_id == p.id)).all()
        assert {a.test for a in tests} == {"10mwt", "6mwt", "fac"}
        assert len(tests) == 6  # weekly: after the first and the fourth session
        assert all("SIMULATED" in (a.notes or "") for a in tests)
        actions = [e.action for e in audit.entries(db, entity="patient", entity_id=p.id)]
        assert actions.count("recovery.advance") == 4
        assert "recovery.enrol" in actions


def test_enrol_refuses_real_patients_and_twice(store: ClinicStore) -> None:
    with store.transaction() as db:
        real = records.add_patient(db, actor="t", pseudonym="P-REAL")
        with pytest.raises(UserError, match="not simulated"):
            course.enrol(db, real, profile_id="healthy", seed=1, actor="t")
        sim = records.add_patient(db, actor="t", pseudonym="SIM-2", simulated=True)
        course.enrol(db, sim, profile_id="cohort-4-001", seed=1, actor="t")
        with pytest.raises(UserError, match="already"):
            course.enrol(db, sim, profile_id="healthy", seed=1, actor="t")
        with pytest.raises(UserError, match="unknown profile"):
            course.enrol(db, records.add_patient(db, actor="t", simulated=True),
                         profile_id="nobody", seed=1, actor="t")
        none = records.add_patient(db, actor="t", pseudonym="SIM-3", simulated=True)
        with pytest.raises(UserError, match="plan enrol"):
            course.twin_profile(db, none)
