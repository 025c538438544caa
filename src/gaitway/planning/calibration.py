"""Calibration of the progress model, measured on a virtual cohort (SIMULATED).

A seeded cohort trains for ``weeks`` under the proposal rules (:mod:`gaitway.planning.cohort`).
In K folds, the population is fitted on the other patients; each held-out patient's curve is
conditioned on their first ``condition_weeks`` and checked against what followed:

- coverage80: the share of later observations (every outcome) inside their 80 % interval;
- weeks to target (gait speed 0.4 and 0.8 m/s, FAC >= 4) for the patients who had not reached
  it at the cut and did before the course ended: mean absolute error of the model's weeks
  against the baseline rule's. The baseline is TWIST for FAC >= 4 (from the first week's
  trunk control and hip extension) and, for gait speed where no published rule gives a date,
  the clinician's straight line through the speeds measured so far. A prediction of "not
  within the course" counts as the course's end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from gaitway.errors import UserError
from gaitway.planning.cohort import VirtualCourse, virtual_cohort
from gaitway.planning.predict import (
    OUTCOMES,
    OutcomeSpec,
    PatientCurve,
    Population,
    Series,
    fit_population,
    outcome,
    twist_weeks_after_onset,
)

MAX_PATIENTS: Final[int] = 500


def course_series(c: VirtualCourse) -> dict[str, Series]:
    """A virtual course as the progress model sees it: one series per outcome."""
    a = c.assessments
    s = c.sessions

    def ser(weeks: list[float], values: list[float]) -> Series:
        return Series(tuple(weeks), tuple(values))

    aw = [x.day / 7.0 for x in a]
    sw = [x.day / 7.0 for x in s]
    return {
        "gait_speed": ser(aw, [x.tests.gait_speed_mps for x in a]),
        "six_minute_walk": ser(aw, [x.tests.six_mwt_m for x in a]),
        "fac": ser(aw, [float(x.tests.fac) for x in a]),
        "steps_per_session": ser(sw, [float(x.steps) for x in s]),
        "guidance": ser(sw, [x.settings.guidance_pct for x in s]),
        "body_weight_support": ser(sw, [x.settings.bws_pct for x in s]),
        "step_time_symmetry": ser(sw, [x.symmetry_index_pct for x in s]),
        "active_participation": ser(sw, [x.active_participation_pct for x in s]),
    }


@dataclass(frozen=True)
class CalibrationResult:
    coverage80: float
    mae_weeks_model: float | None
    mae_weeks_baseline: float | None
    patients: int
    coverage_by_outcome: dict[str, float] = field(default_factory=dict)
    target_events: int = 0
    weeks: int = 0
    condition_weeks: float = 0.0
    seed: int = 0

    def to_json(self) -> dict[str, float | int | None]:
        """Exactly the issue's shape."""
        return {"coverage80": self.coverage80, "mae_weeks_model": self.mae_weeks_model,
                "mae_weeks_baseline": self.mae_weeks_baseline, "patients": self.patients}


def _first_reached(series: Series, target: float, after: float) -> float | None:
    for w, v in zip(series.weeks, series.values, strict=True):
        if w > after and v >= target:
            return w
    return None


def _line_weeks(series: Series, target: float, cut: float, cap: float) -> float:
    """The straight line through the observations so far, extended to the target."""
    w = np.asarray(series.weeks, dtype=float)
    v = np.asarray(series.values, dtype=float)
    if len(w) < 2 or np.ptp(w) == 0.0:
        return cap
    slope, intercept = np.polyfit(w, v, 1)
    if slope <= 0.0:
        return cap
    return float(np.clip((target - (intercept + slope * cut)) / slope, 0.0, cap))


