"""The clinic store's tables, as SQLAlchemy 2 typed models.

The schema is created only by the Alembic revisions in ``gaitway/clinic/migrations``; a test
checks that the migrated schema equals these models. Values are SI inside (m/s, m, s, kg);
percentages are stored as percent because that is how therapists set them on the station.

Patients are pseudonymous: a pseudonym, the demographics gait norms need (sex, birth year,
height, mass) and the clinical facts (diagnosis, affected side, onset), never a name.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING: Final[dict[str, str]] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES: Final[tuple[str, ...]] = ("admin", "therapist", "patient")
SIDES_AFFECTED: Final[tuple[str, ...]] = ("left", "right", "both", "none")
SEXES: Final[tuple[str, ...]] = ("female", "male", "other")
SESSION_STATUSES: Final[tuple[str, ...]] = ("complete", "interrupted")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dict[str, Any]: JSON,
        dt.datetime: DateTime(timezone=True),
    }


class Station(Base):
    """A gait-training station (a robot, or the simulated twin)."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    location: Mapped[str | None] = mapped_column(String(200))
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Patient(Base):
    """A pseudonymous patient with what gait norms and progress flags need."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    sex: Mapped[str | None] = mapped_column(String(16))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    height_m: Mapped[float | None] = mapped_column(Float)
    body_mass_kg: Mapped[float | None] = mapped_column(Float)
    diagnosis: Mapped[str | None] = mapped_column(String(200))
    affected_side: Mapped[str | None] = mapped_column(String(8))
    onset_date: Mapped[dt.date | None] = mapped_column(Date)
    #: A virtual patient of the simulated twin: everything about it is labelled simulated.
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="patient", order_by="TrainingSession.started_at"
    )
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="patient", order_by="Assessment.performed_at"
    )
    prescriptions: Mapped[list[Prescription]] = relationship(
        back_populates="patient", order_by="Prescription.created_at"
    )


class Prescription(Base):
    """Per-session settings and targets a therapist prescribes."""

    __tablename__ = "prescriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    duration_min: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float] = mapped_column(Float)
    guidance_pct: Mapped[float] = mapped_column(Float)
    bws_pct: Mapped[float] = mapped_column(Float)
    hip_rom_scale: Mapped[float] = mapped_column(Float, default=1.0)
    knee_rom_scale: Mapped[float] = mapped_column(Float, default=1.0)
    controller: Mapped[str] = mapped_column(String(64), default="guidance")
    #: Targets such as {"steps": 800, "active_participation_pct": 40}.
    targets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    patient: Mapped[Patient] = relationship(back_populates="prescriptions")


class TrainingSession(Base):
    """One training session: settings used, summary, per-stride table and events.

    The id is the session's own UUID (from its summary) so that importing twice finds it.
    Key numbers are columns so that progress queries need no JSON; the full analysis summary
    stays in ``metrics`` and the joint-angle cycles in ``cycles`` for reports.
    """

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    prescription_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16))
    ended_by: Mapped[str | None] = mapped_column(String(200))
    simulated: Mapped[bool] = mapped_column(Boolean)
    profile: Mapped[str | None] = mapped_column(String(64))
    controller: Mapped[str | None] = mapped_column(String(64))
    recording_path: Mapped[str | None] = mapped_column(String(1000))
    duration_s: Mapped[float] = mapped_column(Float)
    steps: Mapped[int] = mapped_column(Integer, default=0)
    distance_m: Mapped[float | None] = mapped_column(Float)
    belt_speed_mps: Mapped[float | None] = mapped_column(Float)
    guidance_pct: Mapped[float | None] = mapped_column(Float)
    bws_pct: Mapped[float | None] = mapped_column(Float)
    active_participation_pct: Mapped[float | None] = mapped_column(Float)
    #: The station's own figure (summary.json "active_participation", mean of the legs): mean
    #: cuff torque against the intended motion, N*m; positive when the patient leads.
    active_participation_nm: Mapped[float | None] = mapped_column(Float)
    #: Step-time symmetry index, percent; 0 is symmetric (formula in ``metrics``).
    symmetry_index_pct: Mapped[float | None] = mapped_column(Float)
    weight_bearing_left_pct: Mapped[float | None] = mapped_column(Float)
    weight_bearing_right_pct: Mapped[float | None] = mapped_column(Float)
    tracking_error_rms_deg: Mapped[float | None] = mapped_column(Float)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cycles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(back_populates="sessions")
    strides: Mapped[list[Stride]] = relationship(
        back_populates="session", order_by="Stride.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[SessionEvent]] = relationship(
        back_populates="session", order_by="SessionEvent.time_s", cascade="all, delete-orphan"
    )


class Stride(Base):
    """One stride of one leg: the per-stride metrics table."""

    __tablename__ = "strides"
    __table_args__ = (UniqueConstraint("session_id", "side", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(5))
    index: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    stride_time_s: Mapped[float] = mapped_column(Float)
    stance_pct: Mapped[float | None] = mapped_column(Float)
    swing_pct: Mapped[float | None] = mapped_column(Float)
    step_length_m: Mapped[float | None] = mapped_column(Float)
    hip_rom_deg: Mapped[float | None] = mapped_column(Float)
    knee_rom_deg: Mapped[float | None] = mapped_column(Float)
    peak_load_pct_bw: Mapped[float | None] = mapped_column(Float)
    #: Every other per-stride value the analysis produced, by its own name.
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    session: Mapped[TrainingSession] = relationship(back_populates="strides")


class SessionEvent(Base):
    """A recorded event: gait events, parameter changes, faults, stops."""

    __tablename__ = "session_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    time_s: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    side: Mapped[str | None] = mapped_column(String(5))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    session: Mapped[TrainingSession] = relationship(back_populates="events")


class Assessment(Base):
    """A clinical test entered by a therapist (10MWT, 6MWT, TUG, BBS, FAC)."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    test: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    performed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(back_populates="assessments")


