"""Sessions on the patient's twin: the next session from the active prescription, and the short
check a proposal must pass.

A virtual patient's session takes its settings (duration, belt speed, guidance, body-weight
support, controller) from the patient's active prescription and walks with the profile the
recovery model says the patient has today (:func:`gaitway.planning.course.twin_profile`). It is
built by the one session builder (:class:`~gaitway.session.builder.SessionCore`), imported like
any session, stored with the prescription it followed, and moves the recovery state on, so the
session after it starts where it left the patient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from gaitway.clinic import audit, records
from gaitway.clinic.importer import import_data, read_session_dir
from gaitway.clinic.models import TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.control.registry import check_controller
from gaitway.errors import UserError
from gaitway.planning import course
from gaitway.planning.proposals import TwinCheckResult, active_prescription, settings_of
from gaitway.planning.recovery import RecoveryState
from gaitway.planning.rules import TrainingSettings
from gaitway.session.builder import SessionCore
from gaitway.session.settings import SessionSettings
from gaitway.station.sim.profiles import PatientProfile


def session_settings(s: TrainingSettings, *, profile_id: str, seed: int, session_index: int,
                     minutes: float | None = None) -> SessionSettings:
    """The session's typed settings from a prescription's (``minutes`` overrides its
    duration, e.g. for a short check)."""
    return SessionSettings(
        profile=profile_id, minutes=float(minutes if minutes is not None else s.duration_min),
        seed=seed, guidance_pct=s.guidance_pct, bws_pct=s.bws_pct, speed_kmh=s.speed_kmh,
        controller=check_controller(s.controller), session_index=session_index,
        hip_rom_scale=s.hip_rom_scale, knee_rom_scale=s.knee_rom_scale, patient_events=False,
    ).validate()


def twin_check(profile: PatientProfile, settings: TrainingSettings, *, seed: int,
               seconds: float) -> TwinCheckResult:
    """A short session with ``settings`` on ``profile`` (nothing recorded): did it end without
    a safety stop?"""
    ss = session_settings(settings, profile_id=profile.id, seed=seed, session_index=0,
                          minutes=seconds / 60.0)
    summary = SessionCore(ss, profile=profile).run()
    stopped = summary.safety.ended_by_fault or summary.ended_by != "completed"
    return TwinCheckResult(completed=not stopped, ended_by=summary.ended_by,
                           duration_s=summary.duration_s, strides=summary.strides.total,
                           profile=profile.id, seed=seed)


@dataclass(frozen=True)
class TwinSession:
    session_id: str
    prescription_id: int
    directory: Path
    ended_by: str
    state: RecoveryState


def run_next_session(store: ClinicStore, patient_ref: str, *, out_dir: Path, actor: str,
                     minutes: float | None = None, seed: int | None = None,
                     started_at: dt.datetime | None = None) -> TwinSession:
    """Run the patient's next session on the twin from the active prescription, import it,
    record the prescription it followed and move the recovery state on."""
    with store.transaction() as db:
        patient = records.find_patient(db, patient_ref)
        rx = active_prescription(db, patient)
        state = course.catch_up(db, patient, actor=actor) or course.require_state(db, patient)
        profile = course.twin_profile(db, patient)
        pseudonym, rx_id, settings = patient.pseudonym, rx.id, settings_of(rx)
    n = state.sessions_done
    ss = session_settings(settings, profile_id=profile.id,
                          seed=seed if seed is not None else state.seed * 1000 + n,
                          session_index=n, minutes=minutes)
    directory = Path(out_dir) / f"{pseudonym}-{n + 1:03d}-{ss.session_id[:8]}"
    if (directory / "summary.json").exists():
        raise UserError(f"{directory} already holds this session; it was run before "
                        "(give another --seed to run another)")
    summary = SessionCore(ss, out_dir=directory, profile=profile, patient=pseudonym).run()
    data = read_session_dir(directory)
    if started_at is not None:
        data.started_at = started_at
    result = import_data(store, data, actor=actor, patient_ref=pseudonym)
    with store.transaction() as db:
        patient = records.find_patient(db, pseudonym)
        session = db.get(TrainingSession, result.session_id)
        if session is None:
            raise UserError(f"session {result.session_id} was not stored")
        if session.prescription_id != rx_id:
            session.prescription_id = rx_id
        audit.record(db, actor=actor, action="session.prescription", entity="session",
                     entity_id=session.id, prescription_id=rx_id, simulated=True)
        new_state = course.advance(db, patient, session, actor=actor)
    return TwinSession(session_id=result.session_id, prescription_id=rx_id,
                       directory=directory, ended_by=summary.ended_by, state=new_state)
