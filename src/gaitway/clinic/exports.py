"""Exports of a stored session: per-stride and raw tables (CSV, Parquet), C3D and FHIR R4.

- CSV / Parquet: ``strides`` (the per-stride table, one row per stride) and ``raw`` (every
  recorded channel at full rate, streamed in one-minute windows so a 30-minute session never
  sits in memory whole), plus ``metadata.json`` with units and the simulated flag.
- C3D (ezc3d): joint angles as POINT angles (degrees, 100 Hz, Vicon-style ``LHipAngles``
  with flexion in X), the two belts as type-2 force plates (Fx..Mz at the recording rate,
  force *on the plate*, so Fz is negative when loaded, moments in N*mm about the belt
  origin so COP = (-My/Fz, Mx/Fz)), and gait events with Left/Right contexts.
- FHIR: a collection Bundle with a Patient and Observations (R4 models of fhir.resources,
  validated by building them); virtual patients carry the HL7 ``HTEST`` (test health data)
  security tag and "SIMULATED" in every narrative.

Every export writes to a temporary name and renames at the end: no half-written file.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import math
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic.measures import CLINICAL_TESTS, SESSION_MEASURES
from gaitway.clinic.models import Assessment, Patient, SessionEvent, Stride, TrainingSession
from gaitway.errors import UserError
from gaitway.files import atomic_output, os_error_line, write_atomic

FORMATS: Final[tuple[str, ...]] = ("c3d", "csv", "parquet", "fhir")
STRIDE_COLUMNS: Final[tuple[str, ...]] = (
    "side", "index", "start_s", "end_s", "stride_time_s", "stance_pct", "swing_pct",
    "step_length_m", "hip_rom_deg", "knee_rom_deg", "peak_load_pct_bw",
)
STRIDE_UNITS: Final[dict[str, str]] = {
    "start_s": "s", "end_s": "s", "stride_time_s": "s", "stance_pct": "%", "swing_pct": "%",
    "step_length_m": "m", "hip_rom_deg": "deg", "knee_rom_deg": "deg",
    "peak_load_pct_bw": "% body weight",
}
_WINDOW_S: Final[float] = 60.0
HTEST: Final[dict[str, str]] = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST",
    "display": "test health data",
}
UCUM: Final[str] = "http://unitsofmeasure.org"


# --------------------------------------------------------------------------- tables


def stride_table(db: Session, s: TrainingSession) -> pa.Table:
    """The per-stride table of one session, with extra analysis values as further columns."""
    rows = db.scalars(select(Stride).where(Stride.session_id == s.id).order_by(Stride.id)).all()
    extra_keys = sorted({k for r in rows for k, v in (r.extra or {}).items()
                         if isinstance(v, int | float) and not isinstance(v, bool)})
    cols: dict[str, list[Any]] = {c: [getattr(r, c) for r in rows] for c in STRIDE_COLUMNS}
    for k in extra_keys:
        cols[k] = [_float_or_none((r.extra or {}).get(k)) for r in rows]
    cols["session_id"] = [s.id] * len(rows)
    cols["simulated"] = [s.simulated] * len(rows)
    return pa.table(cols)


def _float_or_none(v: object) -> float | None:
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def _open_recording(s: TrainingSession) -> Any:
    if not s.recording_path or not Path(s.recording_path).exists():
        raise UserError(
            f"session {s.id[:8]}'s recording is not at {s.recording_path!r}; raw data and C3D "
            "need the recording file (the per-stride table and FHIR do not)"
        )
    from gaitway.recording import (  # type: ignore[attr-defined,unused-ignore]
        RecordingError,
        open_recording,
    )

    try:
        return open_recording(s.recording_path)
    except RecordingError as exc:
        raise UserError(f"cannot read the recording of session {s.id[:8]}: {exc}") from None


def _raw_batches(rec: Any) -> Iterator[pa.RecordBatch]:
    names = list(rec.channel_names)
    for ts in rec.windows(_WINDOW_S):
        arrays = [pa.array(np.asarray(ts.time, dtype=np.float64))]
        arrays += [pa.array(np.asarray(ts.data[n], dtype=np.float64)) for n in names
                   if n != "time"]
        yield pa.RecordBatch.from_arrays(arrays, names=["time"] + [n for n in names
                                                                   if n != "time"])


def _metadata(s: TrainingSession, patient: Patient, rec: Any | None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "session_id": s.id, "patient": patient.pseudonym, "simulated": s.simulated,
        "status": s.status, "started_at": s.started_at.isoformat(),
        "stride_units": STRIDE_UNITS, "exported_by": "gaitway",
    }
    if s.simulated:
        meta["notice"] = "SIMULATED data from a virtual patient, not a real person"
    if rec is not None:
        meta["raw_units"] = dict(rec.units)
        meta["recording_problems"] = list(rec.problems)
    else:
        meta["raw"] = f"not exported: no recording at {s.recording_path!r}"
    return meta


def export_tables(db: Session, s: TrainingSession, fmt: str, out_dir: Path, *,
                  raw: bool = True) -> list[Path]:
    """Write strides (and raw data when the recording is there) as CSV or Parquet."""
    patient = db.get(Patient, s.patient_id)
    assert patient is not None
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir} is a file; for {fmt} give a folder to write into")
    rec = _open_recording(s) if raw else None
    tmp = out_dir.with_name(out_dir.name + ".part")
    try:
        return _write_tables(db, s, patient, fmt, out_dir, tmp, rec)
    except OSError as exc:
        raise UserError(os_error_line(exc, f"write the {fmt} export to {out_dir}")) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_tables(db: Session, s: TrainingSession, patient: Patient, fmt: str, out_dir: Path,
                  tmp: Path, rec: Any | None) -> list[Path]:
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    strides = stride_table(db, s)
    meta = _metadata(s, patient, rec)
    schema_meta = {b"gaitway": json.dumps(meta).encode()}
    written = ["strides", *(["raw"] if rec is not None else [])]
    if fmt == "csv":
        pacsv.write_csv(strides, tmp / "strides.csv")
    else:
        pq.write_table(strides.replace_schema_metadata(schema_meta), tmp / "strides.parquet")
    if rec is not None:
        batches = _raw_batches(rec)
        first = next(batches, None)
        if first is not None:
            schema = first.schema.with_metadata(schema_meta)
            if fmt == "csv":
                with pacsv.CSVWriter(tmp / "raw.csv", first.schema) as w:
                    w.write_batch(first)
                    for b in batches:
                        w.write_batch(b)
            else:
                with pq.ParquetWriter(tmp / "raw.parquet", schema,
                                      compression="zstd") as pw:
                    pw.write_batch(first)
                    for b in batches:
                        pw.write_batch(b)
    (tmp / "metadata.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in [*written, "metadata"]:
        for f in tmp.glob(f"{name}.*"):
            f.replace(out_dir / f.name)
            paths.append(out_dir / f.name)
    return paths


# --------------------------------------------------------------------------- C3D


_C3D_JOINTS: Final[tuple[tuple[str, str], ...]] = (("hip", "Hip"), ("knee", "Knee"),
                                                   ("ankle", "Ankle"))
#: Belt plate size and placement (mm, lab frame x forward, y left, z up); left belt at +y.
_BELT_LENGTH_MM: Final[float] = 1500.0
_BELT_WIDTH_MM: Final[float] = 250.0


def _plate_corners(side: str) -> list[list[float]]:
    y0 = 0.0 if side == "left" else -_BELT_WIDTH_MM
    y1 = y0 + _BELT_WIDTH_MM
    hx = _BELT_LENGTH_MM / 2
    return [[hx, y1, 0.0], [-hx, y1, 0.0], [-hx, y0, 0.0], [hx, y0, 0.0]]


def _int_param(c3d: Any, group: str, name: str, values: list[Any]) -> None:
    """An INT-typed C3D parameter: ezc3d's add_parameter stores Python ints as FLOAT, which
    readers (ezc3d's own force-plate code included) reject for TYPE, CHANNEL and USED; the
    writer keeps the type recorded in the parameter dictionary, so set it there."""
    from ezc3d import ezc3d as swig

    c3d.add_parameter(group, name, values)
    param = c3d["parameters"][group][name]
    param["type"] = swig.INT
    param["value"] = np.asarray(values, dtype=int)


def write_c3d(db: Session, s: TrainingSession, out: Path, *, point_rate_hz: float = 100.0
              ) -> Path:
    """Joint angles, both belts as force plates and gait events, readable back by ezc3d."""
    import ezc3d

    rec = _open_recording(s)
    wanted = [f"{j}_angle_{side}" for j, _ in _C3D_JOINTS for side in ("left", "right")]
    wanted += [f"grf_{a}_{side}" for side in ("left", "right") for a in "xyz"]
    wanted += [f"cop_{a}_{side}" for side in ("left", "right") for a in "xy"]
    names = set(rec.channel_names)
    missing = [w for w in wanted if w not in names]
    if missing:
        raise UserError(f"the recording lacks {', '.join(missing)}; cannot write C3D")
    ts = rec.read(channels=wanted)
    time = np.asarray(ts.time, dtype=float)
    if len(time) < 2:
        raise UserError("the recording holds fewer than two samples; nothing to export")
    analog_rate = float(round(ts.sampling_rate_hz))
    ratio = max(round(analog_rate / point_rate_hz), 1)
    n_frames = len(time) // ratio
    n_an = n_frames * ratio

    c3d = ezc3d.c3d()
    labels: list[str] = []
    points = np.zeros((4, 6, n_frames))
    k = 0
    for j, cap in _C3D_JOINTS:
        for side, prefix in (("left", "L"), ("right", "R")):
            deg = np.degrees(np.asarray(ts.data[f"{j}_angle_{side}"], dtype=float)[:n_an])
            points[0, k, :] = deg.reshape(n_frames, ratio).mean(axis=1)
            points[3, k, :] = 1.0
            labels.append(f"{prefix}{cap}Angles")
            k += 1
    c3d["parameters"]["POINT"]["RATE"]["value"] = np.array([analog_rate / ratio])
    c3d["parameters"]["POINT"]["LABELS"]["value"] = tuple(labels)
    c3d["parameters"]["POINT"]["UNITS"]["value"] = ("mm",)
    c3d["data"]["points"] = points
    c3d.add_parameter("POINT", "ANGLES", tuple(labels))
    c3d.add_parameter("POINT", "ANGLE_UNITS", ("deg",))

    analog_labels: list[str] = []
    analog_units: list[str] = []
    analogs = np.zeros((1, 12, n_an))
    for p, side in enumerate(("left", "right")):
        f_plate = -np.vstack([np.asarray(ts.data[f"grf_{a}_{side}"], dtype=float)[:n_an]
                              for a in "xyz"])  # force on the plate
        cop_mm = np.vstack([np.asarray(ts.data[f"cop_{a}_{side}"], dtype=float)[:n_an]
                            for a in "xy"]) * 1000.0
        f_plate = np.nan_to_num(f_plate)
        cop_mm = np.nan_to_num(cop_mm)
        mx = cop_mm[1] * f_plate[2]
        my = -cop_mm[0] * f_plate[2]
        mz = cop_mm[0] * f_plate[1] - cop_mm[1] * f_plate[0]
        block = np.vstack([f_plate, mx, my, mz])
        analogs[0, 6 * p:6 * p + 6, :] = block
        n = p + 1
        analog_labels += [f"Fx{n}", f"Fy{n}", f"Fz{n}", f"Mx{n}", f"My{n}", f"Mz{n}"]
        analog_units += ["N", "N", "N", "Nmm", "Nmm", "Nmm"]
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = np.array([analog_rate])
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = tuple(analog_labels)
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = tuple(analog_units)
    c3d["parameters"]["ANALOG"]["SCALE"]["value"] = np.ones(12)
    c3d["parameters"]["ANALOG"]["OFFSET"]["value"] = np.zeros(12)
    c3d["parameters"]["ANALOG"]["GEN_SCALE"]["value"] = np.array([1.0])
    c3d["data"]["analogs"] = analogs
    _int_param(c3d, "FORCE_PLATFORM", "USED", [2])
    _int_param(c3d, "FORCE_PLATFORM", "TYPE", [2, 2])
    _int_param(c3d, "FORCE_PLATFORM", "ZERO", [1, 0])
    corners = np.array([_plate_corners("left"), _plate_corners("right")])  # (2, 4, 3)
    c3d.add_parameter("FORCE_PLATFORM", "CORNERS", corners.transpose(2, 1, 0))
    c3d.add_parameter("FORCE_PLATFORM", "ORIGIN", np.zeros((3, 2)))
    _int_param(c3d, "FORCE_PLATFORM", "CHANNEL", np.arange(1, 13).reshape(2, 6).T.tolist())
    c3d.add_parameter("FORCE_PLATFORM", "CAL_MATRIX", np.zeros((6, 6, 2)))

    t0 = float(time[0])
    gait = db.scalars(select(SessionEvent).where(
        SessionEvent.session_id == s.id, SessionEvent.source == "analytics")
        .order_by(SessionEvent.time_s)).all()
    gait = [e for e in gait if e.time_s - t0 <= (n_frames - 1) / (analog_rate / ratio)]
    if gait:
        secs = np.array([e.time_s - t0 for e in gait])
        mins = np.floor(secs / 60.0)
        label = {"heel_strike": "Foot Strike", "toe_off": "Foot Off"}
        _int_param(c3d, "EVENT", "USED", [len(gait)])
        c3d.add_parameter("EVENT", "TIMES", np.vstack([mins, secs - 60 * mins]))
        c3d.add_parameter("EVENT", "CONTEXTS",
                          [(e.side or "general").capitalize() for e in gait])
        c3d.add_parameter("EVENT", "LABELS", [label.get(e.kind, e.kind) for e in gait])
        c3d.add_parameter("EVENT", "DESCRIPTIONS", [e.kind for e in gait])
        c3d.add_parameter("EVENT", "SUBJECTS", [""] * len(gait))
        _int_param(c3d, "EVENT", "ICON_IDS", [0] * len(gait))
        _int_param(c3d, "EVENT", "GENERIC_FLAGS", [0] * len(gait))
    patient = db.get(Patient, s.patient_id)
    c3d.add_parameter("SUBJECTS", "NAMES", (patient.pseudonym if patient else "",))
    c3d.add_parameter("MANUFACTURER", "SOFTWARE", ("Gaitway",))
    _int_param(c3d, "GAITWAY", "SIMULATED", [int(s.simulated)])
    c3d.add_parameter("GAITWAY", "SESSION_ID", (s.id,))
    with atomic_output(out, suffix=".c3d") as tmp:  # ezc3d adds .c3d to other names
        c3d.write(str(tmp))
        _check_written_c3d(tmp, out, n_frames)
    return out


def _check_written_c3d(tmp: Path, out: Path, n_frames: int) -> None:
    """ezc3d says nothing when it cannot write (a full disk, a read-only folder): read the file
    back, and turn a missing or short file into the OSError it hid."""
    import ezc3d

    try:
        ok = ezc3d.c3d(str(tmp))["header"]["points"]["last_frame"] + 1 == n_frames
    except Exception:  # ezc3d raises RuntimeError and others on a short file
        ok = False
    if not ok:
        free = shutil.disk_usage(out.parent).free
        code = errno.ENOSPC if free < (1 << 20) else errno.EIO
        raise OSError(code, os.strerror(code), str(out))


# --------------------------------------------------------------------------- FHIR


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _narrative(text: str, simulated: bool) -> dict[str, str]:
    from html import escape

    prefix = "SIMULATED - virtual patient, not a real person. " if simulated else ""
    return {"status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{escape(prefix + text)}</div>'}


def _patient_resource(p: Patient) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Patient", "id": _fhir_id(p.pseudonym),
        "identifier": [{"system": "https://gaitway.example.org/fhir/pseudonym",
                        "value": p.pseudonym}],
        "text": _narrative(f"Pseudonymous patient {p.pseudonym}", p.simulated),
    }
    if p.sex:
        res["gender"] = {"female": "female", "male": "male"}.get(p.sex, "other")
    if p.birth_year:
        res["birthDate"] = f"{p.birth_year:04d}"
    if p.simulated:
        res["meta"] = {"security": [HTEST]}
    return res


def _fhir_id(text: str) -> str:
    out = "".join(c if c.isalnum() or c in "-." else "-" for c in text)
    return out[:64] or "patient"


def _observation(oid: str, patient: Patient, code: dict[str, Any], value: float, unit: str,
                 ucum: str, when: dt.datetime, text: str, category: str) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Observation", "id": oid, "status": "final",
        "category": [_coding("http://terminology.hl7.org/CodeSystem/observation-category",
                             category, category.replace("-", " "))],
        "code": code,
        "subject": {"reference": f"Patient/{_fhir_id(patient.pseudonym)}"},
        "effectiveDateTime": (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).isoformat(),
        "valueQuantity": {"value": round(float(value), 4), "unit": unit, "system": UCUM,
                          "code": ucum},
        "text": _narrative(text, patient.simulated),
    }
    if patient.simulated:
        res["meta"] = {"security": [HTEST]}
    return res


def session_observations(s: TrainingSession, patient: Patient) -> list[dict[str, Any]]:
    """One Observation per session measure. A session that did not run its course is not
    "final": its Observations are "preliminary" (FHIR: the data may be incomplete) and carry a
    note saying it was interrupted (or failed), how it ended and how long it ran."""
    out = []
    cut_short = s.status != "complete"
    note = (f"Session {s.status.upper()} ({s.ended_by or 'cut off'}): the values cover only "
            f"the {s.duration_s or 0.0:.1f} s recorded, not a whole session.")
    for m in SESSION_MEASURES:
        v = getattr(s, m.key)
        if v is None:
            continue
        code = _coding(m.code_system, m.code, m.label)
        text = f"{m.label}: {v:.4g} {m.unit}" + (f". {note}" if cut_short else "")
        obs = _observation(f"{s.id[:8]}-{m.code}"[:64], patient, code, v, m.unit, m.ucum,
                           s.started_at, text, "activity")
        if cut_short:
            obs["status"] = "preliminary"
            obs["note"] = [{"text": note}]
        out.append(obs)
    return out


def assessment_observations(assessments: Sequence[Assessment], patient: Patient
                            ) -> list[dict[str, Any]]:
    out = []
    for a in assessments:
        spec = CLINICAL_TESTS[a.test]
        code = _coding(spec.code_system, spec.code, spec.name)
        out.append(_observation(f"assessment-{a.id}", patient, code, a.value, spec.unit,
                                spec.ucum, a.performed_at, f"{spec.name}: {a.value:g} "
                                f"{spec.unit}", "exam"))
    return out


def fhir_bundle(db: Session, s: TrainingSession) -> dict[str, Any]:
    """A validated FHIR R4 collection Bundle: the Patient and this session's Observations."""
    patient = db.get(Patient, s.patient_id)
    assert patient is not None
    assessments = db.scalars(select(Assessment).where(Assessment.patient_id == patient.id)
                             .order_by(Assessment.performed_at)).all()
    resources = [_patient_resource(patient), *session_observations(s, patient),
                 *assessment_observations(assessments, patient)]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle", "id": s.id, "type": "collection",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        "entry": [{"fullUrl": f"urn:uuid:{_entry_uuid(s.id, r['id'])}", "resource": r}
                  for r in resources],
    }
    if s.simulated:
        bundle["meta"] = {"security": [HTEST]}
    validate_bundle(bundle)
    return bundle


def _entry_uuid(session_id: str, rid: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.UUID(session_id), rid))


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Validate against the FHIR R4 models of fhir.resources (R4B: R4's structures)."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:  # a bug in Gaitway, not bad user input
        raise ValueError(f"generated FHIR bundle is invalid: {exc}") from exc


def write_fhir(db: Session, s: TrainingSession, out: Path) -> Path:
    bundle = fhir_bundle(db, s)
    write_atomic(out, json.dumps(bundle, indent=2))
    return out


def export_session(db: Session, s: TrainingSession, fmt: str, out: Path) -> list[Path]:
    """Export one session in ``fmt`` to ``out`` (a folder for csv/parquet, a file otherwise)."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = Path(out)
    if fmt in ("csv", "parquet"):
        raw = bool(s.recording_path and Path(s.recording_path).exists())
        return export_tables(db, s, fmt, out, raw=raw)
    if out.is_dir():
        raise UserError(f"{out} is a folder; give a file name for the {fmt} export")
    if not out.parent.exists():
        raise UserError(f"folder {out.parent} does not exist; create it or choose another")
    if fmt == "fhir":
        return [write_fhir(db, s, out)]
    return [write_c3d(db, s, out)]

