"""Between-session recovery of a virtual patient: how training changes them over weeks.

The twin's virtual patient (:mod:`gaitway.station.sim`) is one session's physiology; this model
carries it from one session to the next. Per patient it keeps a :class:`RecoveryState` (leg
strength, spasticity, overground cadence, endurance, participation) and updates it after each
session from what the session did (:class:`TrainingDose`, read from the stored session: minutes,
steps, guidance, body-weight support, the patient's measured share of the work), and from the
time that passed since the last one. :func:`apply_to_profile` turns the state back into the
profile the twin walks with, so session N+1 starts where session N left the patient.

The model (sources and numbers: docs/planning.md):

- spontaneous recovery: a share ``ratio`` (about 0.7, proportional recovery) of the function
  lost at the first session returns on its own, exponentially in time since onset with a time
  constant of 26 days, so 95 % of it is done 11 weeks after onset;
- training adds to it with a dose-response: gain per 1000 *active* steps, smaller the closer the
  patient is to the plateau (``training_cap_frac`` of the lost function) and smaller after the
  early window of heightened plasticity;
- slacking: the active share of a step falls with guidance (or, when the station measured it,
  is the patient's own share of the positive work), so a patient always guided at 100 %
  improves less than one trained assist-as-needed, and their participation drifts down;
- endurance grows with training minutes; spasticity eases a little with recovery;
- noise on every update, drawn from the patient's seed and the session's index (and the
  twin's own day-to-day variation within each session).

Each patient has hidden traits (their own recovery ratio and trainability, drawn from the
seed): the patient effects a progress model has to find.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Final

import numpy as np

from gaitway.errors import UserError
from gaitway.station.channels import Side
from gaitway.station.sim.profiles import PatientProfile, SideImpairment

SIDES: Final[tuple[Side, Side]] = ("left", "right")
#: stance fraction of a healthy leg (the profiles' default)
HEALTHY_STANCE_FRACTION: Final[float] = 0.62
#: comfortable overground cadence of a healthy adult, steps/min
HEALTHY_CADENCE_STEPS_PER_MIN: Final[float] = 110.0
#: the profile's fatigue rate reaches 0.5 (half capacity) after this many minutes: endurance
_HALF_FATIGUE: Final[float] = 0.5


@dataclass(frozen=True, slots=True)
class RecoveryParameters:
    """Population parameters of the between-session model (sources: docs/planning.md)."""

    #: proportional recovery: share of the lost function regained spontaneously (Prabhakaran
    #: et al. 2008; Smith et al. 2017 for the lower limb)
    proportional_ratio: float = 0.7
    #: SD of the patient's own ratio around it
    ratio_sd: float = 0.1
    #: time constant of spontaneous recovery: 3 tau = 78 days, 95 % within 11 weeks
    #: (Jorgensen et al. 1995, Copenhagen Stroke Study)
    spontaneous_tau_days: float = 26.0
    #: recovered share (of the lost function) per 1000 active steps, far from the plateau
    gain_per_1000_active_steps: float = 0.025
    #: SD of log trainability (patients differ in how much a step does for them)
    trainability_log_sd: float = 0.3
    #: the plateau: no more than this share of the lost function comes back with training
    training_cap_frac: float = 0.9
    #: responsiveness to training long after onset, relative to the early window
    chronic_plasticity_frac: float = 0.35
    plasticity_tau_days: float = 60.0
    #: slacking: share of the patient's effort lost at 100 % guidance (when not measured)
    slacking_at_full_guidance_frac: float = 0.6
    #: loading: share of the step's training effect lost at 100 % body-weight support
    unloading_at_full_bws_frac: float = 0.5
    #: participation drifts toward its target by this share per session
    participation_drift_frac: float = 0.15
    #: endurance (minutes until half fatigue) approaches this with training ...
    endurance_max_min: float = 50.0
    #: ... by this share of the gap per training hour at full engagement
    endurance_gain_per_hour_frac: float = 0.06
    #: spasticity eases by this share at full recovery
    spasticity_relief_frac: float = 0.35
    #: random variation of one update (SD, share of the lost function); the day-to-day
    #: variation of a session is the twin's own (VirtualPatient day factors) and the tests'
    process_noise_frac: float = 0.002


DEFAULT_PARAMETERS: Final[RecoveryParameters] = RecoveryParameters()


@dataclass(frozen=True, slots=True)
class PatientTraits:
    """A patient's own recovery: hidden in the twin, what a progress model must estimate."""

    ratio_frac: float
    trainability: float

    @classmethod
    def draw(cls, seed: int, params: RecoveryParameters = DEFAULT_PARAMETERS
             ) -> PatientTraits:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7EA175]))
        ratio = float(np.clip(rng.normal(params.proportional_ratio, params.ratio_sd), 0.3, 0.95))
        train = float(np.exp(rng.normal(0.0, params.trainability_log_sd)))
        return cls(ratio_frac=ratio, trainability=train)


