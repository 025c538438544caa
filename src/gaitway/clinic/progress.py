"""Progress per patient: trends over sessions and assessments, flagged changes, plain words.

:func:`load_history` reads one patient's rows into plain data; :class:`ProgressModel` (tpcp
style: parameters in ``__init__``, results in attributes ending in ``_``) turns that history
into series, weekly trends, changes judged against published MDC/MCID values for the
patient's speed band (see :mod:`gaitway.clinic.measures`), a Perry walking category, and
short sentences a patient can read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Self

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic.measures import (
    CLINICAL_TESTS,
    SESSION_MEASURES,
    SpeedBand,
    speed_band,
)
from gaitway.clinic.models import Assessment, Patient, TrainingSession


@dataclass(frozen=True)
class SessionPoint:
    """One session's key numbers (None where the session did not measure it)."""

    session_id: str
    started_at: dt.datetime
    status: str
    duration_s: float
    values: dict[str, float | None]


@dataclass(frozen=True)
class AssessmentPoint:
    test: str
    value: float
    performed_at: dt.datetime


@dataclass
class PatientHistory:
    pseudonym: str
    simulated: bool
    affected_side: str | None
    diagnosis: str | None
    sessions: list[SessionPoint] = field(default_factory=list)
    assessments: list[AssessmentPoint] = field(default_factory=list)


def load_history(db: Session, patient: Patient) -> PatientHistory:
    """One patient's sessions and assessments, oldest first, as plain data."""
    keys = [m.key for m in SESSION_MEASURES]
    cols = [getattr(TrainingSession, k) for k in keys]
    rows = db.execute(
        select(TrainingSession.id, TrainingSession.started_at, TrainingSession.status,
               TrainingSession.duration_s, *cols)
        .where(TrainingSession.patient_id == patient.id)
        .order_by(TrainingSession.started_at)
    ).all()
    sessions = [
        SessionPoint(r[0], _aware(r[1]), r[2], r[3],
                     {k: (None if v is None else float(v)) for k, v in zip(keys, r[4:],
                                                                           strict=True)})
        for r in rows
    ]
    assessments = [
        AssessmentPoint(a.test, a.value, _aware(a.performed_at))
        for a in db.scalars(select(Assessment).where(Assessment.patient_id == patient.id)
                            .order_by(Assessment.performed_at))
    ]
    return PatientHistory(patient.pseudonym, patient.simulated, patient.affected_side,
                          patient.diagnosis, sessions, assessments)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    unit: str
    times: list[dt.datetime]
    values: list[float]
    #: Least-squares slope in units per week (None with fewer than 3 points).
    slope_per_week: float | None


@dataclass(frozen=True)
class Change:
    """First versus latest value of one measure, judged against its thresholds."""

    key: str
    label: str
    unit: str
    first: float
    latest: float
    delta: float
    improved: bool | None
    mdc: float | None
    mcid: float | None
    #: "clinically important", "real change", "within measurement error" or "trend only".
    verdict: str
    source: str


