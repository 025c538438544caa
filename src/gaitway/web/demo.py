"""Demo mode: three SIMULATED stations with virtual patients, and demo accounts.

Only ``--demo`` creates accounts with known passwords, and only in the demo store (its own
SQLite file unless GAITWAY_DATABASE_URL says otherwise); outside demo mode there is no
default password. The first virtual patient (the demo patient account's) gets a short
simulated history so that records, reports and the patient's progress page have something
to show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from sqlalchemy import select

from gaitway.clinic import care_team, records
from gaitway.clinic.models import Patient, Station, User
from gaitway.clinic.store import ClinicStore
from gaitway.web.assign import apply_prescription
from gaitway.web.live import demo_setups
from gaitway.web.setup import StationSetup

#: (username, role, password, station index or None for all / patient index)
DEMO_ACCOUNTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("admin", "admin", "demo-admin-pass"),
    ("therapist", "therapist", "demo-therapist-pass"),
    ("therapist2", "therapist", "demo-therapist2-pass"),
    ("patient1", "patient", "demo-patient-pass"),
)
ACTOR: Final[str] = "demo-setup"


def demo_pseudonym(i: int) -> str:
    """The demo history's pseudonym for virtual patient ``i`` (see gaitway.harnesses.demo_data)."""
    return f"SIM-DEMO-1-{i + 1:02d}"


def prepare_demo(store: ClinicStore, *, stations: int = 3, minutes: float = 30.0,
                 history_dir: Path | None = None,
                 progress: Callable[[str], object] | None = None) -> list[StationSetup]:
    """Demo accounts, patients (with a short simulated history when ``history_dir`` is given)
    and the station setups: ``therapist`` supervises every station and is on every demo
    patient's care team, ``therapist2`` only the last station and its patient, ``patient1``
    is the virtual patient on station 1."""
    if history_dir is not None:
        with store.reader() as db:
            have = db.scalar(select(Patient.id).where(Patient.pseudonym == demo_pseudonym(0)))
        if have is None:
            from gaitway.harnesses.demo_data import fill_demo_data

            fill_demo_data(store, patients=1, weeks=3, sessions_per_week=1, minutes=0.2,
                           out_dir=history_dir, actor=ACTOR, progress=progress)
    setups = demo_setups(stations, minutes=minutes, therapists=lambda i: (
        {"therapist", "therapist2"} if i == stations - 1 else {"therapist"}))
    with store.transaction() as db:
        for i, s in enumerate(setups):
            pseudo = demo_pseudonym(i)
            p = db.scalar(select(Patient).where(Patient.pseudonym == pseudo))
            if p is None:
                p = records.add_patient(db, actor=ACTOR, pseudonym=pseudo, simulated=True,
                                        diagnosis=f"virtual patient ({s.profile})")
            s.patient, s.patient_id = pseudo, p.id
            apply_prescription(db, s)
            if db.scalar(select(Station.id).where(Station.name == s.name)) is None:
                records.add_station(db, actor=ACTOR, name=s.name, simulated=True)
        for username, role, password in DEMO_ACCOUNTS:
            if db.scalar(select(User.id).where(User.username == username)) is None:
                patient = (db.scalar(select(Patient).where(
                    Patient.pseudonym == demo_pseudonym(0))) if role == "patient" else None)
                records.add_user(db, actor=ACTOR, username=username, role=role,
                                 password=password, patient=patient)
        for s in setups:
            p = db.get(Patient, s.patient_id)
            for name in sorted(s.therapists):
                user = records.find_user(db, name)
                if p is not None and name not in care_team.members(db, p):
                    care_team.assign(db, actor=ACTOR, patient=p, user=user)
    return setups


def setups_from_store(store: ClinicStore, *, stations: int = 3,
                      minutes: float = 30.0) -> list[StationSetup]:
    """Outside demo mode: simulated stations, assigned to therapists by the store's
    ``users.station_id`` (a therapist controls only the stations assigned to them)."""
    setups = demo_setups(stations, minutes=minutes)
    with store.transaction() as db:
        for s in setups:
            row = db.scalar(select(Station).where(Station.name == s.name))
            if row is None:
                row = records.add_station(db, actor=ACTOR, name=s.name, simulated=True)
            s.therapists = records.station_therapists(db, row)
            pid = db.scalar(select(Patient.id).where(Patient.pseudonym == s.patient))
            s.patient_id = pid
            apply_prescription(db, s)
    return setups
