"""Session import: a finished (or cut-off) session directory becomes one stored session.

Reading and analysing happen first, outside any transaction; then one transaction stores the
session row, its per-stride table, its events and the audit entries, or nothing at all. The
session's own UUID (``summary.json`` "session_id", else a hash of the recording) is the primary
key, so importing the same directory twice finds the first import and changes nothing, and a
later, better copy of the session (more samples, a footer, a summary) replaces the stored one
in one transaction, audited as ``session.replace``.

The status (complete, interrupted, failed) follows what happened, see
:mod:`gaitway.clinic.import_status`. A recording that cannot be analysed, or holds no samples,
is not imported: the error says why (a session with 0 strides would look like a bad session).

``summary.json`` is read as the typed :class:`~gaitway.session.summary.SessionSummary` (any
schema version Gaitway wrote; older ones are upgraded there, or refused with one line), and
the stored columns map its fields and the analysis' named metrics one to one: no alias lists,
no guessing of units.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gaitway.analytics.result import AnalysisResult
from gaitway.clinic import audit
from gaitway.clinic.import_status import is_better_copy, planned_seconds, session_outcome
from gaitway.clinic.jsonsafe import jsonable
from gaitway.clinic.models import (
    Patient,
    Prescription,
    SessionEvent,
    Stride,
    TrainingSession,
)
from gaitway.clinic.records import add_patient, find_patient, station_by_name
from gaitway.clinic.store import ClinicStore
from gaitway.control.registry import check_controller
from gaitway.errors import GaitwayError, UserError
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import SUMMARY_FILENAME, SessionSummary, settings_from_v1

RECORDING_NAME: Final[str] = "recording.gwrec"
SUMMARY_NAME: Final[str] = SUMMARY_FILENAME
_NAMESPACE: Final[uuid.UUID] = uuid.UUID("5f0b7f0e-7a0c-4a9e-9a53-6761a17c0a11")
#: Recording event kinds that also go to the audit log (parameter changes and safety events).
_AUDITED_WORDS: Final[tuple[str, ...]] = (
    "param", "setting", "fault", "stop", "estop", "limit", "safety", "guidance", "bws",
    "speed", "abort", "error",
)
_GAIT_EVENT_KINDS: Final[frozenset[str]] = frozenset({"heel_strike", "toe_off"})

#: analyses a recording: the typed result, or its JSON
Analyzer = Callable[[Path], AnalysisResult | Mapping[str, Any]]


@dataclass
class SessionData:
    """Everything an import stores, independent of where it was read from."""

    session_id: str
    status: str
    simulated: bool
    duration_s: float
    started_at: dt.datetime
    ended_by: str | None = None
    profile: str | None = None
    controller: str | None = None
    recording_path: str | None = None
    station: str | None = None
    patient_info: dict[str, Any] = field(default_factory=dict)
    #: the session's settings (from its summary, else from its recording's metadata)
    settings: SessionSettings | None = None
    #: the session's summary (None: the session did not finish, or a lab file)
    summary: SessionSummary | None = None
    #: the analysis of the recording (empty: nothing recorded, or the analysis failed)
    analysis: AnalysisResult = field(default_factory=AnalysisResult)
    #: Recording events: {"time_s", "kind", "source", "details"}.
    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: what the copy read holds, to tell whether it is better than a stored one
    has_footer: bool = True
    has_summary: bool = True


@dataclass(frozen=True)
class ImportResult:
    session_id: str
    created: bool
    status: str
    patient: str
    strides: int
    #: a better copy replaced an earlier import of the same session
    replaced: bool = False


# --------------------------------------------------------------------------- reading


def _file_uuid(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return str(uuid.uuid5(_NAMESPACE, h.hexdigest()))


def _valid_uuid(value: object, where: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise UserError(f"session_id {value!r} in {where} is not a UUID") from None


def _parse_time(value: object) -> dt.datetime | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    if isinstance(value, str):
        try:
            t = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return t if t.tzinfo else t.replace(tzinfo=dt.UTC)
    return None


def _station_name(value: object) -> str | None:
    """The station's name from the recording metadata (a name, or a dict describing it)."""
    if isinstance(value, str) and value.strip():
        return value.strip()[:80]
    if isinstance(value, Mapping):
        for key in ("name", "model", "kind"):
            if isinstance(value.get(key), str) and value[key].strip():
                return str(value[key]).strip()[:80]
    return None


