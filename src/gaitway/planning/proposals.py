"""Next-session proposals: computed from the last sessions, checked on the twin, decided by a
therapist. Nothing changes a prescription until a therapist approves.

``propose`` reads the sessions run under the patient's active prescription, applies the rules
(:mod:`gaitway.planning.rules`: bounded steps, each with its reason), runs a short session with
the proposed settings on the patient's twin and offers the proposal only if that session ended
without a safety stop. ``approve`` (optionally with a therapist's edits) makes it the active
prescription; ``reject`` keeps it for the record. Every step is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic import audit, records
from gaitway.clinic.models import Patient, Prescription, Proposal, TrainingSession
from gaitway.errors import UserError
from gaitway.planning import course
from gaitway.planning.rules import SessionSnapshot, Step, TrainingSettings, next_settings
from gaitway.station.sim.profiles import PatientProfile, get_profile

#: the twin's check: a short session with the proposed settings
CHECK_SECONDS: Final[float] = 20.0


@dataclass(frozen=True, slots=True)
class TwinCheckResult:
    """How the proposed settings went on the patient's twin (SIMULATED)."""

    completed: bool
    ended_by: str
    duration_s: float
    strides: int
    profile: str
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "label": "SIMULATED check on the patient's twin"}


class TwinCheck(Protocol):
    """Runs a short session with ``settings`` on a virtual patient with ``profile``."""

    def __call__(self, profile: PatientProfile, settings: TrainingSettings, *, seed: int,
                 seconds: float) -> TwinCheckResult: ...


@dataclass(frozen=True)
class ProposalOutcome:
    """What ``propose`` did: the stored proposal, or why none is offered."""

    proposal: Proposal | None
    steps: tuple[Step, ...]
    message: str


def snapshot(session: TrainingSession) -> SessionSnapshot:
    """What the rules read of a stored session."""
    ended = (session.ended_by or "").lower()
    safety = session.summary.get("safety") if isinstance(session.summary, dict) else None
    by_fault = bool(safety.get("ended_by_fault")) if isinstance(safety, dict) else False
    return SessionSnapshot(
        complete=session.status == "complete",
        safety_stop=by_fault or ended.startswith("fault") or "safety" in ended,
        tracking_error_rms_deg=session.tracking_error_rms_deg,
        active_participation_pct=session.active_participation_pct,
        symmetry_index_pct=(abs(session.symmetry_index_pct)
                            if session.symmetry_index_pct is not None else None))


def settings_of(rx: Prescription | Proposal) -> TrainingSettings:
    """The settings a prescription (or a proposal: range of motion unchanged) sets."""
    rom = ((rx.hip_rom_scale, rx.knee_rom_scale) if isinstance(rx, Prescription)
           else (1.0, 1.0))
    return TrainingSettings(duration_min=rx.duration_min, speed_kmh=rx.speed_kmh,
                            guidance_pct=rx.guidance_pct, bws_pct=rx.bws_pct,
                            controller=rx.controller, hip_rom_scale=rom[0],
                            knee_rom_scale=rom[1])


def active_prescription(db: Session, patient: Patient) -> Prescription:
    rx = db.scalar(select(Prescription).where(Prescription.patient_id == patient.id,
                                              Prescription.active))
    if rx is None:
        raise UserError(f"patient {patient.pseudonym} has no active prescription; a therapist "
                        "sets one first")
    return rx


def check_profile(db: Session, patient: Patient) -> PatientProfile:
    """The virtual patient the proposal is checked on: the patient's own recovering twin, or
    for a patient without one, the registered profile nearest their record."""
    if course.latest_record(db, patient) is not None:
        return course.twin_profile(db, patient)
    side = patient.affected_side
    if side in ("left", "right"):
        return get_profile(f"hemiparetic-{side}-moderate")
    if side == "both":
        return get_profile("sci-incomplete")
    return get_profile("hemiparetic-left-moderate")


def _sessions_under(db: Session, rx: Prescription) -> list[TrainingSession]:
    return list(db.scalars(select(TrainingSession).where(TrainingSession.prescription_id == rx.id)
                           .order_by(TrainingSession.started_at)))


def propose(db: Session, patient: Patient, *, actor: str, check: TwinCheck,
            seconds: float = CHECK_SECONDS) -> ProposalOutcome:
    """Propose the next session's settings, checked on the twin (stored as pending)."""
    rx = active_prescription(db, patient)
    course.catch_up(db, patient, actor=actor)  # the twin as the sessions so far left it
    sessions = _sessions_under(db, rx)
    if not sessions:
        return ProposalOutcome(None, (), f"no session under prescription {rx.id} yet: keep it")
    current = settings_of(rx)
    profile = check_profile(db, patient)
    # the belt speed a range of motion walks grows with height: propose what both the twin's
    # check and the store (at the patient's recorded height) accept
    height = min(profile.height_m, records.check_height_m(patient))
    new, steps = next_settings(current, [snapshot(s) for s in sessions], height_m=height)
    if not steps:
        return ProposalOutcome(None, (), "keep the settings: the last sessions give no reason "
                                         "to change them")
    seed = (patient.id * 7919 + len(sessions)) % (2**31)
    result = check(profile, new, seed=seed, seconds=seconds)
    if not result.completed:
        audit.record(db, actor=actor, action="proposal.withheld", entity="patient",
                     entity_id=patient.id, settings=asdict(new),
                     reasons=[s.sentence() for s in steps], twin_check=result.as_dict())
        return ProposalOutcome(None, steps, "not offered: on the twin the proposed session "
                                            f"ended with '{result.ended_by}'")
    for old in db.scalars(select(Proposal).where(Proposal.patient_id == patient.id,
                                                 Proposal.status == "pending")):
        old.status = "superseded"
        audit.record(db, actor=actor, action="proposal.supersede", entity="proposal",
                     entity_id=old.id)
    p = Proposal(patient_id=patient.id, based_on_session_id=sessions[-1].id,
                 from_prescription_id=rx.id, status="pending",
                 duration_min=new.duration_min, speed_kmh=new.speed_kmh,
                 guidance_pct=new.guidance_pct, bws_pct=new.bws_pct, controller=new.controller,
                 reasons={"steps": [{**asdict(s), "sentence": s.sentence()} for s in steps]},
                 twin_check=result.as_dict())
    db.add(p)
    db.flush()
    audit.record(db, actor=actor, action="proposal.create", entity="proposal", entity_id=p.id,
                 patient_id=patient.id, settings=asdict(new),
                 reasons=[s.sentence() for s in steps], twin_check=result.as_dict())
    return ProposalOutcome(p, steps, f"proposal {p.id} offered for a therapist's decision")


