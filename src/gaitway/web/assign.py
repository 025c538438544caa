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

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic.models import Patient, Prescription
from gaitway.control.registry import check_controller
from gaitway.web.setup import StationSetup

#: the settings a prescription sets; a patient without one trains with the station defaults
_DEFAULTS = StationSetup(station_id="", name="", profile="", patient="", seed=0)


def apply_prescription(db: Session, setup: StationSetup) -> int | None:
    """Set ``setup``'s session settings from its patient's active prescription (duration,
    guidance, body-weight support, belt speed, controller); returns the prescription's id.
    None: the patient has none; guidance, support, speed and controller are then the station
    defaults again, not the prescription of the patient who trained there before."""
    rx = None
    if setup.patient_id is not None:
        rx = db.scalar(select(Prescription).where(
            Prescription.patient_id == setup.patient_id, Prescription.active))
    if rx is None:
        if setup.prescription_id is not None:  # a previous patient's prescription: undone
            setup.guidance_pct, setup.bws_pct = _DEFAULTS.guidance_pct, _DEFAULTS.bws_pct
            setup.speed_kmh, setup.controller = _DEFAULTS.speed_kmh, _DEFAULTS.controller
        setup.prescription_id = None
        return None
    setup.minutes, setup.guidance_pct, setup.bws_pct = (rx.duration_min, rx.guidance_pct,
                                                        rx.bws_pct)
    setup.speed_kmh, setup.controller = rx.speed_kmh, check_controller(rx.controller)
    setup.prescription_id = rx.id
    return rx.id


def with_patient(db: Session, setup: StationSetup, patient: Patient) -> StationSetup:
    """A copy of ``setup`` with ``patient`` on the station and their active prescription."""
    new = dataclasses.replace(setup, patient=patient.pseudonym, patient_id=patient.id,
                              therapists=set(setup.therapists))
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
