"""Patient records, prescriptions, session history, reports and progress.

Least privilege: admins see every patient, a therapist the patients of their care team
(``gaitway.clinic.care_team``), a patient only their own record, reports and progress. A
record one may not see answers 404, the same as one that does not exist.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as FPath
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from gaitway.clinic import care_team, records
from gaitway.clinic.models import Patient, Prescription, TrainingSession
from gaitway.clinic.progress import patient_progress
from gaitway.clinic.reports.progress_report import progress_report
from gaitway.clinic.reports.render import ReportContent, write_html, write_pdf
from gaitway.clinic.reports.session_report import session_report
from gaitway.control.registry import check_controller
from gaitway.errors import UserError
from gaitway.planning.forecast import patient_forecast
from gaitway.planning.report import add_forecast, plain_lines
from gaitway.session.settings import SETTING_RANGES
from gaitway.web.auth import WebSession
from gaitway.web.deps import AppContext, CsrfSession, Ctx, CurrentSession, require_staff

router = APIRouter(prefix="/api", tags=["clinic"])
PatientId = Annotated[int, FPath(ge=1, le=2**31 - 1)]
SessionId = Annotated[str, FPath(max_length=36)]


def _patient(p: Patient) -> dict[str, Any]:
    return {"id": p.id, "pseudonym": p.pseudonym, "simulated": p.simulated,
            "diagnosis": p.diagnosis, "affected_side": p.affected_side, "sex": p.sex,
            "birth_year": p.birth_year}


def _session(s: TrainingSession) -> dict[str, Any]:
    return {"id": s.id, "started_at": s.started_at.isoformat(), "status": s.status,
            "simulated": s.simulated, "duration_s": s.duration_s, "steps": s.steps,
            "guidance_pct": s.guidance_pct, "bws_pct": s.bws_pct,
            "speed_kmh": None if s.belt_speed_mps is None else round(s.belt_speed_mps * 3.6, 2),
            "active_participation_pct": s.active_participation_pct,
            "symmetry_index_pct": s.symmetry_index_pct}


def _prescription(r: Prescription) -> dict[str, Any]:
    return {"id": r.id, "created_at": r.created_at.isoformat(), "active": r.active,
            "duration_min": r.duration_min, "speed_kmh": r.speed_kmh,
            "guidance_pct": r.guidance_pct, "bws_pct": r.bws_pct, "controller": r.controller,
            "hip_rom_scale": r.hip_rom_scale, "knee_rom_scale": r.knee_rom_scale,
            "targets": r.targets}


_HIDDEN = "no such patient record that you may see"


def _may_see(db: Session, sess: WebSession, patient_id: int) -> bool:
    u = sess.user
    return care_team.may_see(db, user_id=u.id, role=u.role, own_patient_id=u.patient_id,
                             patient_id=patient_id)


def _visible_patient(db: Session, sess: WebSession, patient_id: int) -> Patient:
    p = db.get(Patient, patient_id)
    if p is None or not _may_see(db, sess, patient_id):
        raise HTTPException(404, _HIDDEN)
    return p


class PatientIn(BaseModel):
    """A patient's demographics and clinical facts; never a name (the pseudonym is made
    when none is given)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    pseudonym: str | None = Field(default=None, max_length=64)
    sex: Literal["female", "male", "other"] | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    height_m: float | None = Field(default=None, ge=1.0, le=2.3)
    body_mass_kg: float | None = Field(default=None, ge=20.0, le=250.0)
    diagnosis: str | None = Field(default=None, max_length=200)
    affected_side: Literal["left", "right", "both", "none"] | None = None
    #: a virtual patient, who trains on the twin's (SIMULATED) stations: set when the record
    #: is made, never changed (a real patient's record never holds simulated sessions)
    simulated: bool = False


@router.get("/patients", responses={401: {}, 403: {}})
def list_patients(sess: CurrentSession, ctx: Ctx,
                  q: Annotated[str, Query(max_length=64)] = "") -> list[dict[str, Any]]:
    """The patient records this user may see: all for admins, the care team's for
    therapists (each with its care team); ``q`` searches pseudonym and diagnosis."""
    require_staff(sess)
    needle = q.strip().lower()
    with ctx.store.reader() as db:
        mine = None if sess.user.role == "admin" else care_team.patient_ids(db, sess.user.id)
        return [_patient(p) | {"care_team": care_team.members(db, p)}
                for p in records.list_patients(db) if (mine is None or p.id in mine)
                and (not needle or needle in p.pseudonym.lower()
                     or needle in (p.diagnosis or "").lower())]


@router.post("/patients", status_code=201, responses={400: {}, 401: {}, 403: {}})
def add_patient(body: PatientIn, sess: CsrfSession, ctx: Ctx) -> dict[str, Any]:
    """Register a patient; a therapist who adds one joins the patient's care team."""
    require_staff(sess)
    actor = f"web:{sess.user.username}"
    with ctx.store.transaction() as db:
        p = records.add_patient(db, actor=actor, **body.model_dump())
        if sess.user.role == "therapist":
            care_team.assign(db, actor=actor, patient=p,
                             user=records.find_user(db, sess.user.username))
        return _patient(p) | {"care_team": care_team.members(db, p)}


