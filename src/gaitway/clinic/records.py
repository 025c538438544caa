"""Patients, stations, users, prescriptions and assessments: checked input, audited writes.

Every function that writes takes the open transaction and the acting user's name, adds an
audit entry beside the change, and raises :class:`UserError` on bad input before touching
the database, so a rejected command leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaitway.clinic import audit
from gaitway.clinic.measures import clinical_test
from gaitway.clinic.models import (
    ROLES,
    SEXES,
    SIDES_AFFECTED,
    Assessment,
    Patient,
    Prescription,
    Station,
    TrainingSession,
    User,
)
from gaitway.clinic.security import hash_password
from gaitway.control.belt import MIN_SPEED_M_S
from gaitway.control.registry import check_controller
from gaitway.errors import UserError
from gaitway.gait.reference import DEFAULT_HEIGHT_M, JointRom, RomSettings, check_walkable
from gaitway.session.settings import SETTING_RANGES

_PSEUDONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _check_choice(name: str, value: str | None, choices: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if value not in choices:
        raise UserError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


#: a prescribed session's length (min, max minutes): a visit's training, at most two hours
PRESCRIPTION_DURATION_MIN: Final[tuple[float, float]] = (1.0, 120.0)


def _check_range(name: str, value: float | None, low: float, high: float, unit: str) -> None:
    if value is not None and not low <= value <= high:
        raise UserError(f"{name} must be within {low}-{high} {unit}, got {value}")


def next_pseudonym(db: Session, prefix: str = "P") -> str:
    n = db.scalar(select(func.count()).select_from(Patient)) or 0
    while True:
        n += 1
        candidate = f"{prefix}{n:04d}"
        if db.scalar(select(Patient.id).where(Patient.pseudonym == candidate)) is None:
            return candidate


def add_patient(
    db: Session,
    *,
    actor: str,
    pseudonym: str | None = None,
    sex: str | None = None,
    birth_year: int | None = None,
    height_m: float | None = None,
    body_mass_kg: float | None = None,
    diagnosis: str | None = None,
    affected_side: str | None = None,
    onset_date: dt.date | None = None,
    simulated: bool = False,
) -> Patient:
    """Register a pseudonymous patient (a pseudonym is made when none is given)."""
    if pseudonym is not None and not _PSEUDONYM.match(pseudonym):
        raise UserError(
            f"pseudonym {pseudonym!r} must be 1-64 letters, digits, '_', '.' or '-' "
            "(and never a real name)"
        )
    _check_choice("sex", sex, SEXES)
    _check_choice("affected side", affected_side, SIDES_AFFECTED)
    this_year = dt.date.today().year
    if birth_year is not None:
        _check_range("birth year", birth_year, 1900, this_year, "")
    _check_range("height", height_m, 1.0, 2.3, "m")
    _check_range("body mass", body_mass_kg, 20.0, 250.0, "kg")
    if onset_date is not None and onset_date > dt.date.today():
        raise UserError(f"date of onset {onset_date} is in the future")
    if pseudonym is None:
        pseudonym = next_pseudonym(db, "SIM" if simulated else "P")
    elif db.scalar(select(Patient.id).where(Patient.pseudonym == pseudonym)) is not None:
        raise UserError(f"patient {pseudonym} already exists; choose another pseudonym")
    patient = Patient(
        pseudonym=pseudonym, sex=sex, birth_year=birth_year, height_m=height_m,
        body_mass_kg=body_mass_kg, diagnosis=diagnosis, affected_side=affected_side,
        onset_date=onset_date, simulated=simulated,
    )
    db.add(patient)
    db.flush()
    audit.record(db, actor=actor, action="patient.add", entity="patient", entity_id=patient.id,
                 pseudonym=pseudonym, simulated=simulated)
    return patient


def update_patient(db: Session, *, actor: str, patient: Patient, **changes: Any) -> Patient:
    """Change a patient's demographics or clinical facts (``changes`` by field name; the
    pseudonym and the simulated flag stay), checked as when the patient was added."""
    editable = {"sex", "birth_year", "height_m", "body_mass_kg", "diagnosis", "affected_side",
                "onset_date"}
    unknown = set(changes) - editable
    if unknown:
        raise UserError(f"cannot change {', '.join(sorted(unknown))}; editable: "
                        f"{', '.join(sorted(editable))}")
    _check_choice("sex", changes.get("sex"), SEXES)
    _check_choice("affected side", changes.get("affected_side"), SIDES_AFFECTED)
    if changes.get("birth_year") is not None:
        _check_range("birth year", changes["birth_year"], 1900, dt.date.today().year, "")
    _check_range("height", changes.get("height_m"), 1.0, 2.3, "m")
    _check_range("body mass", changes.get("body_mass_kg"), 20.0, 250.0, "kg")
    onset = changes.get("onset_date")
    if onset is not None and onset > dt.date.today():
        raise UserError(f"date of onset {onset} is in the future")
    old = {k: getattr(patient, k) for k in changes}
    for k, v in changes.items():
        setattr(patient, k, v)
    db.flush()
    audit.record(db, actor=actor, action="patient.update", entity="patient",
                 entity_id=patient.id, old=old, new=changes)
    return patient


def find_patient(db: Session, ref: str) -> Patient:
    """A patient by pseudonym (or numeric id), with an error that says how to list them."""
    patient = db.scalar(select(Patient).where(Patient.pseudonym == ref))
    if patient is None and ref.isdigit():
        patient = db.get(Patient, int(ref))
    if patient is None:
        raise UserError(f"no patient {ref!r}; see 'gaitway patients list'")
    return patient


def list_patients(db: Session) -> list[Patient]:
    return list(db.scalars(select(Patient).order_by(Patient.pseudonym)))


def add_station(db: Session, *, actor: str, name: str, location: str | None = None,
                simulated: bool = False) -> Station:
    if not name.strip():
        raise UserError("a station needs a name")
    if db.scalar(select(Station.id).where(Station.name == name)) is not None:
        raise UserError(f"station {name!r} already exists")
    station = Station(name=name, location=location, simulated=simulated)
    db.add(station)
    db.flush()
    audit.record(db, actor=actor, action="station.add", entity="station", entity_id=station.id,
                 name=name)
    return station


def station_by_name(db: Session, name: str, *, actor: str, simulated: bool) -> Station:
    """The named station, registered on first use (imports name the station they came from)."""
    station = db.scalar(select(Station).where(Station.name == name))
    return station or add_station(db, actor=actor, name=name, simulated=simulated)


def station_therapists(db: Session, station: Station) -> set[str]:
    """The therapists assigned to ``station`` (``users.station_id``): the ones who see it."""
    return set(db.scalars(select(User.username).where(
        User.station_id == station.id, User.role == "therapist")))


def find_station(db: Session, name: str) -> Station:
    station = db.scalar(select(Station).where(Station.name == name))
    if station is None:
        known = ", ".join(db.scalars(select(Station.name).order_by(Station.name))) or "none yet"
        raise UserError(f"no station {name!r}; known stations: {known}")
    return station

def add_user(
    db: Session, *, actor: str, username: str, role: str, password: str,
    patient: Patient | None = None, station: Station | None = None,
) -> User:
    """A login; patients' accounts link to their record, therapists' to their station."""
    if not re.match(r"^[A-Za-z0-9_.@-]{3,64}$", username):
        raise UserError("a username needs 3-64 letters, digits or '_.@-'")
    _check_choice("role", role, ROLES)
    if role == "patient" and patient is None:
        raise UserError("a patient account must be linked to a patient record")
    if role != "patient" and patient is not None:
        raise UserError("only patient accounts link to a patient record")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(
        username=username, role=role, password_hash=hash_password(password),
        patient_id=patient.id if patient else None, station_id=station.id if station else None,
    )
    db.add(user)
    db.flush()
    audit.record(db, actor=actor, action="user.add", entity="user", entity_id=user.id,
                 username=username, role=role)
    return user


def find_user(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"no user {username!r}; see 'gaitway users list'")
    return user


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


def disable_user(db: Session, *, actor: str, username: str) -> User:
    """Stop a login from working (the row stays: the audit log refers to it).

    The last active admin cannot be disabled, or nobody could manage accounts on the web.
    """
    user = find_user(db, username)
    if not user.active:
        raise UserError(f"user {username!r} is already disabled")
    if user.role == "admin":
        admins = db.scalars(select(User.id).where(User.role == "admin", User.active)).all()
        if len(admins) <= 1:
            raise UserError(f"{username!r} is the last active admin; add another admin first")
    user.active = False
    db.flush()
    audit.record(db, actor=actor, action="user.disable", entity="user", entity_id=user.id,
                 username=username, role=user.role)
    return user

def check_height_m(patient: Patient) -> float:
    """The height a patient's settings are checked at: the recorded one, else the default."""
    return patient.height_m if patient.height_m is not None else DEFAULT_HEIGHT_M


