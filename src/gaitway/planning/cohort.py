"""A virtual cohort trained for weeks under the proposal rules, fast (SIMULATED).

Running every session of a cohort on the MuJoCo twin would take hours (a 30-minute session
takes minutes of computer time), so the cohort's sessions are *surrogate sessions*: what a
session reports (steps, guidance, body-weight support, tracking error, active participation,
step-time symmetry) is computed from the recovery state and the prescription by simple
relations written here, with noise. The between-session model, the weekly clinical tests and
the rules that set the next session are the same code that runs for a patient on the twin.
The calibration (:mod:`gaitway.planning.calibration`) and the population priors of the
progress model use it; both say that their patients are simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from gaitway.gait.reference import stride_time_s
from gaitway.planning.outcomes import VirtualAssessment, assess
from gaitway.planning.recovery import (
    SIDES,
    RecoveryState,
    TrainingDose,
    initial_state,
    update,
)
from gaitway.planning.rules import SessionSnapshot, TrainingSettings, next_settings
from gaitway.station.sim.profiles import PatientProfile, generate_cohort

#: the first prescription of a course (what a therapist starts a new patient on)
START_SETTINGS: Final[TrainingSettings] = TrainingSettings(
    duration_min=20.0, speed_kmh=1.5, guidance_pct=100.0, bws_pct=40.0)


@dataclass(frozen=True, slots=True)
class CourseSession:
    """One surrogate session: when, what it was set to, what it reported."""

    day: float
    settings: TrainingSettings
    steps: int
    tracking_error_rms_deg: float
    active_participation_pct: float
    symmetry_index_pct: float


@dataclass(frozen=True, slots=True)
class CourseAssessment:
    day: float
    tests: VirtualAssessment


@dataclass(frozen=True, slots=True)
class VirtualCourse:
    patient_id: str
    onset_days_at_start_d: float
    sessions: tuple[CourseSession, ...]
    assessments: tuple[CourseAssessment, ...]
    states: tuple[RecoveryState, ...]


def surrogate_session(state: RecoveryState, settings: TrainingSettings, profile: PatientProfile,
                      rng: np.random.Generator) -> tuple[int, float, float, float]:
    """(steps, tracking error deg, active participation %, symmetry index %) of a session."""
    speed = settings.speed_kmh / 3.6
    stride = stride_time_s(speed, profile.height_m)
    steps = round(2.0 * settings.duration_min * 60.0 / stride * 0.95)
    weaker = min(state.strength(s) for s in SIDES)
    g = settings.guidance_pct / 100.0
    tracking = (0.5 + 9.0 * (1.0 - g) * (1.0 - weaker) * (1.0 - 0.3 * settings.bws_pct / 100.0)
                * (0.7 + 0.3 * speed / 0.6)) * math.exp(rng.normal(0.0, 0.12))
    dose = TrainingDose(minutes=settings.duration_min, steps=steps,
                        guidance_pct=settings.guidance_pct, bws_pct=settings.bws_pct)
    part = 100.0 * dose.engagement_frac(state.participation_frac) * math.exp(
        rng.normal(0.0, 0.08))
    s_l, s_r = state.strength("left"), state.strength("right")
    sym = max(0.0, 45.0 * abs(s_l - s_r) / (s_l + s_r) * (1.0 - 0.4 * g)
              + rng.normal(0.0, 1.5))
    return steps, round(tracking, 3), round(part, 2), round(sym, 2)


def simulate_course(profile: PatientProfile, *, seed: int, onset_days_at_start_d: float,
                    weeks: int, sessions_per_week: int = 4,
                    start: TrainingSettings = START_SETTINGS) -> VirtualCourse:
    """``weeks`` of training under the proposal rules, auto-approved (a virtual therapist)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC0DE5]))
    state = initial_state(profile, seed=seed, days_since_onset_d=onset_days_at_start_d)
    settings = start
    sessions: list[CourseSession] = []
    snaps: list[SessionSnapshot] = []
    tests = [CourseAssessment(0.0, assess(state, seed=seed, index=0))]
    states = [state]
    gap = 7.0 / sessions_per_week
    day = 0.0
    for n in range(weeks * sessions_per_week):
        day = n * gap
        steps, te, part, sym = surrogate_session(state, settings, profile, rng)
        sessions.append(CourseSession(day, settings, steps, te, part, sym))
        dose = TrainingDose(minutes=settings.duration_min, steps=steps,
                            guidance_pct=settings.guidance_pct, bws_pct=settings.bws_pct,
                            active_participation_pct=None)
        state = update(state, profile, dose, days_elapsed_d=gap)
        states.append(state)
        snaps.append(SessionSnapshot(complete=True, safety_stop=False,
                                     tracking_error_rms_deg=te, active_participation_pct=part,
                                     symmetry_index_pct=sym))
        if (n + 1) % sessions_per_week == 0:
            tests.append(CourseAssessment(day + gap, assess(state, seed=seed, index=n + 1)))
        proposed, steps_taken = next_settings(settings, snaps, height_m=profile.height_m)
        if steps_taken:
            settings = proposed
            snaps = []
    return VirtualCourse(profile.id, onset_days_at_start_d, tuple(sessions), tuple(tests),
                         tuple(states))


def virtual_cohort(n: int, *, seed: int, weeks: int, sessions_per_week: int = 4,
                   subacute: bool = True) -> list[VirtualCourse]:
    """``n`` seeded virtual patients (stroke and incomplete SCI, mild to severe), starting 1-3
    weeks after onset (``subacute``) or 6-24 months after."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC0A0]))
    out = []
    for i, profile in enumerate(generate_cohort(n, seed)):
        onset = float(rng.uniform(7.0, 21.0) if subacute else rng.uniform(180.0, 720.0))
        out.append(simulate_course(profile, seed=seed * 1000 + i, onset_days_at_start_d=onset,
                                   weeks=weeks, sessions_per_week=sessions_per_week))
    return out