@router.patch("/patients/{patient_id}", responses={400: {}, 401: {}, 403: {}, 404: {}})
def edit_patient(patient_id: PatientId, body: PatientIn, sess: CsrfSession,
                 ctx: Ctx) -> dict[str, Any]:
    """Change a patient's demographics or clinical facts (the fields sent; not the
    pseudonym)."""
    require_staff(sess)
    changes = body.model_dump(exclude_unset=True)
    if "pseudonym" in changes:
        raise HTTPException(400, "a pseudonym stays as it was given; leave it out")
    if "simulated" in changes:
        raise HTTPException(400, "whether a patient is virtual (SIMULATED) is fixed when the "
                                 "record is made; leave it out")
    with ctx.store.transaction() as db:
        p = _visible_patient(db, sess, patient_id)
        records.update_patient(db, actor=f"web:{sess.user.username}", patient=p, **changes)
        return _patient(p) | {"care_team": care_team.members(db, p)}


@router.get("/patients/{patient_id}", responses={401: {}, 403: {}, 404: {}})
def patient_record(patient_id: PatientId, sess: CurrentSession, ctx: Ctx) -> dict[str, Any]:
    """One patient with prescriptions and session history."""
    with ctx.store.reader() as db:
        p = _visible_patient(db, sess, patient_id)
        out = _patient(p) | {
            "prescriptions": [_prescription(r) for r in p.prescriptions],
            "sessions": [_session(s) for s in p.sessions],
        }
        if sess.user.role != "patient":
            out["care_team"] = care_team.members(db, p)
        return out


class PrescriptionIn(BaseModel):
    """Per-session settings in screen units, within the clinic store's bounds (checked again
    there); the controller by its registered name."""

    model_config = ConfigDict(strict=True, extra="forbid")

    duration_min: float = Field(ge=records.PRESCRIPTION_DURATION_MIN[0],
                                le=records.PRESCRIPTION_DURATION_MIN[1])
    speed_kmh: float = Field(ge=SETTING_RANGES.speed_kmh[0], le=SETTING_RANGES.speed_kmh[1])
    guidance_pct: float = Field(ge=SETTING_RANGES.guidance_pct[0],
                                le=SETTING_RANGES.guidance_pct[1])
    bws_pct: float = Field(ge=SETTING_RANGES.bws_pct[0], le=SETTING_RANGES.bws_pct[1])
    hip_rom_scale: float = Field(default=1.0, ge=SETTING_RANGES.rom_scale[0],
                                 le=SETTING_RANGES.rom_scale[1])
    knee_rom_scale: float = Field(default=1.0, ge=SETTING_RANGES.rom_scale[0],
                                  le=SETTING_RANGES.rom_scale[1])
    controller: str = Field(default="guidance", max_length=64)


class RangeOut(BaseModel):
    """A setting's range, both ends included."""

    low: float
    high: float


class LimitsOut(BaseModel):
    """What a therapist may set, from the one list of ranges (session.settings.SETTING_RANGES,
    a prescription's length from the clinic store): the console's inputs take their bounds
    from here, so a page never offers a value the station or the store refuses."""

    speed_kmh: RangeOut
    guidance_pct: RangeOut
    bws_pct: RangeOut
    rom_scale: RangeOut
    duration_min: RangeOut


def _range(r: tuple[float, float]) -> RangeOut:
    return RangeOut(low=r[0], high=r[1])


@router.get("/limits", responses={401: {}, 403: {}})
def setting_limits(sess: CurrentSession) -> LimitsOut:
    """The ranges of the settings a therapist sets (therapists and admins)."""
    require_staff(sess)
    return LimitsOut(speed_kmh=_range(SETTING_RANGES.speed_kmh),
                     guidance_pct=_range(SETTING_RANGES.guidance_pct),
                     bws_pct=_range(SETTING_RANGES.bws_pct),
                     rom_scale=_range(SETTING_RANGES.rom_scale),
                     duration_min=_range(records.PRESCRIPTION_DURATION_MIN))


@router.post("/patients/{patient_id}/prescriptions", status_code=201,
             responses={400: {}, 401: {}, 403: {}, 404: {}, 422: {}})
def add_prescription(patient_id: PatientId, body: PrescriptionIn, sess: CsrfSession,
                     ctx: Ctx) -> dict[str, Any]:
    """A new prescription for a patient of one's care team; it becomes the active one and
    the previous one stays in the history (editing is writing a new one). A range of motion
    too small for the belt's speed, which a session would refuse, is refused here (422)."""
    require_staff(sess)
    with ctx.store.transaction() as db:
        p = _visible_patient(db, sess, patient_id)
        fields = body.model_dump()
        fields["controller"] = check_controller(fields["controller"])
        rx = records.add_prescription(db, actor=f"web:{sess.user.username}", patient=p,
                                      **fields)
        return _prescription(rx)