def check_prescription(patient: Patient, *, speed_kmh: float, hip_rom_scale: float,
                       knee_rom_scale: float) -> None:
    """Refuse (UnwalkableError, one line naming both ways out) a range of motion too small for
    the belt's speed, as a session's start would, at the patient's recorded height (the
    default height when none is recorded)."""
    height = check_height_m(patient)
    rom = RomSettings(hip=JointRom(scale=hip_rom_scale), knee=JointRom(scale=knee_rom_scale))
    check_walkable(speed_kmh / 3.6, height, rom, min_speed_m_s=MIN_SPEED_M_S)


def add_prescription(
    db: Session, *, actor: str, patient: Patient, duration_min: float, speed_kmh: float,
    guidance_pct: float, bws_pct: float, hip_rom_scale: float = 1.0,
    knee_rom_scale: float = 1.0, controller: str = "guidance",
    targets: dict[str, Any] | None = None, created_at: dt.datetime | None = None,
) -> Prescription:
    """A new prescription; the previous active one is retired, both changes audited.

    Nothing a session would refuse is stored: each value within what a session accepts, and
    the range of motion and the belt speed together walkable (:func:`check_prescription`)."""
    _check_range("duration", duration_min, *PRESCRIPTION_DURATION_MIN, "min")
    _check_range("belt speed", speed_kmh, *SETTING_RANGES.speed_kmh, "km/h")
    _check_range("guidance", guidance_pct, *SETTING_RANGES.guidance_pct, "%")
    _check_range("body-weight support", bws_pct, *SETTING_RANGES.bws_pct, "%")
    _check_range("hip range-of-motion scale", hip_rom_scale, *SETTING_RANGES.rom_scale, "")
    _check_range("knee range-of-motion scale", knee_rom_scale, *SETTING_RANGES.rom_scale, "")
    controller = check_controller(controller)  # the registry's names only
    check_prescription(patient, speed_kmh=speed_kmh, hip_rom_scale=hip_rom_scale,
                       knee_rom_scale=knee_rom_scale)
    previous = db.scalar(
        select(Prescription).where(Prescription.patient_id == patient.id, Prescription.active)
    )
    rx = Prescription(
        patient_id=patient.id, duration_min=duration_min, speed_kmh=speed_kmh,
        guidance_pct=guidance_pct, bws_pct=bws_pct, hip_rom_scale=hip_rom_scale,
        knee_rom_scale=knee_rom_scale, controller=controller, targets=targets or {},
        created_at=created_at or dt.datetime.now(dt.UTC),
    )
    if previous is not None:
        previous.active = False
    db.add(rx)
    db.flush()
    audit.record(
        db, actor=actor, action="prescription.set", entity="patient", entity_id=patient.id,
        prescription_id=rx.id, replaces=previous.id if previous else None,
        settings={"duration_min": duration_min, "speed_kmh": speed_kmh,
                  "guidance_pct": guidance_pct, "bws_pct": bws_pct,
                  "hip_rom_scale": hip_rom_scale, "knee_rom_scale": knee_rom_scale,
                  "controller": controller},
    )
    return rx