@dataclass(frozen=True, slots=True)
class TrainingDose:
    """What one session gave the patient, as the clinic stored it."""

    minutes: float
    steps: int
    guidance_pct: float
    bws_pct: float
    #: the patient's own share of the positive work at the joints, % (measured on the twin;
    #: None when the station did not measure it: then estimated from guidance)
    active_participation_pct: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.minutes) and self.minutes >= 0.0):
            raise UserError(f"session minutes must be 0 or more, got {self.minutes}")
        if self.steps < 0:
            raise UserError(f"steps must be 0 or more, got {self.steps}")
        for name in ("guidance_pct", "bws_pct"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0.0 <= v <= 100.0):
                raise UserError(f"{name} must be within 0-100 %, got {v}")
        p = self.active_participation_pct
        if p is not None and not math.isfinite(p):
            raise UserError(f"active participation must be a number, got {p}")

    def engagement_frac(self, participation_frac: float,
                        params: RecoveryParameters = DEFAULT_PARAMETERS) -> float:
        """The active share of a step (0-1): measured, or estimated from guidance."""
        if self.active_participation_pct is not None:
            return float(np.clip(self.active_participation_pct / 100.0, 0.0, 1.0))
        slack = 1.0 - params.slacking_at_full_guidance_frac * self.guidance_pct / 100.0
        return float(np.clip(participation_frac * slack, 0.0, 1.0))

    def active_steps(self, participation_frac: float,
                     params: RecoveryParameters = DEFAULT_PARAMETERS) -> float:
        loading = 1.0 - params.unloading_at_full_bws_frac * self.bws_pct / 100.0
        return self.steps * self.engagement_frac(participation_frac, params) * loading


@dataclass(frozen=True, slots=True)
class RecoveryState:
    """One virtual patient between sessions. Strength 1 is a healthy adult's (mean of hip,
    knee, ankle); spasticity is the stretch-reflex gain the twin uses."""

    #: the profile the patient started from (the baseline every change is measured against)
    profile: str
    seed: int
    #: days since onset at the first session (spontaneous recovery counts from there)
    onset_days_at_start_d: float
    days_since_onset_d: float
    sessions_done: int
    training_min_total: float
    active_steps_total: float
    strength_left_frac: float
    strength_right_frac: float
    spasticity_left_nms_per_rad: float
    spasticity_right_nms_per_rad: float
    #: comfortable overground cadence (what a 10-metre walk would show), steps/min
    cadence_steps_per_min: float
    #: minutes of walking at full effort until fatigue halves the patient's capacity
    endurance_min: float
    participation_frac: float

    def strength(self, side: Side) -> float:
        return float(self.strength_left_frac if side == "left" else self.strength_right_frac)

    def spasticity(self, side: Side) -> float:
        return float(self.spasticity_left_nms_per_rad if side == "left"
                     else self.spasticity_right_nms_per_rad)

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


STATE_FIELDS: Final[tuple[str, ...]] = tuple(f.name for f in fields(RecoveryState))


