"""The session report: what happened in one session, readable in under a minute.

First the big numbers (steps, minutes, speed, support, participation, symmetry), then what
changed since last time in plain words for the patient, then plots: joint-angle curves on the
normative band, weight bearing per leg, stride time per leg and stance per leg.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic.models import Patient, SessionEvent, Stride, TrainingSession
from gaitway.clinic.progress import ProgressModel, load_history
from gaitway.clinic.reports import layout, plots
from gaitway.clinic.reports.render import Plot, ReportContent, Table


def _f(v: float | None, fmt: str, unit: str = "") -> str:
    return "n/a" if v is None else f"{v:{fmt}}{unit}"


def session_report(db: Session, s: TrainingSession) -> ReportContent:
    patient = db.get(Patient, s.patient_id)
    assert patient is not None
    sim = s.simulated or patient.simulated
    when = s.started_at if s.started_at.tzinfo else s.started_at.replace(tzinfo=dt.UTC)
    header = layout.Header(
        title=f"Session report - {patient.pseudonym}",
        subtitle=(f"{when:%A %d %B %Y, %H:%M} UTC  |  {s.duration_s / 60:.1f} min  |  "
                  f"{'complete' if s.status == 'complete' else 'INTERRUPTED'}  |  session "
                  f"{s.id[:8]}" + (f"  |  virtual patient profile {s.profile}" if sim else "")),
        simulated=sim,
        footer=f"Gaitway session report, generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
    )
    content = ReportContent(header=header)
    content.key_figures = [
        ("steps", f"{s.steps}", ""),
        ("belt speed", _f(None if s.belt_speed_mps is None else s.belt_speed_mps * 3.6, ".1f",
                          " km/h"), ""),
        ("guidance", _f(s.guidance_pct, ".0f", " %"), "measured mean; robot help on the legs"),
        ("body-weight support", _f(s.bws_pct, ".0f", " %"), ""),
        _participation_figure(s),
        ("symmetry index", _f(s.symmetry_index_pct, "+.1f", " %"), "0 = symmetric"),
    ]
    model = ProgressModel().compute(_history_until(db, patient, s))
    patient_lines = model.lines_[:5] if len(model.history_.sessions) > 1 else []
    if not patient_lines:
        patient_lines = [f"You walked {s.steps} steps in {_duration_words(s.duration_s)}."]
    content.sections.append(("For the patient", patient_lines))
    content.sections.append(("For the therapist", _therapist_lines(db, s, patient)))
    content.tables.append(_settings_table(s))
    cycles: dict[str, Any] = s.cycles or {}
    strides = [
        {"side": r.side, "start_s": r.start_s, "stride_time_s": r.stride_time_s,
         "stance_pct": r.stance_pct}
        for r in db.scalars(select(Stride).where(Stride.session_id == s.id).order_by(Stride.id))
    ]
    for joint in ("hip", "knee"):
        norm = plots.normative_curve(joint, s.belt_speed_mps, patient.height_m)
        content.plots.append(Plot(
            f"{joint.capitalize()} angle over the gait cycle against the normative band",
            _curve_drawer(joint, cycles, norm)))
    content.plots.append(Plot(
        "Weight bearing per leg",
        lambda ax: plots.weight_bearing(ax, s.weight_bearing_left_pct,
                                        s.weight_bearing_right_pct, patient.affected_side)))
    content.plots.append(Plot("Stance per leg", lambda ax: plots.stance_by_side(ax, strides)))
    content.plots.append(Plot(
        "Stride time per leg over the session",
        lambda ax: plots.stride_symmetry(ax, strides, s.symmetry_index_pct), wide=True))
    return content


def _duration_words(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    return f"{seconds / 60:.0f} minutes"


def _curve_drawer(joint: str, cycles: dict[str, Any], norm: np.ndarray | None
                  ) -> Callable[[Axes], object]:
    return lambda ax: plots.joint_curves(ax, joint, cycles, norm)


def _history_until(db: Session, patient: Patient, s: TrainingSession) -> Any:
    h = load_history(db, patient)
    until = s.started_at if s.started_at.tzinfo else s.started_at.replace(tzinfo=dt.UTC)
    h.sessions = [p for p in h.sessions if p.started_at <= until]
    h.assessments = [a for a in h.assessments if a.performed_at <= until]
    return h


def _therapist_lines(db: Session, s: TrainingSession, patient: Patient) -> list[str]:
    lines: list[str] = []
    if s.status != "complete":
        lines.append(f"Session was INTERRUPTED ({s.ended_by or 'cut off'}); numbers cover "
                     f"the {s.duration_s / 60:.1f} min recorded.")
    elif s.ended_by:
        lines.append(f"Ended by: {s.ended_by}.")
    counts = {side: len(db.scalars(select(Stride.id).where(
        Stride.session_id == s.id, Stride.side == side)).all()) for side in ("left", "right")}
    lines.append(f"Strides analysed: {counts['left']} left, {counts['right']} right; "
                 f"distance {_f(s.distance_m, '.0f', ' m')}; tracking error "
                 f"{_f(s.tracking_error_rms_deg, '.1f', ' deg RMS')}.")
    if s.weight_bearing_left_pct is not None and s.weight_bearing_right_pct is not None:
        lines.append(f"Weight bearing left {s.weight_bearing_left_pct:.0f} % / right "
                     f"{s.weight_bearing_right_pct:.0f} % of body weight"
                     + (f"; affected side {patient.affected_side}."
                        if patient.affected_side in ("left", "right") else "."))
    safety = db.scalars(select(SessionEvent).where(
        SessionEvent.session_id == s.id, SessionEvent.source != "analytics")
        .order_by(SessionEvent.time_s)).all()
    notable = [e for e in safety if any(w in e.kind.lower() for w in
                                        ("fault", "stop", "param", "setting", "limit"))]
    if notable:
        shown = ", ".join(f"{e.kind} at {e.time_s / 60:.1f} min" for e in notable[:6])
        more = f" and {len(notable) - 6} more" if len(notable) > 6 else ""
        lines.append(f"Events: {shown}{more}.")
    else:
        lines.append("No faults, stops or parameter changes were recorded.")
    if s.notes:
        lines.extend(n.strip()[0].upper() + n.strip()[1:] for n in s.notes.splitlines()
                     if n.strip())
    return lines


_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("speed_kmh", "Belt speed", "km/h"),
    ("guidance_pct", "Guidance (set)", "%"),
    ("bws_pct", "Body-weight support (set)", "%"),
    ("controller", "Controller", ""),
    ("hip_rom_scale", "Hip range of motion (scale)", ""),
    ("knee_rom_scale", "Knee range of motion (scale)", ""),
    ("minutes", "Planned duration", "min"),
)


def _settings_table(s: TrainingSession) -> Table:
    """The settings a therapist chose, in words; technical ones stay in the exports."""
    settings = dict(s.settings or {})
    if s.controller:
        settings.setdefault("controller", s.controller)
    rows = [[label, f"{settings[key]:g} {unit}".strip() if isinstance(settings[key], int | float)
             and not isinstance(settings[key], bool) else str(settings[key])]
            for key, label, unit in _SETTINGS if key in settings]
    return Table("Settings used", ["setting", "value"], rows or [["(none recorded)", ""]],
                 widths=[0.4, 0.48])


def _participation_figure(s: TrainingSession) -> tuple[str, str, str]:
    """Percent when the source gives one, else the station's cuff-torque figure (N*m)."""
    if s.active_participation_pct is None and s.active_participation_nm is not None:
        return ("active participation", _f(s.active_participation_nm, "+.1f", " N*m"),
                "cuff torque; + = patient leads")
    return ("active participation", _f(s.active_participation_pct, ".0f", " %"), "")