def add_assessment(
    db: Session, *, actor: str, patient: Patient, test: str, value: float,
    performed_at: dt.datetime | None = None, notes: str | None = None,
    entered_by: User | None = None,
) -> Assessment:
    """A clinical test result, checked against the test's range and unit."""
    spec = clinical_test(test)
    value = spec.validate(value)
    when = performed_at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if when > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
        raise UserError(f"assessment date {when:%Y-%m-%d %H:%M} is in the future")
    a = Assessment(
        patient_id=patient.id, test=spec.key, value=value, unit=spec.unit, performed_at=when,
        notes=notes, entered_by_id=entered_by.id if entered_by else None,
    )
    db.add(a)
    db.flush()
    audit.record(db, actor=actor, action="assessment.add", entity="patient",
                 entity_id=patient.id, assessment_id=a.id, test=spec.key, value=value,
                 unit=spec.unit)
    return a


def list_sessions(db: Session, patient: Patient | None = None) -> list[TrainingSession]:
    q = select(TrainingSession).order_by(TrainingSession.started_at)
    if patient is not None:
        q = q.where(TrainingSession.patient_id == patient.id)
    return list(db.scalars(q))


def find_session(db: Session, ref: str) -> TrainingSession:
    """A session by id or by a unique prefix of it (at least 4 characters)."""
    session = db.get(TrainingSession, ref)
    if session is not None:
        return session
    if len(ref) >= 4:
        found = list(db.scalars(select(TrainingSession).where(
            TrainingSession.id.startswith(ref, autoescape=True)).limit(2)))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UserError(f"session id prefix {ref!r} is ambiguous; give more characters")
    raise UserError(f"no session {ref!r}; see 'gaitway sessions list'")