class User(Base):
    """A login: admin, therapist (assigned to a station) or patient (linked to a patient)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CareTeamMember(Base):
    """A therapist on a patient's care team: the therapists who may see the patient's record,
    sessions, reports and progress (admins see every patient; a patient only their own)."""

    __tablename__ = "care_team"
    __table_args__ = (UniqueConstraint("patient_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assigned_by: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Append-only: who did what and when. Rows are never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


PROPOSAL_STATUSES: Final[tuple[str, ...]] = ("pending", "approved", "rejected", "superseded")


class RecoveryRecord(Base):
    """A virtual patient's state between sessions (:mod:`gaitway.planning.recovery`).

    One row per update, never changed: the newest is where the next session starts, the
    earlier ones are the course. Only simulated patients have them (it is the twin's
    physiology, not a measurement).
    """

    __tablename__ = "recovery_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    #: the session whose dose made this state (None: the starting state)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    profile: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(Integer)
    onset_days_at_start_d: Mapped[float] = mapped_column(Float)
    days_since_onset_d: Mapped[float] = mapped_column(Float)
    sessions_done: Mapped[int] = mapped_column(Integer)
    training_min_total: Mapped[float] = mapped_column(Float)
    active_steps_total: Mapped[float] = mapped_column(Float)
    strength_left_frac: Mapped[float] = mapped_column(Float)
    strength_right_frac: Mapped[float] = mapped_column(Float)
    spasticity_left_nms_per_rad: Mapped[float] = mapped_column(Float)
    spasticity_right_nms_per_rad: Mapped[float] = mapped_column(Float)
    cadence_steps_per_min: Mapped[float] = mapped_column(Float)
    endurance_min: Mapped[float] = mapped_column(Float)
    participation_frac: Mapped[float] = mapped_column(Float)


class Proposal(Base):
    """Next-session settings Gaitway proposes; nothing applies until a therapist approves.

    Approving makes it the active prescription (``prescription_id``); rejecting keeps it for
    the record. Each step's reason is in ``reasons``; ``twin_check`` holds the short session
    on the patient's twin that had to end without a safety stop for it to be offered.
    """

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    based_on_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"))
    from_prescription_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    duration_min: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float] = mapped_column(Float)
    guidance_pct: Mapped[float] = mapped_column(Float)
    bws_pct: Mapped[float] = mapped_column(Float)
    controller: Mapped[str] = mapped_column(String(64))
    #: one plain sentence per changed setting, e.g. "guidance 60 -> 50 %: ..."
    reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)
    twin_check: Mapped[dict[str, Any]] = mapped_column(default=dict)
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)
    prescription_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))


class AnalysisVersion(Base):
    """One re-analysis of the store's recordings (``gaitway reanalyze``), after an algorithm
    changed. Each run is a new version; earlier versions' results and the analysis made at
    import (the ``sessions`` row) stay as they were. ``finished_at`` is None while it runs and
    if it was interrupted: such a version is never a baseline for the next one."""

    __tablename__ = "analysis_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(64))
    #: sha256 (first 16 hex digits) of the analytics package's source: which algorithm ran
    algorithm: Mapped[str] = mapped_column(String(64))
    gaitway_version: Mapped[str] = mapped_column(String(32))
    #: only sessions started on or after this date were re-analysed (None: all)
    since: Mapped[dt.date | None] = mapped_column(Date)
    #: where it ran: "local cluster of N workers" or the scheduler's address
    cluster: Mapped[str] = mapped_column(String(200))
    sessions_total: Mapped[int] = mapped_column(Integer, default=0)
    sessions_failed: Mapped[int] = mapped_column(Integer, default=0)


class SessionAnalysis(Base):
    """One session's results under one analysis version: its key numbers (the ``sessions``
    columns the analysis feeds, same names and units), its session metrics (as
    ``sessions.metrics``), or the error that kept the recording from being analysed."""

    __tablename__ = "session_analyses"
    __table_args__ = (UniqueConstraint("analysis_version_id", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_version_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_versions.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    analysed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    strides: Mapped[int] = mapped_column(Integer, default=0)
    numbers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