def _settings_from_metadata(meta: Mapping[str, Any], notes: list[str]) -> SessionSettings | None:
    """The settings a recording's metadata holds (a session cut off before its summary)."""
    raw = meta.get("settings")
    if not isinstance(raw, Mapping) or not raw:
        return None
    try:
        return SessionSettings.from_dict(dict(raw), where="recording metadata settings")
    except UserError:
        pass
    try:  # a recording written before the settings were typed
        return SessionSettings.from_dict(settings_from_v1(dict(raw)),
                                         where="recording metadata settings")
    except (UserError, TypeError, ValueError) as exc:
        notes.append(f"settings in the recording not read: {exc}")
        return None


def default_analyzer(path: Path) -> AnalysisResult:
    """The analytics part's analysis, minus what the store does not keep.

    The store keeps no EMG results and no scoring against simulation truth, so those channels
    are not even read (a quarter of the decoding on a 30-minute session) and those steps of the
    analysis are skipped.
    """
    from gaitway.analytics.analyze import analyze_result, load_path

    data, _truth = load_path(path, emg=False, truth=False)
    return analyze_result(data)


def read_session_dir(directory: Path, *, analyze: Analyzer | None = None) -> SessionData:
    """Read a session directory (recording + summary) and analyse it; nothing is stored."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(f"{directory} is not a directory; give a session directory")
    rec_path = directory / RECORDING_NAME
    if not rec_path.exists():
        raise UserError(f"{directory} holds no {RECORDING_NAME}; is it a session directory?")
    from gaitway.recording import (  # type: ignore[attr-defined,unused-ignore]
        RecordingError,
        open_recording,
    )

    summary_file = SessionSummary.read(directory)
    try:
        rec = open_recording(rec_path)
    except RecordingError as exc:
        raise UserError(f"cannot read {rec_path}: {exc}") from None
    if rec.n_samples == 0:
        raise UserError(f"{rec_path} holds no samples (the session stopped before its first "
                        "tick): there is nothing to import")
    meta: dict[str, Any] = dict(rec.metadata)
    final: dict[str, Any] = dict(rec.final or {})
    notes = list(rec.problems)
    summary = _summary_of(summary_file, final, notes, rec_path)
    if summary is not None:
        notes.extend(summary.upgrade_notes)
    settings = (summary.settings if summary is not None
                else _settings_from_metadata(meta, notes))
    duration_s = summary.duration_s if summary is not None else rec.duration_s
    summary_dict = summary.to_dict() if summary is not None else {}
    settings_dict = (settings.to_dict() if settings is not None
                     else dict(meta.get("settings") or {}))
    outcome = session_outcome(summary_dict, rec.final, planned_s=planned_seconds(settings_dict),
                              duration_s=duration_s)
    notes.extend(outcome.notes)
    sid = (summary.session_id if summary is not None else None) or meta.get("session_id") \
        or final.get("session_id")
    session_id = _valid_uuid(sid, str(directory)) if sid else _file_uuid(rec_path)
    started = (
        _parse_time(summary.started_at if summary is not None else None)
        or _parse_time(meta.get("started_at"))
        or dt.datetime.fromtimestamp(rec_path.stat().st_mtime - rec.duration_s, dt.UTC)
    )
    try:
        found = (analyze or default_analyzer)(rec_path)
        analysis = (found if isinstance(found, AnalysisResult)
                    else AnalysisResult.from_dict(found, where=f"analysis of {rec_path}"))
    except GaitwayError as exc:  # stored with no strides it would look like a bad session
        raise UserError(f"cannot analyse {rec_path}, so it was not imported: {exc}") from None
    notes.extend(n for n in analysis.notes if n.startswith("recording:"))
    events = [
        {"time_s": e.time_s, "kind": e.kind, "source": e.source, "details": dict(e.details)}
        for e in rec.events
    ]
    raw_patient = meta.get("patient")
    patient: dict[str, Any] = dict(raw_patient) if isinstance(raw_patient, dict) else {}
    profile = (summary.profile if summary is not None
               else settings.profile if settings is not None else patient.get("id"))
    controller = (summary.controller if summary is not None
                  else settings.controller if settings is not None else None)
    return SessionData(
        session_id=session_id,
        status=outcome.status,
        simulated=(summary.simulated if summary is not None
                   else bool(meta.get("simulated", False))),
        duration_s=duration_s,
        started_at=started,
        ended_by=outcome.ended_by[:200],
        profile=str(profile) if profile else None,
        controller=controller,
        recording_path=str(rec_path.resolve()),
        station=_station_name(meta.get("station")),
        patient_info=dict(patient or {}),
        settings=settings,
        summary=summary,
        analysis=analysis,
        events=events,
        notes=list(dict.fromkeys(notes)),
        has_footer=rec.final is not None,
        has_summary=summary_file is not None,
    )


def _summary_of(summary_file: SessionSummary | None, final: Mapping[str, Any],
                notes: list[str], rec_path: Path) -> SessionSummary | None:
    """summary.json, else the copy of the summary the session put in the recording's footer."""
    if summary_file is not None:
        return summary_file
    footer = final.get("summary")
    if isinstance(footer, Mapping):
        notes.append("no summary.json: the summary was read from the recording's footer")
        return SessionSummary.from_dict(dict(footer), where=f"summary in {rec_path}")
    notes.append("no summary.json and no summary in the recording: the session did not finish")
    return None


