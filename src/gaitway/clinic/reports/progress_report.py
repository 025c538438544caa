"""The progress report: one patient's trends over sessions and assessments.

Plain sentences for the patient first, then the changes judged against published MDC/MCID
for the patient's speed band, then plots: steps per session, support from the robot over
the weeks, gait speed on the walking categories, weight bearing per leg and symmetry.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gaitway.clinic.measures import CLINICAL_TESTS
from gaitway.clinic.models import Patient
from gaitway.clinic.progress import ProgressModel, load_history
from gaitway.clinic.reports import layout, plots
from gaitway.clinic.reports.render import Plot, ReportContent, Table

_VERDICT_COLOUR = {"clinically important": layout.GOOD, "real change": layout.ACCENT}
_VERDICT_SHORT = {"clinically important": "important (MCID)", "real change": "real (MDC)",
                  "within measurement error": "within error", "trend only": "trend only"}


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.0f}"


def progress_report(db: Session, patient: Patient) -> ReportContent:
    history = load_history(db, patient)
    model = ProgressModel().compute(history)
    sim = patient.simulated
    sessions = history.sessions
    span = ""
    if sessions:
        span = (f"{sessions[0].started_at:%d %b %Y} - {sessions[-1].started_at:%d %b %Y}  |  "
                f"{len(sessions)} sessions")
    header = layout.Header(
        title=f"Progress report - {patient.pseudonym}",
        subtitle=" | ".join(x for x in (span, patient.diagnosis or "",
                                        f"affected side {patient.affected_side}"
                                        if patient.affected_side else "") if x),
        simulated=sim,
        footer=f"Gaitway progress report, generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} "
               "UTC. Change thresholds: see gaitway.clinic.measures for sources.",
    )
    content = ReportContent(header=header)
    s = model.series_

    def last(key: str) -> float | None:
        return s[key].values[-1] if s[key].values else None

    def trend(key: str, unit: str) -> str:
        slope = s[key].slope_per_week
        return "" if slope is None else f"trend {slope:+.1f} {unit}/week"

    content.key_figures = [
        ("sessions", str(len(sessions)), f"{sum(p.duration_s for p in sessions) / 60:.0f} min"),
        ("steps, last full session", _fmt(last("steps")), trend("steps", "steps")),
        ("guidance, last", f"{_fmt(last('guidance_pct'))} %", trend("guidance_pct", "%")),
        ("body-weight support, last", f"{_fmt(last('bws_pct'))} %", trend("bws_pct", "%")),
        ("walking category", model.band_.label if model.band_ else "no 10MWT yet", ""),
    ]
    content.sections.append(("For the patient", model.lines_ or ["No sessions yet."]))
    rows, colours = [], []
    for c in model.changes_:
        thr = " / ".join(x for x in (f"MDC {_fmt(c.mdc)}" if c.mdc is not None else "",
                                     f"MCID {_fmt(c.mcid)}" if c.mcid is not None else "") if x)
        direction = "" if c.improved is None else ("better" if c.improved else "worse")
        rows.append([c.label, f"{_fmt(c.first)} -> {_fmt(c.latest)} {c.unit}",
                     f"{c.delta:+.2f}" if abs(c.delta) < 10 else f"{c.delta:+.0f}",
                     direction, thr or "-", _VERDICT_SHORT.get(c.verdict, c.verdict)])
        colours.append(_VERDICT_COLOUR.get(c.verdict))
    content.tables.append(Table(
        "Changes since the first measurement", ["measure", "first -> latest", "change",
                                                "direction", "thresholds", "verdict"],
        rows or [["(fewer than two measurements)", "", "", "", "", ""]],
        widths=[0.22, 0.2, 0.08, 0.08, 0.16, 0.14], colours=colours or None))
    assess_rows = [[CLINICAL_TESTS[a.test].name, f"{a.performed_at:%Y-%m-%d}",
                    f"{_fmt(a.value)} {CLINICAL_TESTS[a.test].unit}"]
                   for a in history.assessments[-10:]]
    if assess_rows:
        content.tables.append(Table("Latest assessments", ["test", "date", "result"],
                                    assess_rows, widths=[0.4, 0.2, 0.28]))
    content.plots += [
        Plot("Steps per session", lambda ax: plots.series_plot(
            ax, s["steps"].times, s["steps"].values, title="Steps per session",
            unit="steps", kind="bar"), wide=True),
        Plot("Support from the robot over the weeks", lambda ax: plots.support_over_time(
            ax, (s["guidance_pct"].times, s["guidance_pct"].values),
            (s["bws_pct"].times, s["bws_pct"].values))),
        Plot("Gait speed and walking category", lambda ax: plots.speed_with_bands(
            ax, s["10mwt"].times, s["10mwt"].values)),
        Plot("Weight bearing per leg", lambda ax: plots.weight_bearing_trend(
            ax, (s["weight_bearing_left_pct"].times, s["weight_bearing_left_pct"].values),
            (s["weight_bearing_right_pct"].times, s["weight_bearing_right_pct"].values))),
    ]
    optional = [
        Plot("Step-time symmetry index", lambda ax: plots.series_plot(
            ax, s["symmetry_index_pct"].times, s["symmetry_index_pct"].values,
            title="Step-time symmetry index (0 = symmetric)", unit="%")),
        Plot("Active participation", lambda ax: plots.series_plot(
            ax, s["active_participation_pct"].times, s["active_participation_pct"].values,
            title="Active participation", unit="%")),
        Plot("Active participation (cuff torque)", lambda ax: plots.series_plot(
            ax, s["active_participation_nm"].times, s["active_participation_nm"].values,
            title="Active participation (cuff torque; + = patient leads)", unit="N*m")),
        Plot("Berg Balance Scale", lambda ax: plots.series_plot(
            ax, s["bbs"].times, s["bbs"].values, title="Berg Balance Scale", unit="points")),
    ]
    keys = ("symmetry_index_pct", "active_participation_pct", "active_participation_nm", "bbs")
    content.plots += [p for p, k in zip(optional, keys, strict=True) if s[k].values]
    return content