class ProgressModel:
    """Trends, flagged changes and patient sentences from a :class:`PatientHistory`.

    ``week_days`` sets how far back "last week" looks for the comparison session.
    """

    def __init__(self, *, week_days: float = 7.0, min_points_for_trend: int = 3) -> None:
        self.week_days = week_days
        self.min_points_for_trend = min_points_for_trend

    def compute(self, history: PatientHistory) -> Self:
        self.history_ = history
        self.series_ = self._session_series(history) | self._assessment_series(history)
        self.band_ = self._band(history)
        self.changes_ = self._changes(history)
        self.lines_ = self._lines(history)
        return self

    # -- series
    def _slope(self, times: list[dt.datetime], values: list[float]) -> float | None:
        if len(values) < self.min_points_for_trend:
            return None
        days = np.array([(t - times[0]).total_seconds() / 86400.0 for t in times])
        if np.ptp(days) < 1.0:  # sessions within one day say nothing about a weekly trend
            return None
        slope = float(np.polyfit(days, np.asarray(values, dtype=float), 1)[0])
        return slope * 7.0

    def _session_series(self, h: PatientHistory) -> dict[str, Series]:
        # A session cut off or stopped by a fault is no measure of how the patient walks; it
        # stays in the record, but trends and changes use complete sessions when there are any.
        done = [s for s in h.sessions if s.status == "complete"] or h.sessions
        out: dict[str, Series] = {}
        for m in SESSION_MEASURES:
            pts = [(s.started_at, s.values.get(m.key)) for s in done]
            times = [t for t, v in pts if v is not None]
            values = [float(v) for _, v in pts if v is not None]
            out[m.key] = Series(m.key, m.label, m.unit, times, values,
                                self._slope(times, values))
        return out

    def _assessment_series(self, h: PatientHistory) -> dict[str, Series]:
        out: dict[str, Series] = {}
        for key, spec in CLINICAL_TESTS.items():
            pts = [a for a in h.assessments if a.test == key]
            times = [a.performed_at for a in pts]
            values = [a.value for a in pts]
            out[key] = Series(key, spec.name, spec.unit, times, values,
                              self._slope(times, values))
        return out

    def _band(self, h: PatientHistory) -> SpeedBand | None:
        speeds = [a.value for a in h.assessments if a.test == "10mwt"]
        return speed_band(speeds[-1]) if speeds else None

    # -- changes
    def _changes(self, h: PatientHistory) -> list[Change]:
        changes: list[Change] = []
        for key, spec in CLINICAL_TESTS.items():
            s = self.series_[key]
            if len(s.values) < 2:
                continue
            first, latest = s.values[0], s.values[-1]
            mdc, mcid, source = spec.mdc, spec.mcid, spec.source
            if key == "10mwt":
                baseline = speed_band(first)  # thresholds follow the baseline speed band
                mdc, mcid = baseline.mdc_mps, baseline.mcid_mps
                source = f"{baseline.label} band: {baseline.source}"
            changes.append(_judge(key, spec.name, spec.unit, first, latest,
                                  spec.higher_is_better, mdc, mcid, source))
        for m in SESSION_MEASURES:
            s = self.series_[m.key]
            if len(s.values) < 2:
                continue
            changes.append(_judge(m.key, m.label, m.unit, s.values[0], s.values[-1],
                                  m.higher_is_better, None, None,
                                  "no published MDC for robot-measured values"))
        return changes

    # -- plain language
    def _lines(self, h: PatientHistory) -> list[str]:
        lines: list[str] = []
        done = [s for s in h.sessions if s.status == "complete"] or h.sessions
        if done:
            last = done[-1]
            week_ago = last.started_at - dt.timedelta(days=self.week_days)
            earlier = [s for s in done[:-1] if s.started_at <= week_ago + dt.timedelta(days=1)]
            ref = earlier[-1] if earlier else (done[-2] if len(done) > 1 else None)
            when = "last week" if earlier else "last time"
            if ref is not None:
                lines += _compare_lines(last, ref, when, h.affected_side)
            lines.append(f"You have trained {len(h.sessions)} time"
                         f"{'s' if len(h.sessions) != 1 else ''} so far, "
                         f"{sum(s.duration_s for s in h.sessions) / 60:.0f} minutes in all.")
        for c in self.changes_:
            if c.key in CLINICAL_TESTS and c.verdict in ("clinically important", "real change"):
                word = "better" if c.improved else "worse"
                lines.append(f"Your {c.label} result is {word} than at the start "
                             f"({_fmt(c.first)} -> {_fmt(c.latest)} {c.unit}), more than "
                             "normal day-to-day variation.")
        if self.band_ is not None:
            lines.append(f"Your walking speed puts you in the '{self.band_.label}' group.")
        return lines


def _judge(key: str, label: str, unit: str, first: float, latest: float,
           higher_is_better: bool | None, mdc: float | None, mcid: float | None,
           source: str) -> Change:
    delta = latest - first
    improved = None if higher_is_better is None or delta == 0 else (
        (delta > 0) == higher_is_better)
    # A change smaller than the measurement error is not important whatever the MCID says
    # (in the community band the published MCID is below the MDC).
    if mcid is not None and abs(delta) >= max(mcid, mdc or 0.0):
        verdict = "clinically important"
    elif mdc is not None and abs(delta) >= mdc:
        verdict = "real change"
    elif mdc is not None or mcid is not None:
        verdict = "within measurement error"
    else:
        verdict = "trend only"
    return Change(key, label, unit, first, latest, delta, improved, mdc, mcid, verdict, source)


def _fmt(v: float) -> str:
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.0f}"


def _compare_lines(last: SessionPoint, ref: SessionPoint, when: str,
                   affected: str | None) -> list[str]:
    lines: list[str] = []
    a, b = last.values, ref.values
    if a.get("steps") is not None and b.get("steps") is not None:
        d = round((a["steps"] or 0) - (b["steps"] or 0))
        noun = "step" if abs(d) == 1 else "steps"
        if d > 0:
            lines.append(f"Today, you took {d} more {noun} than {when}.")
        elif d < 0:
            lines.append(f"Today, you took {-d} fewer {noun} than {when}.")
        else:
            lines.append(f"Today, you took as many steps as {when}.")
    sides = [affected] if affected in ("left", "right") else ["left", "right"]
    for side in sides:
        now, then = a.get(f"weight_bearing_{side}_pct"), b.get(f"weight_bearing_{side}_pct")
        if now and then and then > 0:
            rel = (now - then) / then * 100.0
            if abs(rel) >= 5:
                more = "more" if rel > 0 else "less"
                lines.append(f"Your {side} leg is now bearing {abs(rel):.0f} % {more} weight "
                             f"than {when}.")
    for key, noun in (("guidance_pct", "guidance from the robot"),
                      ("bws_pct", "body-weight support")):
        now, then = a.get(key), b.get(key)
        if now is not None and then is not None and now < then - 0.5:
            lines.append(f"You needed less {noun} ({now:.0f} % instead of {then:.0f} %).")
    ap_now, ap_then = a.get("active_participation_pct"), b.get("active_participation_pct")
    if ap_now is not None and ap_then is not None and ap_now > ap_then + 1:
        lines.append(f"You did more of the work yourself: {ap_now:.0f} % active "
                     f"participation, up from {ap_then:.0f} %.")
    return lines


def patient_progress(db: Session, patient: Patient) -> ProgressModel:
    return ProgressModel().compute(load_history(db, patient))