# --------------------------------------------------------------------------- mapping


def _num(value: object) -> float | None:
    """A finite number, or the value of an analysis metric record {"value", "unit"}."""
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


#: Stored stride column -> the analysis' per-stride key (gaitway.analytics.stride_metrics)
STRIDE_COLUMNS: Final[dict[str, str]] = {
    "start_s": "start_s",
    "end_s": "end_s",
    "stride_time_s": "stride_time_s",
    "stance_pct": "stance_pct",
    "swing_pct": "swing_pct",
    "step_length_m": "step_length_m",
    "hip_rom_deg": "rom_hip_deg",
    "knee_rom_deg": "rom_knee_deg",
    "peak_load_pct_bw": "peak_force_pct_bw",
}


def stride_rows(session_id: str, analysis: AnalysisResult) -> list[dict[str, Any]]:
    """The per-stride table rows for one session from the analysis' per-side stride records
    (a record without start or stride time is left out)."""
    rows: list[dict[str, Any]] = []
    used = set(STRIDE_COLUMNS.values())
    for side in ("left", "right"):
        for i, rec in enumerate(analysis.strides.get(side, ())):
            row: dict[str, Any] = {"session_id": session_id, "side": side, "index": i}
            for col, key in STRIDE_COLUMNS.items():
                row[col] = _num(rec.get(key))
            if row["start_s"] is None or row["stride_time_s"] is None:
                continue
            row["extra"] = {
                k: v for k, v in rec.items()
                if k not in used and isinstance(v, int | float | str | bool | None)
                and not (isinstance(v, float) and not math.isfinite(v))
            }
            rows.append(row)
    return rows


def session_numbers(data: SessionData) -> dict[str, Any]:
    """The key numbers stored as columns, each from one named source: the analysis' metrics
    (measured from the recording), the summary (what the station reports) or the settings."""
    a, summary, settings = data.analysis, data.summary, data.settings
    joints = [a.sides_mean(f"tracking_rmse_{j}_deg") for j in ("hip", "knee")]
    tracking = [v for v in joints if v is not None]
    steps = a.metric("steps")
    speed = a.metric("walking_speed")
    guidance = a.sides_mean("guidance_pct")
    out: dict[str, Any] = {
        "steps": int(steps) if steps is not None
        else (summary.strides.total if summary is not None else 0),
        "distance_m": a.metric("distance"),
        "belt_speed_mps": speed if speed is not None
        else (settings.speed_m_s if settings is not None else None),
        "symmetry_index_pct": a.metric("symmetry_index_step_time_s"),
        "weight_bearing_left_pct": a.metric("mean_stance_force_pct_bw_left_mean"),
        "weight_bearing_right_pct": a.metric("mean_stance_force_pct_bw_right_mean"),
        # the patient's share of the positive work (simulated sessions: the twin's truth;
        # docs/metrics.md); a real station does not measure it
        "active_participation_pct": (summary.effort.active_participation_pct
                                     if summary is not None and summary.effort is not None
                                     else None),
        "active_participation_nm": (summary.active_participation_nm.mean()
                                    if summary is not None else None),
        "guidance_pct": guidance if guidance is not None
        else (settings.guidance_pct if settings is not None else None),
        "tracking_error_rms_deg": sum(tracking) / len(tracking) if tracking else None,
        "bws_pct": settings.bws_pct if settings is not None else None,
    }
    if out["distance_m"] is None and out["belt_speed_mps"] is not None:
        out["distance_m"] = out["belt_speed_mps"] * data.duration_s
    return out


