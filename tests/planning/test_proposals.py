"""Proposals: offered only after the twin's check, decided by a therapist, every step audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gaitway.clinic import audit, records
from gaitway.clinic.importer import import_data
from gaitway.clinic.models import Prescription, TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.clinic.synthetic import synthetic_session
from gaitway.errors import UserError
from gaitway.planning import course, proposals
from gaitway.planning.rules import TrainingSettings
from gaitway.station.sim.profiles import PatientProfile

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class RecordedCheck:
    """A twin check that answers as told and remembers what it was asked (the real one runs
    the twin: tests/planning/test_loop.py)."""

    def __init__(self, completed: bool) -> None:
        self.completed = completed
        self.calls: list[tuple[PatientProfile, TrainingSettings]] = []

    def __call__(self, profile: PatientProfile, settings: TrainingSettings, *, seed: int,
                 seconds: float) -> proposals.TwinCheckResult:
        self.calls.append((profile, settings))
        return proposals.TwinCheckResult(
            completed=self.completed, ended_by="completed" if self.completed else
            "fault: interaction torque", duration_s=seconds, strides=10, profile=profile.id,
            seed=seed)


def _patient_with_sessions(store: ClinicStore, n: int = 3) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="SIM-Q", simulated=True,
                                affected_side="left")
        course.enrol(db, p, profile_id="hemiparetic-left-moderate", seed=2, actor="t",
                     days_since_onset_d=20.0, when=T0 - dt.timedelta(days=2))
        records.add_prescription(db, actor="therapist", patient=p, duration_min=20.0,
                                 speed_kmh=1.5, guidance_pct=60.0, bws_pct=30.0,
                                 controller="guidance", created_at=T0 - dt.timedelta(days=1))
    for i in range(n):
        data = synthetic_session(seed=i + 1, started_at=T0 + dt.timedelta(days=2 * i),
                                 minutes=0.5, guidance_pct=60.0, bws_pct=30.0,
                                 participation_nm=-1.5 + 0.2 * i, asymmetry=0.05)
        import_data(store, data, actor="t", patient_ref="SIM-Q")
    with store.transaction() as db:  # the station reported good tracking
        for s in db.scalars(select(TrainingSession)):
            s.tracking_error_rms_deg = 2.0


def test_propose_approve_makes_the_active_prescription(store: ClinicStore) -> None:
    _patient_with_sessions(store)
    check = RecordedCheck(completed=True)
    with store.transaction() as db:
        p = records.find_patient(db, "SIM-Q")
        out = proposals.propose(db, p, actor="cli:planner", check=check)
        assert out.proposal is not None
        pid = out.proposal.id
        assert out.proposal.guidance_pct == 50.0
        assert proposals.proposal_json(out.proposal)["reasons"][0].startswith(
            "guidance 60 -> 50 %")
        profile, settings = check.calls[0]
        assert profile.left.hip_strength > 0.55  # the recovering twin, not the base profile
        assert settings.guidance_pct == 50.0
        rx_before = proposals.active_prescription(db, p).id
    with store.transaction() as db:  # nothing applied before the decision
        assert proposals.active_prescription(db, records.find_patient(db, "SIM-Q")).id == \
            rx_before
        rx = proposals.approve(db, pid, actor="therapist", edits={"bws_pct": 28.0},
                               note="a bit less support")
        assert (rx.guidance_pct, rx.bws_pct, rx.active) == (50.0, 28.0, True)
        assert not db.get(Prescription, rx_before).active
        with pytest.raises(UserError, match="approved"):
            proposals.reject(db, pid, actor="therapist")
    with store.reader() as db:
        actions = [e.action for e in audit.entries(db, entity="proposal", entity_id=pid)]
        assert actions == ["proposal.create", "proposal.approve.edited"]


def test_withheld_when_the_twin_stops_and_rejected_stays_put(store: ClinicStore) -> None:
    _patient_with_sessions(store)
    with store.transaction() as db:
        p = records.find_patient(db, "SIM-Q")
        out = proposals.propose(db, p, actor="planner", check=RecordedCheck(completed=False))
        assert out.proposal is None
        assert "not offered" in out.message
        withheld = [e for e in audit.entries(db, entity="patient", entity_id=p.id)
                    if e.action == "proposal.withheld"]
        assert len(withheld) == 1
        out = proposals.propose(db, p, actor="planner", check=RecordedCheck(completed=True))
        assert out.proposal is not None
        rx = proposals.active_prescription(db, p).id
        proposals.reject(db, out.proposal.id, actor="therapist", note="not today")
        assert proposals.active_prescription(db, p).id == rx
        with pytest.raises(UserError, match="rejected"):
            proposals.approve(db, out.proposal.id, actor="therapist")
        with pytest.raises(UserError, match="no proposal"):
            proposals.approve(db, 999, actor="therapist")
        again = proposals.propose(db, p, actor="planner", check=RecordedCheck(completed=True))
        assert again.proposal is not None
        with pytest.raises(UserError, match="cannot edit"):
            proposals.approve(db, again.proposal.id, actor="t", edits={"controller": 1.0})
        with pytest.raises(UserError, match="guidance"):
            proposals.approve(db, again.proposal.id, actor="t", edits={"guidance_pct": 150.0})


def test_no_sessions_or_prescription_means_no_proposal(store: ClinicStore) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="P-NONE")
        with pytest.raises(UserError, match="no active prescription"):
            proposals.propose(db, p, actor="t", check=RecordedCheck(True))
        records.add_prescription(db, actor="t", patient=p, duration_min=20.0, speed_kmh=1.5,
                                 guidance_pct=60.0, bws_pct=30.0, controller="guidance")
        out = proposals.propose(db, p, actor="t", check=RecordedCheck(True))
        assert out.proposal is None
        assert "no session" in out.message
