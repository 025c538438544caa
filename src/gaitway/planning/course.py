"""A virtual patient's course in the clinic store: the recovery state persists with the patient.

``enrol`` gives a simulated patient a twin profile and a starting state; after each imported
session ``advance`` reads the session's dose from the stored session (minutes, steps, guidance,
body-weight support, the measured active participation), updates the state and stores the new
one beside the old (one row per update, audited), and once a week records the virtual
patient's clinical tests (SIMULATED). ``twin_profile`` is the profile the next session walks
with, so session N+1 starts where session N left the patient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic import audit, records
from gaitway.clinic.models import Assessment, Patient, RecoveryRecord, TrainingSession
from gaitway.errors import UserError
from gaitway.planning.outcomes import assess
from gaitway.planning.recovery import (
    STATE_FIELDS,
    RecoveryState,
    TrainingDose,
    apply_to_profile,
    initial_state,
    update,
)
from gaitway.session.settings import in_patient_body
from gaitway.station.sim.profiles import PatientProfile, generate_cohort, get_profile

#: days since onset assumed when a patient has no onset date (a chronic patient)
DEFAULT_ONSET_DAYS: float = 365.0
#: virtual clinical tests are recorded at most this often
ASSESS_EVERY_D: float = 7.0
SIMULATED_NOTE: str = "SIMULATED: virtual patient's test, from its recovery state"


def base_profile(profile_id: str) -> PatientProfile:
    """A registered profile or a seeded cohort member (``cohort-SEED-INDEX``)."""
    parts = profile_id.split("-")
    if len(parts) == 3 and parts[0] == "cohort" and parts[1].isdigit() and parts[2].isdigit():
        seed, index = int(parts[1]), int(parts[2])
        if index >= 500:
            raise UserError(f"cohort patient {profile_id!r}: a cohort has at most 500")
        return generate_cohort(index + 1, seed)[index]
    return get_profile(profile_id)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def state_of(rec: RecoveryRecord) -> RecoveryState:
    return RecoveryState(**{name: getattr(rec, name) for name in STATE_FIELDS})


def latest_record(db: Session, patient: Patient) -> RecoveryRecord | None:
    return db.scalar(select(RecoveryRecord).where(RecoveryRecord.patient_id == patient.id)
                     .order_by(RecoveryRecord.id.desc()).limit(1))


def latest_state(db: Session, patient: Patient) -> RecoveryState | None:
    rec = latest_record(db, patient)
    return None if rec is None else state_of(rec)


def require_state(db: Session, patient: Patient) -> RecoveryState:
    state = latest_state(db, patient)
    if state is None:
        raise UserError(f"patient {patient.pseudonym} has no virtual patient on the twin; "
                        f"enrol one with 'gaitway plan enrol {patient.pseudonym} --profile ID'")
    return state


def _store(db: Session, patient: Patient, state: RecoveryState, *, session_id: str | None,
           when: dt.datetime) -> RecoveryRecord:
    rec = RecoveryRecord(patient_id=patient.id, session_id=session_id, recorded_at=when,
                         **asdict(state))
    db.add(rec)
    db.flush()
    return rec


def enrol(db: Session, patient: Patient, *, profile_id: str, seed: int, actor: str,
          days_since_onset_d: float | None = None, when: dt.datetime | None = None
          ) -> RecoveryState:
    """Give a simulated patient a twin profile and its starting state (audited)."""
    if not patient.simulated:
        raise UserError(f"patient {patient.pseudonym} is not simulated; only virtual patients "
                        "train on the twin's recovery model")
    if latest_record(db, patient) is not None:
        raise UserError(f"patient {patient.pseudonym} already has a virtual patient")
    if isinstance(seed, bool) or seed < 0:
        raise UserError(f"--seed must be a whole number, 0 or above, got {seed}")
    base = base_profile(profile_id)
    when = _aware(when or dt.datetime.now(dt.UTC))
    if days_since_onset_d is None:
        days_since_onset_d = (float((when.date() - patient.onset_date).days)
                              if patient.onset_date else DEFAULT_ONSET_DAYS)
    state = initial_state(base, seed=seed, days_since_onset_d=days_since_onset_d)
    _store(db, patient, state, session_id=None, when=when)
    audit.record(db, actor=actor, action="recovery.enrol", entity="patient",
                 entity_id=patient.id, profile=base.id, seed=seed,
                 days_since_onset_d=days_since_onset_d, simulated=True)
    return state


def dose_of(session: TrainingSession) -> TrainingDose:
    """What the stored session gave the patient (its columns, as the importer filled them)."""
    minutes = max(session.duration_s, 0.0) / 60.0
    return TrainingDose(
        minutes=minutes, steps=int(session.steps or 0),
        guidance_pct=float(min(max(session.guidance_pct or 0.0, 0.0), 100.0)),
        bws_pct=float(min(max(session.bws_pct or 0.0, 0.0), 100.0)),
        active_participation_pct=session.active_participation_pct,
    )


def twin_profile(db: Session, patient: Patient) -> PatientProfile:
    """The profile the patient's next session walks with: its base moved by the recovery, in
    the patient's body as their record has it."""
    state = require_state(db, patient)
    return in_patient_body(apply_to_profile(base_profile(state.profile), state),
                           patient.height_m, patient.body_mass_kg)