def _event_rows(session_id: str, data: SessionData) -> list[dict[str, Any]]:
    rows = [
        {"session_id": session_id, "time_s": float(e["time_s"]), "kind": str(e["kind"])[:64],
         "source": str(e.get("source") or "station")[:64],
         "side": (e.get("details") or {}).get("side"),
         "details": jsonable(dict(e.get("details") or {}))}
        for e in data.events
    ]
    for e in data.analysis.events:
        if e.kind in _GAIT_EVENT_KINDS:
            rows.append({"session_id": session_id, "time_s": e.time_s, "kind": e.kind,
                         "source": "analytics", "side": e.side, "details": {}})
    for r in rows:
        if r["side"] not in ("left", "right"):
            r["side"] = None
    return rows


def _is_audited(kind: str) -> bool:
    k = kind.lower()
    return k not in _GAIT_EVENT_KINDS and any(w in k for w in _AUDITED_WORDS)


def _resolve_patient(db: Session, data: SessionData, ref: str | None, actor: str) -> Patient:
    if ref:
        return find_patient(db, ref)
    info = data.patient_info
    pseudo = info.get("pseudonym")
    if not pseudo and data.simulated:
        pseudo = f"SIM-{data.profile or 'virtual'}"
    if not pseudo:
        raise UserError("this live session names no patient; give --patient PSEUDONYM")
    existing = db.scalar(select(Patient).where(Patient.pseudonym == str(pseudo)))
    if existing is not None:
        return existing
    if not data.simulated:
        raise UserError(f"no patient {pseudo!r}; add them with 'gaitway patients add' first")
    height = _num(info.get("height_m"))
    mass = _num(info.get("body_mass_kg"))
    side = info.get("affected_side") or info.get("paretic_side")
    return add_patient(
        db, actor=actor, pseudonym=str(pseudo), simulated=True,
        height_m=height if height and 1.0 <= height <= 2.3 else None,
        body_mass_kg=mass if mass and 20 <= mass <= 250 else None,
        diagnosis=f"virtual patient ({data.profile})" if data.profile else "virtual patient",
        affected_side=side if side in ("left", "right", "both", "none") else None,
    )


def store_session(
    db: Session, data: SessionData, *, actor: str, patient_ref: str | None = None
) -> TrainingSession:
    """Add one session with its strides, events and audit entries to the open transaction."""
    patient = _resolve_patient(db, data, patient_ref, actor)
    if patient.simulated != data.simulated:
        kind = "simulated" if data.simulated else "live"
        raise UserError(
            f"patient {patient.pseudonym} is {'virtual' if patient.simulated else 'real'}; a "
            f"{kind} session cannot be stored on their record"
        )
    station = None
    if data.station:
        station = station_by_name(db, data.station, actor=actor, simulated=data.simulated)
    elif data.simulated:
        station = station_by_name(db, "simulated-twin", actor=actor, simulated=True)
    if data.controller is not None:
        check_controller(data.controller)  # the store holds only controllers that exist
    nums = session_numbers(data)
    analysis = data.analysis
    prescription_id = db.scalar(
        select(Prescription.id).where(Prescription.patient_id == patient.id,
                                      Prescription.created_at <= data.started_at)
        .order_by(Prescription.created_at.desc(), Prescription.id.desc()).limit(1))
    metrics = {k: m.to_dict() for k, m in analysis.metrics.items()}
    session = TrainingSession(
        id=data.session_id, patient_id=patient.id, station_id=station.id if station else None,
        prescription_id=prescription_id,
        started_at=data.started_at, status=data.status, ended_by=data.ended_by,
        simulated=data.simulated, profile=data.profile, controller=data.controller,
        recording_path=data.recording_path, duration_s=data.duration_s,
        settings=jsonable(data.settings.to_dict() if data.settings is not None else {}),
        summary=jsonable(data.summary.to_dict() if data.summary is not None else {}),
        metrics=jsonable(metrics), cycles=jsonable(analysis.cycles),
        notes="\n".join(data.notes) or None, **nums,
    )
    db.add(session)
    db.flush()
    strides = stride_rows(session.id, analysis)
    # Core inserts (executemany) of plain rows: no ORM bookkeeping for thousands of rows
    if strides:
        db.execute(insert(cast(Table, Stride.__table__)), strides)
    events = _event_rows(session.id, data)
    if events:
        db.execute(insert(cast(Table, SessionEvent.__table__)), events)
    audit.record(
        db, actor=actor, action="session.import", entity="session", entity_id=session.id,
        patient=patient.pseudonym, status=data.status, simulated=data.simulated,
        strides=len(strides), recording=data.recording_path,
    )
    for e in sorted(data.events, key=lambda e: float(e["time_s"])):
        if _is_audited(str(e["kind"])):
            audit.record(
                db, actor=f"station:{data.station or 'simulated-twin'}",
                action=f"session.event.{e['kind']}"[:64], entity="session",
                entity_id=session.id, time_s=float(e["time_s"]), source=e.get("source"),
                event=jsonable(dict(e.get("details") or {})),
            )
    return session


