"""Care teams: which therapists see which patients.

Least privilege: an admin sees every patient, a therapist only the patients whose care team
they are on, a patient only their own record. Every assignment and removal is audited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic import audit
from gaitway.clinic.models import CareTeamMember, Patient, User
from gaitway.errors import UserError


def assign(db: Session, *, actor: str, patient: Patient, user: User) -> CareTeamMember:
    """Put a therapist on a patient's care team."""
    if user.role != "therapist":
        raise UserError(f"{user.username!r} is a {user.role}; only therapists join care teams")
    if _row(db, patient, user) is not None:
        raise UserError(f"{user.username!r} is already on {patient.pseudonym}'s care team")
    row = CareTeamMember(patient_id=patient.id, user_id=user.id, assigned_by=actor[:64])
    db.add(row)
    db.flush()
    audit.record(db, actor=actor, action="care_team.assign", entity="patient",
                 entity_id=patient.id, username=user.username)
    return row


def remove(db: Session, *, actor: str, patient: Patient, user: User) -> None:
    """Take a therapist off a patient's care team."""
    row = _row(db, patient, user)
    if row is None:
        raise UserError(f"{user.username!r} is not on {patient.pseudonym}'s care team")
    db.delete(row)
    db.flush()
    audit.record(db, actor=actor, action="care_team.remove", entity="patient",
                 entity_id=patient.id, username=user.username)


def members(db: Session, patient: Patient) -> list[str]:
    """The usernames of the patient's care team, sorted."""
    return sorted(db.scalars(select(User.username).join(
        CareTeamMember, CareTeamMember.user_id == User.id).where(
        CareTeamMember.patient_id == patient.id)))


def patient_ids(db: Session, user_id: int) -> set[int]:
    """The patients whose care team this user is on."""
    return set(db.scalars(select(CareTeamMember.patient_id).where(
        CareTeamMember.user_id == user_id)))


def may_see(db: Session, *, user_id: int, role: str, own_patient_id: int | None,
            patient_id: int) -> bool:
    """Whether a user of ``role`` may see this patient's record."""
    if role == "admin":
        return True
    if role == "patient":
        return own_patient_id is not None and own_patient_id == patient_id
    if role == "therapist":
        return db.scalar(select(CareTeamMember.id).where(
            CareTeamMember.user_id == user_id,
            CareTeamMember.patient_id == patient_id)) is not None
    return False


def _row(db: Session, patient: Patient, user: User) -> CareTeamMember | None:
    return db.scalar(select(CareTeamMember).where(
        CareTeamMember.patient_id == patient.id, CareTeamMember.user_id == user.id))
