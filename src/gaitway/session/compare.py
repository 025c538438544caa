"""Compare controllers on one virtual cohort: the same simulated patients, seeds and session
under each controller, paired, with confidence intervals.

Each (patient, controller) run is a headless session on the twin; the phase estimate is
scored against the twin's true foot contact as it runs (steady strides of training). Runs
are independent, so they can go to worker processes. Everything here is simulated and says so.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from scipy import stats

from gaitway.control.registry import check_controller
from gaitway.errors import UserError
from gaitway.session.builder import SessionCore
from gaitway.session.loop import PhasePlan
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import JointValues
from gaitway.station.sim.profiles import generate_cohort

#: (key, label, unit); participation and work as defined in docs/metrics.md, read from the
#: same SessionSummary every session writes
METRICS: Final[tuple[tuple[str, str, str], ...]] = (
    ("tracking_error_deg", "tracking error RMS", "deg"),
    ("active_participation_pct", "active participation (patient's share of positive work, "
     "truth)", "%"),
    ("patient_work_j", "patient's positive work per stride, hip+knee (truth)", "J"),
    ("robot_work_j", "robot's positive work per stride, hip+knee (with the patient)", "J"),
    ("robot_resist_work_j", "work against the robot per stride, hip+knee", "J"),
    ("cuff_participation_nm", "cuff torque against the motion per radian", "N*m"),
    ("steps", "steps", "count"),
    ("phase_error_pct", "phase error RMS, steady strides", "% of cycle"),
)


@dataclass(frozen=True, slots=True)
class RunSpec:
    patient_index: int
    controller: str
    cohort_seed: int
    cohort_size: int
    minutes: float
    speed_m_s: float
    guidance: float


def run_one(spec: RunSpec) -> dict[str, Any]:
    """One simulated session of one cohort patient under one controller (no recording)."""
    profile = generate_cohort(spec.cohort_size, spec.cohort_seed)[spec.patient_index]
    settings = SessionSettings(
        profile=profile.id, minutes=spec.minutes,
        seed=spec.cohort_seed * 1000 + spec.patient_index,  # same for every controller: paired
        controller=spec.controller, guidance_pct=spec.guidance * 100.0,
        speed_kmh=spec.speed_m_s * 3.6, patient_events=False)
    s = SessionCore(settings).run()
    phase = s.phase_error.overall_rms_pct if s.phase_error else None
    err = s.tracking_error_rms_deg.rms()
    part = s.active_participation_nm.mean()
    effort = s.effort
    return {
        "patient": profile.id,
        "controller": spec.controller,
        "tracking_error_deg": math.nan if err is None else err,
        "active_participation_pct": _num(effort.active_participation_pct if effort else None),
        "patient_work_j": _per_leg_stride(effort.patient_positive_work_per_stride_j
                                          if effort else None),
        "robot_work_j": _per_leg_stride(s.robot_assist_work_per_stride_j),
        "robot_resist_work_j": _per_leg_stride(s.robot_resist_work_per_stride_j),
        "cuff_participation_nm": _num(part),
        "steps": float(s.strides.total),
        "phase_error_pct": math.nan if phase is None else float(phase),
        "stopped": s.ended_by != "completed",
        "realtime_factor": s.real_time_factor,
    }


def _num(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _per_leg_stride(v: JointValues | None) -> float:
    """Hip + knee per stride of a leg, the mean of the legs (J)."""
    if v is None:
        return math.nan
    legs = [h + k for h, k in ((v.hip_left, v.knee_left), (v.hip_right, v.knee_right))
            if h is not None and k is not None]
    return float(np.mean(legs)) if legs else math.nan


def mean_ci(values: list[float], level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and a t-based confidence interval; NaNs are left out."""
    x = np.asarray([v for v in values if math.isfinite(v)], dtype=np.float64)
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n == 1:
        return m, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return m, m - half, m + half, n


def compare(
    *,
    cohort: int,
    seed: int,
    controllers: tuple[str, str],
    minutes: float,
    speed_m_s: float = 2.0 / 3.6,
    guidance: float = 1.0,
    workers: int = 1,
) -> dict[str, Any]:
    """Run the cohort under both controllers; per-metric means, CIs and paired differences."""
    if not 2 <= cohort <= 500:
        raise UserError(f"a comparison needs a cohort of 2-500 patients, got {cohort}")
    a, b = controllers
    for c in controllers:
        check_controller(c)
    if a == b:
        raise UserError("compare two different controllers, e.g. --controllers guidance,aan")
    if workers < 1:
        raise UserError(f"workers must be at least 1, got {workers}")
    PhasePlan.for_minutes(minutes)  # validates the length
    specs = [
        RunSpec(i, c, seed, cohort, minutes, speed_m_s, guidance)
        for i in range(cohort)
        for c in controllers
    ]
    if workers == 1:
        runs = [run_one(s) for s in specs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            runs = list(pool.map(run_one, specs))
    by = {c: [r for r in runs if r["controller"] == c] for c in controllers}
    table = []
    for key, label, unit in METRICS:
        va = [r[key] for r in by[a]]
        vb = [r[key] for r in by[b]]
        diff = [y - x for x, y in zip(va, vb, strict=True)]
        ma, la, ha, na = mean_ci(va)
        mb, lb, hb, nb = mean_ci(vb)
        md, ld, hd, nd = mean_ci(diff)
        table.append(
            {
                "metric": key,
                "label": label,
                "unit": unit,
                a: {"mean": ma, "ci95": [la, ha], "n": na},
                b: {"mean": mb, "ci95": [lb, hb], "n": nb},
                "difference": {"of": f"{b} - {a}", "mean": md, "ci95": [ld, hd], "n": nd},
            }
        )
    return {
        "simulated": True,
        "note": "virtual cohort on the MuJoCo twin: simulated data, no claim about patients",
        "cohort": cohort,
        "seed": seed,
        "minutes": minutes,
        "speed_m_s": speed_m_s,
        "controllers": [a, b],
        "table": table,
        "runs": runs,
    }
