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

from gaitway.control.phase import StreamingPhaseScorer
from gaitway.control.registry import check_controller
from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.errors import UserError
from gaitway.session.effort import EffortMeter
from gaitway.session.loop import PhasePlan, run_loop
from gaitway.station.channels import CONTROL, TRUTH_INDEX
from gaitway.station.interface import Command, Sample

#: (key, label, unit); participation and work as defined in docs/metrics.md, the same figures
#: as the session summary's
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
    """One simulated session of one cohort patient under one controller."""
    from gaitway.station.sim.patient import VirtualPatient
    from gaitway.station.sim.profiles import generate_cohort
    from gaitway.station.sim.twin import SimStation

    profile = generate_cohort(spec.cohort_size, spec.cohort_seed)[spec.patient_index]
    seed = spec.cohort_seed * 1000 + spec.patient_index  # same for every controller: paired
    patient = VirtualPatient(profile, seed=seed, events=False)
    station = SimStation(patient, seed=seed)
    stack = ControlStack(
        ControlSettings(
            controller=spec.controller, guidance=spec.guidance, speed_m_s=spec.speed_m_s
        ),
        height_m=profile.height_m,
        body_mass_kg=profile.mass_kg,
    )
    scorer = StreamingPhaseScorer(dt=station.dt)
    score = scorer.add
    c_l, c_r = TRUTH_INDEX["truth_contact_left"], TRUTH_INDEX["truth_contact_right"]
    plan = PhasePlan.for_minutes(spec.minutes)
    meter = EffortMeter(dt=station.dt, from_s=plan.calibration_s + plan.warm_up_s)
    measure = meter.add

    def on_tick(sample: Sample, control: list[float], cmd: Command) -> None:
        truth = station.truth
        measure(sample.values, truth)
        score(control[CONTROL.phase_estimate_left], control[CONTROL.phase_estimate_right],
              truth[c_l] > 0.5, truth[c_r] > 0.5)

    with station:
        result = run_loop(station, stack, plan, on_tick=on_tick)
    s = result.summary
    phase = scorer.result(from_s=result.training_start_s)["rms_pct"]["overall"]
    err = [v for v in s["tracking_error_rms_deg"].values() if v is not None]
    part = [v for v in s["active_participation"].values() if v is not None]
    effort = meter.summary(stack.strides)
    recs = [r for r in stack.strides if r.time_s >= meter.from_s]
    per_leg = 1.0 / len(recs) if recs else math.nan  # per stride of one leg
    return {
        "patient": profile.id,
        "controller": spec.controller,
        "tracking_error_deg": float(np.sqrt(np.mean(np.square(err)))) if err else math.nan,
        "active_participation_pct": effort.active_participation_overall_pct,
        "patient_work_j": 0.5 * sum(effort.patient_positive_work_j),
        "robot_work_j": sum(sum(r.robot_assist_work_j) for r in recs) * per_leg,
        "robot_resist_work_j": sum(sum(r.robot_resist_work_j) for r in recs) * per_leg,
        "cuff_participation_nm": float(np.mean(part)) if part else math.nan,
        "steps": float(s["strides"]["left"] + s["strides"]["right"]),
        "phase_error_pct": math.nan if phase is None else float(phase),
        "stopped": result.stopped,
        "realtime_factor": result.realtime_factor,
    }


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
