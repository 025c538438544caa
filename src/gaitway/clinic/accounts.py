"""Managing logins after they exist: enable, reset a password, change a role, assign a
station. Each change is audited; the web layer ends the account's sessions where the change
takes rights away (it re-reads the account on every request in any case).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic import audit
from gaitway.clinic.models import ROLES, Patient, Station, User
from gaitway.clinic.security import hash_password
from gaitway.errors import UserError


def _other_active_admins(db: Session, user: User) -> int:
    return len(db.scalars(select(User.id).where(
        User.role == "admin", User.active, User.id != user.id)).all())


def enable_user(db: Session, *, actor: str, user: User) -> None:
    if user.active:
        raise UserError(f"user {user.username!r} is already active")
    user.active = True
    db.flush()
    audit.record(db, actor=actor, action="user.enable", entity="user", entity_id=user.id,
                 username=user.username)


def reset_password(db: Session, *, actor: str, user: User, password: str) -> None:
    """A new password (argon2id); the old one stops working at once."""
    user.password_hash = hash_password(password)
    db.flush()
    audit.record(db, actor=actor, action="user.password_reset", entity="user",
                 entity_id=user.id, username=user.username)


def set_role(db: Session, *, actor: str, user: User, role: str,
             patient: Patient | None = None) -> None:
    """Change a login's role; a patient account links to its patient record, the others to
    none. The last active admin keeps their role."""
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if role == "patient" and patient is None:
        raise UserError("a patient account must be linked to a patient record")
    if role != "patient" and patient is not None:
        raise UserError("only patient accounts link to a patient record")
    if user.role == "admin" and role != "admin" and user.active \
            and _other_active_admins(db, user) == 0:
        raise UserError(f"{user.username!r} is the last active admin; add another admin first")
    old = user.role
    user.role = role
    user.patient_id = patient.id if patient is not None else None
    if role != "therapist":
        user.station_id = None
    db.flush()
    audit.record(db, actor=actor, action="user.role", entity="user", entity_id=user.id,
                 username=user.username, old=old, new=role,
                 patient=patient.pseudonym if patient is not None else None)


def set_station(db: Session, *, actor: str, user: User, station: Station | None) -> None:
    """The station a therapist works at (None: none)."""
    if station is not None and user.role != "therapist":
        raise UserError(f"{user.username!r} is a {user.role}; only therapists are assigned "
                        "to stations")
    user.station_id = station.id if station is not None else None
    db.flush()
    audit.record(db, actor=actor, action="user.station", entity="user", entity_id=user.id,
                 username=user.username, station=station.name if station is not None else None)