def advance(db: Session, patient: Patient, session: TrainingSession, *, actor: str
            ) -> RecoveryState:
    """The patient's state after ``session`` (stored once; a second call returns it)."""
    done = db.scalar(select(RecoveryRecord).where(RecoveryRecord.session_id == session.id))
    if done is not None:
        return state_of(done)
    last = latest_record(db, patient)
    if last is None:
        return require_state(db, patient)  # raises: say how to enrol
    state = state_of(last)
    when = _aware(session.started_at)
    days = max((when - _aware(last.recorded_at)).total_seconds() / 86400.0, 0.0)
    new = update(state, base_profile(state.profile), dose_of(session), days_elapsed_d=days)
    _store(db, patient, new, session_id=session.id, when=when)
    audit.record(db, actor=actor, action="recovery.advance", entity="patient",
                 entity_id=patient.id, session_id=session.id, simulated=True,
                 strength_left_frac=new.strength_left_frac,
                 strength_right_frac=new.strength_right_frac,
                 participation_frac=new.participation_frac)
    _assess_weekly(db, patient, new, when + dt.timedelta(hours=1), actor=actor)
    return new


def _assess_weekly(db: Session, patient: Patient, state: RecoveryState, when: dt.datetime,
                   *, actor: str) -> None:
    last = db.scalar(select(Assessment.performed_at).where(
        Assessment.patient_id == patient.id, Assessment.notes == SIMULATED_NOTE)
        .order_by(Assessment.performed_at.desc()).limit(1))
    if last is not None and (when - _aware(last)).total_seconds() < (ASSESS_EVERY_D - 0.5) * 86400:
        return
    when = min(when, dt.datetime.now(dt.UTC))
    a = assess(state, seed=state.seed, index=state.sessions_done)
    for test, value in (("10mwt", a.gait_speed_mps), ("6mwt", a.six_mwt_m), ("fac", a.fac)):
        records.add_assessment(db, actor=actor, patient=patient, test=test, value=float(value),
                               performed_at=when, notes=SIMULATED_NOTE)


def course(db: Session, patient: Patient) -> list[RecoveryState]:
    """Every stored state of the patient, oldest first."""
    rows = db.scalars(select(RecoveryRecord).where(RecoveryRecord.patient_id == patient.id)
                      .order_by(RecoveryRecord.id))
    return [state_of(r) for r in rows]


def catch_up(db: Session, patient: Patient, *, actor: str) -> RecoveryState | None:
    """Advance the state over every stored session it has not seen yet, oldest first (None:
    the patient has no virtual patient)."""
    first = db.scalar(select(RecoveryRecord).where(RecoveryRecord.patient_id == patient.id)
                      .order_by(RecoveryRecord.id).limit(1))
    if first is None:
        return None
    seen = select(RecoveryRecord.session_id).where(RecoveryRecord.session_id.is_not(None))
    todo = db.scalars(select(TrainingSession).where(
        TrainingSession.patient_id == patient.id, TrainingSession.id.not_in(seen))
        .order_by(TrainingSession.started_at))
    for s in todo:
        if _aware(s.started_at) >= _aware(first.recorded_at):
            advance(db, patient, s, actor=actor)
    return latest_state(db, patient)
