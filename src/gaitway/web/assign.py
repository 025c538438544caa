"""Who trains on a console station, and with which settings: the clinic store decides.

A station's next session follows its patient's active prescription as it stands when the
session starts (``gaitway.web.api_stations`` reads it again before every start), so an approved
proposal or a prescription written in the console applies from the next start, without a server
restart. A therapist puts a patient of their care team on a station assigned to them; the
session the station then runs is imported under that patient with the prescription active when
it started (the importer), and the start's audit entry names the prescription.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaitway.clinic.models import Patient, Prescription, TrainingSession
from gaitway.control.registry import check_controller
from gaitway.errors import UserError
from gaitway.web.setup import StationSetup


def apply_prescription(db: Session, setup: StationSetup) -> int | None:
    """Set ``setup``'s session settings from its patient's active prescription (duration,
    guidance, body-weight support, belt speed, controller, range of motion); returns the
    prescription's id. None: the patient has none; all of them are then the station's own
    defaults again, never the prescription of the patient who trained there before."""
    rx = None
    if setup.patient_id is not None:
        rx = db.scalar(select(Prescription).where(
            Prescription.patient_id == setup.patient_id, Prescription.active))
    if rx is None:
        d = setup.defaults
        assert d is not None  # StationSetup.__post_init__ sets them
        setup.minutes, setup.guidance_pct, setup.bws_pct = d.minutes, d.guidance_pct, d.bws_pct
        setup.speed_kmh, setup.controller = d.speed_kmh, d.controller
        setup.hip_rom_scale, setup.knee_rom_scale = d.hip_rom_scale, d.knee_rom_scale
        setup.prescription_id = None
        return None
    setup.minutes, setup.guidance_pct, setup.bws_pct = (rx.duration_min, rx.guidance_pct,
                                                        rx.bws_pct)
    setup.speed_kmh, setup.controller = rx.speed_kmh, check_controller(rx.controller)
    setup.hip_rom_scale, setup.knee_rom_scale = rx.hip_rom_scale, rx.knee_rom_scale
    setup.prescription_id = rx.id
    return rx.id


def with_patient(db: Session, setup: StationSetup, patient: Patient) -> StationSetup:
    """A copy of ``setup`` with ``patient`` on the station, their active prescription, their
    height and body mass, and their course so far (the sessions stored for them number the
    next one). A real patient
    on a SIMULATED station (or a virtual one on a real station) is refused: their record
    could never hold the session."""
    if patient.simulated != setup.simulated:
        kinds = ("a real", "a virtual (SIMULATED)")
        raise UserError(f"{patient.pseudonym} is {kinds[patient.simulated]} patient and "
                        f"{setup.name} is {'a SIMULATED' if setup.simulated else 'a real'} "
                        f"station: put {kinds[setup.simulated]} patient on it")
    stored = db.scalar(select(func.count()).select_from(TrainingSession).where(
        TrainingSession.patient_id == patient.id)) or 0
    new = dataclasses.replace(setup, patient=patient.pseudonym, patient_id=patient.id,
                              therapists=set(setup.therapists), first_session_index=stored,
                              height_m=patient.height_m, body_mass_kg=patient.body_mass_kg)
    apply_prescription(db, new)
    return new


def next_session(db: Session, setup: StationSetup) -> StationSetup | None:
    """``setup`` as the next session should start it (the patient's prescription read now),
    or None when nothing changed (or the station replays a recording)."""
    if setup.replay is not None or setup.patient_id is None:
        return None
    patient = db.get(Patient, setup.patient_id)
    if patient is None:
        return None
    new = with_patient(db, setup, patient)
    return None if new == setup else new


__all__ = ["apply_prescription", "next_session", "with_patient"]
