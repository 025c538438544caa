"""One patient-arm course: a virtual patient's sessions under one plan, in order, on the twin.

The recovery state carries over from session to session (session N+1 walks with the profile
session N left), so a course is one task: the sessions of a patient-arm cannot run in
parallel, and a task that holds the whole course needs no state passed between workers. Each
session is a real headless session on the MuJoCo twin (:class:`SessionCore`, recorded to a
temporary folder and analysed like an import: :func:`read_session_dir`); what it gave the
patient (:class:`TrainingDose`) moves the recovery state on (:func:`update`), and the virtual
patient's 10-metre walk test after it is the outcome (:func:`assess`). All SIMULATED.

Randomness is common to the arms: a patient's profile, onset, recovery traits and every
session's seed depend on the trial seed and the patient's index, never on the plan, so the arms
differ only by what the plans did (common random numbers: a paired comparison).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from gaitway.clinic.importer import read_session_dir, session_numbers
from gaitway.planning.outcomes import assess
from gaitway.planning.recovery import (
    SIDES,
    RecoveryState,
    TrainingDose,
    apply_to_profile,
    initial_state,
    update,
)
from gaitway.planning.rules import SessionSnapshot, TrainingSettings, next_settings
from gaitway.session.batch import BatchOutcome, CohortBatch
from gaitway.session.builder import SessionCore
from gaitway.station.sim.profiles import PatientProfile, generate_cohort
from gaitway.trials.plans import TrialPlan

SIMULATED_NOTE: Final[str] = "SIMULATED: virtual patients on the MuJoCo twin, in-silico trial"
#: onset of the cohort's patients: 1-3 weeks before the first session (subacute, as the
#: planning layer's virtual cohort)
ONSET_RANGE_D: Final[tuple[float, float]] = (7.0, 21.0)


@dataclass(frozen=True, slots=True)
class TrialDesign:
    """What every arm of a trial shares."""

    seed: int
    cohort: int
    weeks: int
    sessions_per_week: int
    minutes: float

    @property
    def sessions(self) -> int:
        return self.weeks * self.sessions_per_week


@dataclass(frozen=True, slots=True)
class CohortPatient:
    index: int
    profile: PatientProfile
    onset_days_at_start_d: float
    #: the recovery model's seed (its hidden traits and noise)
    seed: int

    @property
    def id(self) -> str:
        return self.profile.id


def cohort(design: TrialDesign) -> tuple[CohortPatient, ...]:
    """The trial's seeded virtual cohort (:func:`generate_cohort`), onset drawn per patient."""
    rng = np.random.default_rng(np.random.SeedSequence([design.seed, 0x7121A1]))
    return tuple(CohortPatient(i, p, float(rng.uniform(*ONSET_RANGE_D)),
                               design.seed * 1000 + i)
                 for i, p in enumerate(generate_cohort(design.cohort, design.seed)))


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session of the trial: who, which arm, when, what it was set to, what came out."""

    patient: str
    plan: str
    week: int
    session: int
    session_in_week: int
    day: float
    controller: str
    guidance_set_pct: float
    bws_pct: float
    speed_kmh: float
    aan_max_pct: float
    minutes: float
    ended_by: str
    faults: int
    fault_kinds: str
    safety_stop: bool
    steps: int
    guidance_measured_pct: float
    tracking_error_rms_deg: float
    symmetry_index_pct: float
    active_participation_nm: float
    #: the recovery state after the session, and the virtual 10MWT (with test-retest noise)
    strength_paretic_frac: float
    participation_frac: float
    gait_speed_mps: float
    #: the same test before the first session
    baseline_gait_speed_mps: float
    six_mwt_m: float
    fac: int
    seed: int
    label: str = "SIMULATED"


@dataclass(frozen=True, slots=True)
class ArmResult:
    patient: str
    plan: str
    rows: tuple[SessionRow, ...]
    baseline_gait_speed_mps: float
    final_state: dict[str, Any]

    def as_records(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.rows]


def _num(v: Any, default: float) -> float:
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else default


def session_seed(design: TrialDesign, patient: CohortPatient, n: int) -> int:
    """The same for every arm: the twin's day-to-day variation is common to the arms."""
    return int(np.random.SeedSequence([design.seed, patient.index, n]).generate_state(1)[0]
               & 0x7FFFFFFF)


def _weaker(state: RecoveryState) -> float:
    return min(state.strength(s) for s in SIDES)