def find_proposal(db: Session, ref: str | int) -> Proposal:
    try:
        pid = int(ref)
    except (TypeError, ValueError):
        raise UserError(f"proposal id must be a number, got {ref!r}") from None
    p = db.get(Proposal, pid)
    if p is None:
        raise UserError(f"no proposal {pid}; see 'gaitway plan propose PATIENT'")
    return p


def _pending(p: Proposal) -> None:
    if p.status != "pending":
        raise UserError(f"proposal {p.id} is {p.status}; only a pending proposal can be decided")


EDITABLE: Final[tuple[str, ...]] = ("duration_min", "speed_kmh", "guidance_pct", "bws_pct")


def approve(db: Session, ref: str | int, *, actor: str,
            edits: dict[str, float] | None = None, note: str | None = None,
            when: dt.datetime | None = None) -> Prescription:
    """A therapist approves (optionally edited): it becomes the active prescription."""
    p = find_proposal(db, ref)
    _pending(p)
    edits = {k: v for k, v in (edits or {}).items() if v is not None}
    unknown = sorted(set(edits) - set(EDITABLE))
    if unknown:
        raise UserError(f"cannot edit {', '.join(unknown)}; editable: {', '.join(EDITABLE)}")
    for k, v in edits.items():
        if not math.isfinite(v):
            raise UserError(f"{k} must be a number, got {v}")
    base = settings_of(p)
    settings = TrainingSettings(
        duration_min=edits.get("duration_min", base.duration_min),
        speed_kmh=edits.get("speed_kmh", base.speed_kmh),
        guidance_pct=edits.get("guidance_pct", base.guidance_pct),
        bws_pct=edits.get("bws_pct", base.bws_pct), controller=base.controller)
    patient = db.get(Patient, p.patient_id)
    assert patient is not None  # a foreign key
    old_rx = db.get(Prescription, p.from_prescription_id) if p.from_prescription_id else None
    rx = records.add_prescription(
        db, actor=actor, patient=patient, duration_min=settings.duration_min,
        speed_kmh=settings.speed_kmh, guidance_pct=settings.guidance_pct,
        bws_pct=settings.bws_pct, controller=settings.controller,
        hip_rom_scale=old_rx.hip_rom_scale if old_rx else 1.0,
        knee_rom_scale=old_rx.knee_rom_scale if old_rx else 1.0,
        targets=dict(old_rx.targets) if old_rx else None, created_at=when)
    p.status = "approved"
    p.decided_at = when or dt.datetime.now(dt.UTC)
    p.decided_by = actor[:64]
    p.decision_note = note
    p.prescription_id = rx.id
    audit.record(db, actor=actor, action="proposal.approve" + (".edited" if edits else ""),
                 entity="proposal", entity_id=p.id, prescription_id=rx.id, edits=edits,
                 note=note)
    return rx


def reject(db: Session, ref: str | int, *, actor: str, note: str | None = None) -> Proposal:
    """A therapist rejects: the prescription stays as it is."""
    p = find_proposal(db, ref)
    _pending(p)
    p.status = "rejected"
    p.decided_at = dt.datetime.now(dt.UTC)
    p.decided_by = actor[:64]
    p.decision_note = note
    audit.record(db, actor=actor, action="proposal.reject", entity="proposal", entity_id=p.id,
                 note=note)
    return p


def latest_proposal(db: Session, patient: Patient) -> Proposal | None:
    return db.scalar(select(Proposal).where(Proposal.patient_id == patient.id)
                     .order_by(Proposal.id.desc()).limit(1))


def proposal_json(p: Proposal) -> dict[str, Any]:
    steps: Sequence[dict[str, Any]] = p.reasons.get("steps", [])
    return {
        "id": p.id, "patient_id": p.patient_id, "status": p.status,
        "settings": {"duration_min": p.duration_min, "speed_kmh": p.speed_kmh,
                     "guidance_pct": p.guidance_pct, "bws_pct": p.bws_pct,
                     "controller": p.controller},
        "from_prescription_id": p.from_prescription_id,
        "reasons": [s["sentence"] for s in steps],
        "twin_check": p.twin_check,
        "prescription_id": p.prescription_id,
    }