def mean_strength(imp: SideImpairment) -> float:
    return (imp.hip_strength + imp.knee_strength + imp.ankle_strength) / 3.0


def cadence_for(strength_paretic: float) -> float:
    """Comfortable overground cadence from the weaker leg's strength (steps/min)."""
    f = float(np.clip((strength_paretic - 0.15) / 0.8, 0.0, 1.0))
    return HEALTHY_CADENCE_STEPS_PER_MIN * (0.45 + 0.55 * f)


def initial_state(profile: PatientProfile, *, seed: int, days_since_onset_d: float
                  ) -> RecoveryState:
    """The patient at their first session: the profile as it is."""
    if not (math.isfinite(days_since_onset_d) and 0.0 <= days_since_onset_d <= 365.0 * 50):
        raise UserError(f"days since onset must be within 0-18250, got {days_since_onset_d}")
    s_l, s_r = mean_strength(profile.left), mean_strength(profile.right)
    return RecoveryState(
        profile=profile.id, seed=int(seed), onset_days_at_start_d=float(days_since_onset_d),
        days_since_onset_d=float(days_since_onset_d),
        sessions_done=0, training_min_total=0.0, active_steps_total=0.0,
        strength_left_frac=s_l, strength_right_frac=s_r,
        spasticity_left_nms_per_rad=profile.left.spasticity_gain,
        spasticity_right_nms_per_rad=profile.right.spasticity_gain,
        cadence_steps_per_min=cadence_for(min(s_l, s_r)),
        endurance_min=_HALF_FATIGUE / profile.fatigue_rate_per_min,
        participation_frac=profile.participation,
    )


def recovered_share(state: RecoveryState, base: PatientProfile, side: Side) -> float:
    """The share of the leg's lost function (at the first session) regained since, 0-1."""
    s0 = mean_strength(base.side(side))
    lost = 1.0 - s0
    if lost <= 1e-9:
        return 0.0
    return float(np.clip((state.strength(side) - s0) / lost, 0.0, 1.0))


def plasticity(days_since_onset_d: float, params: RecoveryParameters = DEFAULT_PARAMETERS
               ) -> float:
    """Responsiveness to training, 1 right after onset down to the chronic level."""
    c = params.chronic_plasticity_frac
    return c + (1.0 - c) * math.exp(-days_since_onset_d / params.plasticity_tau_days)