def run_course(design: TrialDesign, patient: CohortPatient, plan: TrialPlan, *,
               on_session: Callable[[SessionRow], None] | None = None) -> ArmResult:
    """Every session of one patient under one plan, in order (state carries over);
    ``on_session`` hears of each session as it finishes (progress)."""
    base = patient.profile
    state = initial_state(base, seed=patient.seed,
                          days_since_onset_d=patient.onset_days_at_start_d)
    baseline = assess(state, seed=state.seed, index=0).gait_speed_mps
    gap_d = 7.0 / design.sessions_per_week
    proposed = plan.week_settings(1)
    snaps: list[SessionSnapshot] = []
    rows: list[SessionRow] = []
    for n in range(design.sessions):
        week = n // design.sessions_per_week + 1
        values = proposed if plan.follow_proposals else plan.week_settings(week)
        seed = session_seed(design, patient, n)
        ss = plan.session_settings(values, profile=base.id, minutes=design.minutes, seed=seed,
                                   session_index=n)
        with tempfile.TemporaryDirectory(prefix="gaitway-trial-") as tmp:
            out = Path(tmp) / "session"
            summary = SessionCore(ss, out_dir=out, profile=apply_to_profile(base, state)).run()
            numbers = session_numbers(read_session_dir(out))
        guidance = float(np.clip(_num(numbers.get("guidance_pct"), ss.guidance_pct), 0, 100))
        steps = int(numbers.get("steps") or 0)
        dose = TrainingDose(minutes=summary.duration_s / 60.0, steps=steps,
                            guidance_pct=guidance, bws_pct=ss.bws_pct)
        state = update(state, base, dose, days_elapsed_d=gap_d)
        test = assess(state, seed=state.seed, index=state.sessions_done)
        stop = summary.safety.ended_by_fault or summary.ended_by != "completed"
        tracking = _num(numbers.get("tracking_error_rms_deg"), math.nan)
        symmetry = _num(numbers.get("symmetry_index_pct"), math.nan)
        rows.append(SessionRow(
            patient=patient.id, plan=plan.name, week=week, session=n + 1,
            session_in_week=n % design.sessions_per_week + 1, day=n * gap_d,
            controller=ss.controller, guidance_set_pct=ss.guidance_pct, bws_pct=ss.bws_pct,
            speed_kmh=ss.speed_kmh, aan_max_pct=ss.aan_max_pct, minutes=design.minutes,
            ended_by=summary.ended_by, faults=len(summary.faults),
            fault_kinds=",".join(sorted({str(f.get("kind")) for f in summary.faults})),
            safety_stop=stop, steps=steps, guidance_measured_pct=guidance,
            tracking_error_rms_deg=tracking, symmetry_index_pct=symmetry,
            active_participation_nm=_num(numbers.get("active_participation_nm"), math.nan),
            strength_paretic_frac=round(_weaker(state), 5),
            participation_frac=state.participation_frac,
            gait_speed_mps=test.gait_speed_mps,
            baseline_gait_speed_mps=baseline, six_mwt_m=test.six_mwt_m, fac=test.fac,
            seed=seed))
        if on_session is not None:
            on_session(rows[-1])
        if plan.follow_proposals:
            snaps.append(SessionSnapshot(
                complete=not stop, safety_stop=stop,
                tracking_error_rms_deg=None if math.isnan(tracking) else tracking,
                active_participation_pct=None,
                symmetry_index_pct=None if math.isnan(symmetry) else abs(symmetry)))
            current = TrainingSettings(duration_min=design.minutes, speed_kmh=ss.speed_kmh,
                                       guidance_pct=ss.guidance_pct, bws_pct=ss.bws_pct,
                                       controller=ss.controller,
                                       hip_rom_scale=ss.hip_rom_scale,
                                       knee_rom_scale=ss.knee_rom_scale)
            nxt, steps_taken = next_settings(current, snaps, height_m=base.height_m)
            if steps_taken:
                proposed = {**proposed, "guidance_pct": nxt.guidance_pct,
                            "bws_pct": nxt.bws_pct, "speed_kmh": nxt.speed_kmh}
                snaps = []
    return ArmResult(patient=patient.id, plan=plan.name, rows=tuple(rows),
                     baseline_gait_speed_mps=baseline, final_state=asdict(state))


def run_courses(design: TrialDesign, members: Sequence[tuple[CohortPatient, TrialPlan]], *,
                on_session: Callable[[int, SessionRow], None] | None = None,
                threads: int = 1) -> list[BatchOutcome[ArmResult]]:
    """Several courses at once in this process, as a cohort batch
    (:class:`~gaitway.session.batch.CohortBatch`): each course is :func:`run_course`, its
    sessions' physics stepped together with the other courses' in one call of MuJoCo's batch,
    with the same results as one course after another. ``on_session(member, row)`` hears of
    each session as it finishes. A course that fails ends alone (its outcome holds why)."""
    def job(k: int, patient: CohortPatient, plan: TrialPlan) -> Callable[[], ArmResult]:
        hear = None if on_session is None else (lambda row: on_session(k, row))
        return lambda: run_course(design, patient, plan, on_session=hear)

    return CohortBatch(threads=threads).run([job(k, p, plan)
                                             for k, (p, plan) in enumerate(members)])