ReportFormat = Literal["html", "pdf"]


def _report_response(content: ReportContent, fmt: ReportFormat, *, name: str,
                     pdf_href: str) -> Response:
    """The report as one HTML page (print stylesheet, a link to its PDF) or an A4 PDF
    download; rendered in a temporary directory that is gone when the answer is."""
    with tempfile.TemporaryDirectory() as tmp:
        if fmt == "pdf":
            out = Path(tmp) / "report.pdf"
            write_pdf(content, out)
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            return Response(out.read_bytes(), media_type="application/pdf", headers={
                "Content-Disposition": f'attachment; filename="{safe}.pdf"'})
        out = Path(tmp) / "report.html"
        write_html(content, out, pdf_href=pdf_href)
        return HTMLResponse(out.read_text(encoding="utf-8"))


def _session_report(session_id: str, fmt: ReportFormat, sess: WebSession,
                    ctx: AppContext) -> Response:
    with ctx.store.reader() as db:
        s = db.get(TrainingSession, session_id)
        if s is None or not _may_see(db, sess, s.patient_id):
            raise HTTPException(404, "no such session that you may see")
        content = session_report(db, s)
    return _report_response(content, fmt, name=f"gaitway-session-{session_id}",
                            pdf_href=f"/api/sessions/{session_id}/report.pdf")


@router.get("/sessions/{session_id}/report", response_class=HTMLResponse,
            responses={401: {}, 403: {}, 404: {}})
def session_report_html(session_id: SessionId, sess: CurrentSession, ctx: Ctx) -> Response:
    """The session report as one HTML page (plots embedded; prints on A4)."""
    return _session_report(session_id, "html", sess, ctx)


@router.get("/sessions/{session_id}/report.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 401: {}, 403: {}, 404: {}})
def session_report_pdf(session_id: SessionId, sess: CurrentSession, ctx: Ctx) -> Response:
    """The session report as an A4 PDF download (what `gaitway clinic report session` writes)."""
    return _session_report(session_id, "pdf", sess, ctx)


def _progress_report(patient_id: int, fmt: ReportFormat, sess: WebSession,
                     ctx: AppContext) -> Response:
    with ctx.store.reader() as db:
        p = _visible_patient(db, sess, patient_id)
        content = progress_report(db, p)
        if sess.user.role != "patient":  # the forecast and the latest proposal: staff's
            add_forecast(db, p, content)
        name = f"gaitway-progress-{p.pseudonym}"
    return _report_response(content, fmt, name=name,
                            pdf_href=f"/api/patients/{patient_id}/report.pdf")


@router.get("/patients/{patient_id}/report", response_class=HTMLResponse,
            responses={401: {}, 404: {}})
def progress_report_html(patient_id: PatientId, sess: CurrentSession, ctx: Ctx) -> Response:
    """The patient's progress report as one HTML page (their care team, admins, the patient
    themself; the forecast and latest proposal for staff only); prints on A4."""
    return _progress_report(patient_id, "html", sess, ctx)


@router.get("/patients/{patient_id}/report.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 401: {}, 404: {}})
def progress_report_pdf(patient_id: PatientId, sess: CurrentSession, ctx: Ctx) -> Response:
    """The progress report as an A4 PDF download (what `gaitway clinic report progress`
    writes)."""
    return _progress_report(patient_id, "pdf", sess, ctx)


def _progress(db: Session, p: Patient) -> dict[str, Any]:
    model = patient_progress(db, p)
    lines = list(model.lines_)
    # what is likely next, on the current trend and with its range (nothing to forecast
    # before two tests or sessions)
    with contextlib.suppress(UserError):
        lines += plain_lines(patient_forecast(db, p, keys=("gait_speed", "fac", "guidance")))
    return {"id": p.id, "pseudonym": p.pseudonym, "simulated": p.simulated, "lines": lines,
            "sessions": [_session(s) for s in p.sessions][-10:]}


@router.get("/me/progress", responses={401: {}, 403: {}})
def my_progress(sess: CurrentSession, ctx: Ctx) -> dict[str, Any]:
    """A patient's progress in plain words, and their recent sessions."""
    if sess.user.patient_id is None:
        raise HTTPException(403, "this is a patient's own progress; therapists open "
                                 "/progress?patient=ID (GET /api/patients/ID/progress)")
    with ctx.store.reader() as db:
        p = db.get(Patient, sess.user.patient_id)
        if p is None:
            raise HTTPException(404, "your patient record is missing; ask your therapist")
        return _progress(db, p)


@router.get("/patients/{patient_id}/progress", responses={401: {}, 404: {}})
def patient_progress_view(patient_id: PatientId, sess: CurrentSession,
                          ctx: Ctx) -> dict[str, Any]:
    """One patient's progress in plain words and recent sessions (their care team, admins,
    and the patient themself)."""
    with ctx.store.reader() as db:
        return _progress(db, _visible_patient(db, sess, patient_id))