def update(state: RecoveryState, base: PatientProfile, dose: TrainingDose, *,
           days_elapsed_d: float, params: RecoveryParameters = DEFAULT_PARAMETERS
           ) -> RecoveryState:
    """The patient after one more session, ``days_elapsed_d`` days after the last one."""
    if base.id != state.profile:
        raise UserError(f"recovery state of profile {state.profile!r} cannot update profile "
                        f"{base.id!r}")
    if not (math.isfinite(days_elapsed_d) and 0.0 <= days_elapsed_d <= 3650.0):
        raise UserError(f"days between sessions must be within 0-3650, got {days_elapsed_d}")
    traits = PatientTraits.draw(state.seed, params)
    rng = np.random.default_rng(np.random.SeedSequence([state.seed, state.sessions_done,
                                                        0x13EC]))
    t0 = state.onset_days_at_start_d
    t_prev = state.days_since_onset_d
    t_now = t_prev + days_elapsed_d
    tau = params.spontaneous_tau_days
    spont_share = traits.ratio_frac * (math.exp(-(t_prev - t0) / tau)
                                       - math.exp(-(t_now - t0) / tau)) * math.exp(-t0 / tau)
    active = dose.active_steps(state.participation_frac, params)
    engagement = dose.engagement_frac(state.participation_frac, params)
    strengths: dict[Side, float] = {}
    spas: dict[Side, float] = {}
    for side in SIDES:
        s0 = mean_strength(base.side(side))
        lost0 = 1.0 - s0
        r = recovered_share(state, base, side)
        room = max(params.training_cap_frac - r, 0.0)
        train_share = (params.gain_per_1000_active_steps * traits.trainability
                       * active / 1000.0 * plasticity(t_now, params) * room)
        noise = float(rng.normal(0.0, params.process_noise_frac))
        r_new = float(np.clip(r + spont_share + train_share + noise,
                              0.0, params.training_cap_frac))
        strengths[side] = s0 + r_new * lost0 if lost0 > 1e-9 else s0
        spas0 = base.side(side).spasticity_gain
        spas[side] = max(0.0, spas0 * (1.0 - params.spasticity_relief_frac * r_new)
                         * float(np.exp(rng.normal(0.0, 0.02))))
    hours = dose.minutes / 60.0
    endurance = state.endurance_min + (params.endurance_max_min - state.endurance_min) * (
        1.0 - math.exp(-params.endurance_gain_per_hour_frac * hours * max(engagement, 0.2)))
    # participation drifts toward what the sessions ask of the patient (slacking under
    # steady full guidance, engagement when they have to work)
    base_p = base.participation
    p_max = min(0.97, base_p + 0.15)
    used = min(1.0, engagement / max(state.participation_frac, 1e-6))
    target = p_max * (0.55 + 0.45 * used)
    part = state.participation_frac + params.participation_drift_frac * (
        target - state.participation_frac) + float(rng.normal(0.0, 0.005))
    weaker = min(strengths.values())
    return replace(
        state,
        days_since_onset_d=t_now,
        sessions_done=state.sessions_done + 1,
        training_min_total=state.training_min_total + dose.minutes,
        active_steps_total=state.active_steps_total + active,
        strength_left_frac=strengths["left"],
        strength_right_frac=strengths["right"],
        spasticity_left_nms_per_rad=round(spas["left"], 4),
        spasticity_right_nms_per_rad=round(spas["right"], 4),
        cadence_steps_per_min=round(cadence_for(weaker) * float(np.exp(rng.normal(0, 0.01))), 3),
        endurance_min=round(float(endurance), 4),
        participation_frac=round(float(np.clip(part, 0.2, 0.97)), 5),
    )


def apply_to_profile(base: PatientProfile, state: RecoveryState) -> PatientProfile:
    """The profile the twin walks with today: every impaired parameter moved toward healthy by
    the share of the lost function regained (strength exactly to the state's)."""
    if base.id != state.profile:
        raise UserError(f"recovery state of profile {state.profile!r} does not belong to "
                        f"profile {base.id!r}")
    sides: dict[Side, SideImpairment] = {}
    share: dict[Side, float] = {}
    for side in SIDES:
        imp = base.side(side)
        r = share[side] = recovered_share(state, base, side)

        def toward(v: float, healthy: float, r: float = r) -> float:
            return v + r * (healthy - v)

        sides[side] = replace(
            imp,
            hip_strength=float(np.clip(toward(imp.hip_strength, 1.0), 0.0, 1.0)),
            knee_strength=float(np.clip(toward(imp.knee_strength, 1.0), 0.0, 1.0)),
            ankle_strength=float(np.clip(toward(imp.ankle_strength, 1.0), 0.0, 1.0)),
            spasticity_gain=state.spasticity(side),
            foot_drop=float(np.clip(imp.foot_drop * (1.0 - r), 0.0, 1.0)),
            knee_swing_scale=float(np.clip(toward(imp.knee_swing_scale, 1.0), 0.3, 1.2)),
            stance_fraction=float(np.clip(toward(imp.stance_fraction, HEALTHY_STANCE_FRACTION),
                                          0.45, 0.8)),
        )
    paretic = base.paretic_side
    r_p = share[paretic] if paretic is not None else min(share.values())
    return replace(
        base,
        left=sides["left"], right=sides["right"],
        participation=float(np.clip(state.participation_frac, 0.0, 1.0)),
        step_phase_shift=base.step_phase_shift * (1.0 - r_p),
        fatigue_rate_per_min=_HALF_FATIGUE / max(state.endurance_min, 1e-3),
    )