def calibrate(*, patients: int, seed: int, weeks: int = 12, condition_weeks: float = 3.0,
              folds: int = 5, sessions_per_week: int = 4,
              progress: Callable[[str], object] | None = None) -> CalibrationResult:
    """Train a virtual cohort, hold patients out, and score the intervals and dates."""
    if not 4 <= patients <= MAX_PATIENTS:
        raise UserError(f"--patients must be within 4-{MAX_PATIENTS}, got {patients}")
    if seed < 0:
        raise UserError(f"--seed must be 0 or more, got {seed}")
    if not condition_weeks + 2 <= weeks <= 52:
        raise UserError("the course must be 2-52 weeks longer than the conditioning weeks")
    cohort = virtual_cohort(patients, seed=seed, weeks=weeks,
                            sessions_per_week=sessions_per_week)
    series = [course_series(c) for c in cohort]
    if progress:
        progress(f"trained {patients} virtual patients for {weeks} weeks [SIMULATED]")
    k = max(2, min(folds, patients // 2))
    fold_of = np.arange(patients) % k
    inside: dict[str, list[bool]] = {o.key: [] for o in OUTCOMES}
    err_model: list[float] = []
    err_base: list[float] = []
    cap = float(weeks) - condition_weeks
    for f in range(k):
        train = [i for i in range(patients) if fold_of[i] != f]
        test = [i for i in range(patients) if fold_of[i] == f]
        pops: dict[str, Population] = {
            o.key: fit_population([series[i][o.key] for i in train]) for o in OUTCOMES}
        for i in test:
            for o in OUTCOMES:
                _score_intervals(o, pops[o.key], series[i][o.key], condition_weeks,
                                 inside[o.key])
            _score_targets(cohort[i], series[i], pops, condition_weeks, cap, err_model,
                           err_base)
        if progress:
            progress(f"fold {f + 1}/{k} scored")
    flat = [x for v in inside.values() for x in v]
    if not flat:
        raise UserError("no observations after the conditioning weeks to score")
    return CalibrationResult(
        coverage80=round(float(np.mean(flat)), 4),
        mae_weeks_model=round(float(np.mean(err_model)), 3) if err_model else None,
        mae_weeks_baseline=round(float(np.mean(err_base)), 3) if err_base else None,
        patients=patients,
        coverage_by_outcome={k_: round(float(np.mean(v)), 4) for k_, v in inside.items() if v},
        target_events=len(err_model), weeks=weeks, condition_weeks=condition_weeks, seed=seed)


def _score_intervals(spec: OutcomeSpec, pop: Population, s: Series, cut: float,
                     inside: list[bool]) -> None:
    seen, later = s.until(cut), s.after(cut)
    if not later.weeks:
        return
    curve = PatientCurve.condition(pop, seen)
    preds = curve.predict(spec, list(later.weeks))
    inside.extend(p.low80 - 1e-9 <= v <= p.high80 + 1e-9
                  for p, v in zip(preds, later.values, strict=True))


def _score_targets(c: VirtualCourse, s: dict[str, Series], pops: dict[str, Population],
                   cut: float, cap: float, err_model: list[float], err_base: list[float]
                   ) -> None:
    speed = outcome("gait_speed")
    fac = outcome("fac")
    first = c.assessments[0].tests
    onset_weeks = c.onset_days_at_start_d / 7.0
    for spec, target in [(speed, t) for t in speed.targets] + [(fac, t) for t in fac.targets]:
        ser = s[spec.key]
        seen = ser.until(cut)
        if not seen.values or max(seen.values[-1:]) >= target.value:
            continue  # already there at the cut
        actual = _first_reached(ser, target.value, cut)
        if actual is None:
            continue  # not reached within the course: no date to score against
        truth = actual - cut
        curve = PatientCurve.condition(pops[spec.key], seen)
        w = curve.weeks_to(target.value, now_weeks=cut, higher_is_better=True)
        model = cap if w is None else min(w, cap)
        if spec.key == "fac":
            tw = twist_weeks_after_onset(first.trunk_control_score, first.hip_extension_mrc)
            base = cap if tw is None else float(np.clip(tw - onset_weeks - cut, 0.0, cap))
        else:
            base = _line_weeks(seen, target.value, cut, cap)
        err_model.append(abs(model - truth))
        err_base.append(abs(base - truth))