def import_session(
    store: ClinicStore, directory: Path, *, actor: str, patient_ref: str | None = None,
    analyze: Analyzer | None = None,
) -> ImportResult:
    """Import a session directory; a second import of the same session changes nothing."""
    data = read_session_dir(Path(directory), analyze=analyze)
    return import_data(store, data, actor=actor, patient_ref=patient_ref)


def import_data(
    store: ClinicStore, data: SessionData, *, actor: str, patient_ref: str | None = None
) -> ImportResult:
    """Store already-read session data in one transaction, keyed on the session id: a copy no
    better than the stored one changes nothing; a better copy (see
    :func:`~gaitway.clinic.import_status.is_better_copy`) replaces it, audited."""
    with store.reader() as db:
        existing = db.get(TrainingSession, data.session_id)
        if existing is not None and not _better(existing, data):
            return _result(db, existing, created=False)
    try:
        with store.transaction() as db:
            old = db.get(TrainingSession, data.session_id, with_for_update=True)
            if old is not None and not _better(old, data):
                return _result(db, old, created=False)
            if old is not None:
                patient = db.get(Patient, old.patient_id)
                before = {"status": old.status, "ended_by": old.ended_by,
                          "duration_s": old.duration_s}
                db.execute(delete(Stride).where(Stride.session_id == old.id))
                db.execute(delete(SessionEvent).where(SessionEvent.session_id == old.id))
                db.delete(old)
                db.flush()
                patient_ref = patient_ref or (patient.pseudonym if patient else None)
            session = store_session(db, data, actor=actor, patient_ref=patient_ref)
            if old is not None:
                audit.record(db, actor=actor, action="session.replace", entity="session",
                             entity_id=session.id, before=before,
                             after={"status": data.status, "ended_by": data.ended_by,
                                    "duration_s": data.duration_s},
                             recording=data.recording_path)
            result = _result(db, session, created=True, replaced=old is not None)
    except IntegrityError:
        with store.reader() as db:  # imported concurrently by someone else
            existing = db.get(TrainingSession, data.session_id)
            if existing is None:
                raise
            return _result(db, existing, created=False)
    return result


def _better(stored: TrainingSession, data: SessionData) -> bool:
    return is_better_copy(
        old_duration_s=float(stored.duration_s or 0.0), old_ended_by=stored.ended_by,
        old_has_summary=bool(stored.summary), new_duration_s=data.duration_s,
        new_has_footer=data.has_footer, new_has_summary=data.has_summary)


def _result(db: Session, s: TrainingSession, *, created: bool, replaced: bool = False
            ) -> ImportResult:
    n = len(db.scalars(select(Stride.id).where(Stride.session_id == s.id)).all())
    patient = db.get(Patient, s.patient_id)
    return ImportResult(session_id=s.id, created=created, status=s.status,
                        patient=patient.pseudonym if patient else "?", strides=n,
                        replaced=replaced)
