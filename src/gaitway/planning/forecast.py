"""A patient's progress forecast from the clinic store: their series, the population's curve.

The patient's observations per outcome come from the store (assessments: 10MWT, 6MWT, FAC;
sessions: steps, guidance, body-weight support, step-time asymmetry, active participation), in
weeks since their first session or test. The population is the store's other patients; while
the store holds fewer than :data:`MIN_POPULATION` of them for an outcome, a SIMULATED reference
cohort (:mod:`gaitway.planning.cohort`) joins them, and the forecast says so.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaitway.clinic.models import Assessment, Patient, TrainingSession
from gaitway.errors import UserError
from gaitway.planning import course
from gaitway.planning.calibration import course_series
from gaitway.planning.cohort import virtual_cohort
from gaitway.planning.outcomes import assess
from gaitway.planning.predict import (
    OUTCOMES,
    TWIST_LIMITS,
    OutcomeForecast,
    PatientCurve,
    Series,
    fit_population,
    forecast,
    twist_weeks_after_onset,
)

MIN_POPULATION: Final[int] = 8
REFERENCE_PATIENTS: Final[int] = 24
REFERENCE_SEED: Final[int] = 0
REFERENCE_WEEKS: Final[int] = 12
_TESTS: Final[dict[str, str]] = {"10mwt": "gait_speed", "6mwt": "six_minute_walk",
                                 "fac": "fac"}
_SESSION_COLUMNS: Final[dict[str, str]] = {
    "steps_per_session": "steps", "guidance": "guidance_pct", "body_weight_support": "bws_pct",
    "step_time_symmetry": "symmetry_index_pct",
    "active_participation": "active_participation_pct"}


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def patient_series(db: Session, patient_id: int) -> dict[str, Series]:
    """The patient's observations per outcome, in weeks since their first one."""
    sessions = list(db.scalars(select(TrainingSession).where(
        TrainingSession.patient_id == patient_id, TrainingSession.status == "complete")
        .order_by(TrainingSession.started_at)))
    tests = list(db.scalars(select(Assessment).where(
        Assessment.patient_id == patient_id, Assessment.test.in_(tuple(_TESTS)))
        .order_by(Assessment.performed_at)))
    times = [_aware(s.started_at) for s in sessions] + [_aware(a.performed_at) for a in tests]
    if not times:
        return {}
    t0 = min(times)
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)

    def weeks(t: dt.datetime) -> float:
        return (_aware(t) - t0).total_seconds() / (7 * 86400.0)

    for a in tests:
        points[_TESTS[a.test]].append((weeks(a.performed_at), float(a.value)))
    for s in sessions:
        for key, column in _SESSION_COLUMNS.items():
            v = getattr(s, column)
            if v is not None:
                points[key].append((weeks(s.started_at), abs(float(v)) if
                                    key == "step_time_symmetry" else float(v)))
    return {k: Series(tuple(w for w, _ in pts), tuple(v for _, v in pts))
            for k, pts in points.items()}


@lru_cache(maxsize=2)
def reference_series(n: int = REFERENCE_PATIENTS, seed: int = REFERENCE_SEED
                     ) -> tuple[dict[str, Series], ...]:
    """The SIMULATED reference cohort's series (subacute, 12 weeks under the rules)."""
    return tuple(course_series(c) for c in virtual_cohort(n, seed=seed, weeks=REFERENCE_WEEKS))


@dataclass(frozen=True)
class PatientForecast:
    pseudonym: str
    simulated: bool
    outcomes: dict[str, OutcomeForecast]
    #: per outcome: how many patients the population holds, and whether simulated ones joined
    population: dict[str, tuple[int, bool]]
    #: TWIST's weeks after onset to FAC >= 4 for a virtual patient, or why it does not apply
    twist: str
    #: the patient's own series and fitted curves (for plots)
    series: dict[str, Series]
    curves: dict[str, PatientCurve]

    def to_json(self) -> dict[str, object]:
        return {key: f.to_json() for key, f in self.outcomes.items()}


def _twist_line(db: Session, patient: Patient) -> str:
    states = course.course(db, patient)
    if not states:
        return ("TWIST baseline: not computed (needs the trunk control test and hip extension "
                "strength at one week after stroke, which the store does not hold)")
    first = states[0]
    tests = assess(first, seed=first.seed, index=0)
    w = twist_weeks_after_onset(tests.trunk_control_score, tests.hip_extension_mrc)
    when = "not by 12 weeks" if w is None else f"by {w:g} weeks after onset"
    return (f"TWIST baseline (SIMULATED first-week tests: trunk control "
            f"{tests.trunk_control_score:.0f}, hip extension MRC {tests.hip_extension_mrc}, "
            f"{first.onset_days_at_start_d / 7:.1f} weeks after onset at the start): "
            f"independent walking {when}")


def patient_forecast(db: Session, patient: Patient,
                     keys: tuple[str, ...] | None = None) -> PatientForecast:
    """The forecast of every outcome (or of ``keys``) the patient has at least two
    observations of."""
    own = patient_series(db, patient.id)
    if not any(len(s.weeks) >= 2 for s in own.values()):
        raise UserError(f"patient {patient.pseudonym} has fewer than two observations of any "
                        "outcome; import sessions or enter tests first")
    others = [patient_series(db, pid) for pid in db.scalars(
        select(Patient.id).where(Patient.id != patient.id))]
    outcomes: dict[str, OutcomeForecast] = {}
    population: dict[str, tuple[int, bool]] = {}
    curves: dict[str, PatientCurve] = {}
    for spec in OUTCOMES:
        if keys is not None and spec.key not in keys:
            continue
        mine = own.get(spec.key)
        if mine is None or len(mine.weeks) < 2:
            continue
        pool = [o[spec.key] for o in others if len(o.get(spec.key, Series((), ())).weeks) >= 2]
        simulated = len(pool) < MIN_POPULATION
        if simulated:
            pool += [r[spec.key] for r in reference_series()]
        pop = fit_population(pool)
        outcomes[spec.key] = forecast(spec, pop, mine)
        curves[spec.key] = PatientCurve.condition(pop, mine)
        population[spec.key] = (pop.patients, simulated)
    return PatientForecast(pseudonym=patient.pseudonym, simulated=patient.simulated,
                           outcomes=outcomes, population=population,
                           twist=_twist_line(db, patient),
                           series={k: own[k] for k in outcomes}, curves=curves)


__all__ = ["TWIST_LIMITS", "PatientForecast", "patient_forecast", "patient_series",
           "reference_series"]
