"""The demo clinic's history: recovering virtual patients under approved proposals."""

from __future__ import annotations

import itertools
from pathlib import Path

from sqlalchemy import func, select

from gaitway.clinic import audit, records
from gaitway.clinic.models import Proposal, RecoveryRecord, TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.harnesses.demo_course import VIRTUAL_THERAPIST, DemoProgress, fill_demo_course


def test_demo_course_trains_and_resumes(tmp_path: Path) -> None:
    store = ClinicStore(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    seen: list[DemoProgress] = []
    ran = fill_demo_course(store, pseudonyms=["SIM-DEMO-T-01"], weeks=2, sessions_per_week=2,
                           minutes=0.1, out_dir=tmp_path / "runs", progress=seen.append)
    assert ran == 4
    assert [p.session for p in seen] == [1, 2, 3, 4]
    assert all("SIMULATED" in p.line() for p in seen)
    with store.reader() as db:
        p = records.find_patient(db, "SIM-DEMO-T-01")
        sessions = db.scalars(select(TrainingSession).where(
            TrainingSession.patient_id == p.id).order_by(TrainingSession.started_at)).all()
        assert len(sessions) == 4
        assert all(s.simulated and s.prescription_id is not None for s in sessions)
        days = [(b.started_at - a.started_at).days for a, b in itertools.pairwise(sessions)]
        assert days == [3, 3, 3]  # spread over the past weeks
        assert db.scalar(select(func.count()).select_from(RecoveryRecord)) == 5
        approved = db.scalars(select(Proposal).where(Proposal.status == "approved")).all()
        for prop in approved:
            assert prop.decided_by == VIRTUAL_THERAPIST
        assert {e.action for e in audit.entries(db)} >= {"recovery.enrol", "recovery.advance"}
    assert fill_demo_course(store, pseudonyms=["SIM-DEMO-T-01"], weeks=2, sessions_per_week=2,
                            minutes=0.1, out_dir=tmp_path / "runs") == 0
    store.close()


def test_demo_course_runs_in_a_background_process(tmp_path: Path) -> None:
    from gaitway.harnesses.demo_course import start_demo_course

    url = f"sqlite:///{tmp_path / 'bg.sqlite'}"
    ClinicStore(url).close()  # migrated before the child opens it
    proc = start_demo_course(url, ["SIM-DEMO-BG-01"], tmp_path / "runs", weeks=1,
                             sessions_per_week=1, minutes=0.05)
    proc.join(240)
    assert proc.exitcode == 0
    with ClinicStore(url) as store, store.reader() as db:
        p = records.find_patient(db, "SIM-DEMO-BG-01")
        n = db.scalar(select(func.count()).select_from(TrainingSession).where(
            TrainingSession.patient_id == p.id))
    assert n == 1
