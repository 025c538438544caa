"""Virtual patient profiles, registered by id, and a seeded cohort generator.

A profile is data: body size, per-side impairment and behaviour. Severity levels follow the
clinical picture of chronic hemiparetic stroke gait (Olney & Richards 1996; Balasubramanian et al.
2007; Patterson et al. 2008): a weaker paretic side, a shorter paretic stance, stiff-knee swing
from quadriceps spasticity, foot drop from weak dorsiflexors, and step-time asymmetry. Numbers
are plausible model settings chosen to reproduce those signs, not fitted to a patient group.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np

from gaitway.errors import UserError
from gaitway.station.channels import Side


@dataclass(frozen=True, slots=True)
class SideImpairment:
    """Impairment of one leg. Strength 1 is a healthy adult's; 0 is paralysis."""

    hip_strength: float = 1.0
    knee_strength: float = 1.0
    ankle_strength: float = 1.0
    #: stretch-reflex gain of the knee extensors and plantarflexors (N*m per rad/s past threshold)
    spasticity_gain: float = 0.0
    #: stretch velocity above which the reflex fires (rad/s)
    spasticity_threshold: float = 2.0
    #: 0: full dorsiflexion in swing; 1: no dorsiflexor activity at all
    foot_drop: float = 0.0
    #: intended knee flexion in swing, as a fraction of the normative excursion
    knee_swing_scale: float = 1.0
    #: intended stance as a fraction of the stride
    stance_fraction: float = 0.62

    def __post_init__(self) -> None:
        for name in ("hip_strength", "knee_strength", "ankle_strength", "foot_drop"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise UserError(f"{name} must be within 0-1, got {v}")
        if not 0.3 <= self.knee_swing_scale <= 1.2:
            raise UserError(f"knee_swing_scale must be within 0.3-1.2, got {self.knee_swing_scale}")
        if not 0.45 <= self.stance_fraction <= 0.8:
            raise UserError(f"stance_fraction must be within 0.45-0.8, got {self.stance_fraction}")
        if self.spasticity_gain < 0 or self.spasticity_threshold <= 0:
            raise UserError("spasticity gain must be >= 0 and its threshold > 0")


@dataclass(frozen=True, slots=True)
class PatientProfile:
    """Everything that makes one virtual patient walk the way they do."""

    id: str
    description: str
    height_m: float = 1.75
    mass_kg: float = 75.0
    age_years: int = 60
    sex: str = "unspecified"
    diagnosis: str = "healthy"
    paretic_side: Side | None = None
    left: SideImpairment = field(default_factory=SideImpairment)
    right: SideImpairment = field(default_factory=SideImpairment)
    #: how much of their capacity the patient puts in (0-1)
    participation: float = 0.9
    #: the intended non-paretic heel strike comes this fraction of a stride earlier than half a
    #: cycle after the paretic one (phase offset of the non-paretic leg: 0.5 + shift)
    step_phase_shift: float = 0.0
    #: fatigue gained per minute at full effort, and lost per minute at rest (0-1 scale)
    fatigue_rate_per_min: float = 0.02
    recovery_rate_per_min: float = 0.05
    #: day-to-day variability (SD of a multiplicative factor on strength and cadence)
    day_variability: float = 0.04
    stop_button_rate_per_hour: float = 0.1
    pain_report_rate_per_hour: float = 0.2

    def side(self, side: Side) -> SideImpairment:
        return self.left if side == "left" else self.right

    def __post_init__(self) -> None:
        if not 0.0 <= self.participation <= 1.0:
            raise UserError(f"participation must be within 0-1, got {self.participation}")
        if not -0.15 <= self.step_phase_shift <= 0.15:
            raise UserError(f"step_phase_shift must be within +-0.15, got {self.step_phase_shift}")

    def summary(self) -> dict[str, object]:
        """Key parameters, as `gaitway profiles` lists them."""
        out: dict[str, object] = {
            "id": self.id,
            "description": self.description,
            "height_m": self.height_m,
            "mass_kg": self.mass_kg,
            "paretic_side": self.paretic_side,
            "participation": self.participation,
        }
        for s in ("left", "right"):
            imp = self.side(s)
            out[f"strength_{s}"] = round(
                (imp.hip_strength + imp.knee_strength + imp.ankle_strength) / 3, 2
            )
            out[f"stance_{s}"] = imp.stance_fraction
            out[f"foot_drop_{s}"] = imp.foot_drop
            out[f"spasticity_{s}"] = imp.spasticity_gain
        return out


HEALTHY_SIDE: Final = SideImpairment()

_SEVERITY: Final[dict[str, SideImpairment]] = {
    "mild": SideImpairment(
        hip_strength=0.75, knee_strength=0.7, ankle_strength=0.6, spasticity_gain=4.0,
        spasticity_threshold=2.5, foot_drop=0.3, knee_swing_scale=0.85, stance_fraction=0.60,
    ),
    "moderate": SideImpairment(
        hip_strength=0.55, knee_strength=0.45, ankle_strength=0.35, spasticity_gain=9.0,
        spasticity_threshold=2.0, foot_drop=0.6, knee_swing_scale=0.7, stance_fraction=0.57,
    ),
    "severe": SideImpairment(
        hip_strength=0.35, knee_strength=0.25, ankle_strength=0.15, spasticity_gain=16.0,
        spasticity_threshold=1.5, foot_drop=0.9, knee_swing_scale=0.55, stance_fraction=0.54,
    ),
}
#: the non-paretic leg stays longer in stance, compensating (Patterson et al. 2008)
_NONPARETIC_STANCE: Final[dict[str, float]] = {"mild": 0.65, "moderate": 0.68, "severe": 0.71}
#: tuned on the twin at 0 % guidance, 2 km/h, 30 % BWS: the walking that results (not the shift
#: itself) gives the step-time asymmetry, see docs/gait-deviations.md
_STEP_SHIFT: Final[dict[str, float]] = {"mild": 0.025, "moderate": 0.03, "severe": 0.08}
_PARTICIPATION: Final[dict[str, float]] = {"mild": 0.85, "moderate": 0.75, "severe": 0.6}


def _hemiparetic(side: Side, severity: str) -> PatientProfile:
    paretic = _SEVERITY[severity]
    sound = replace(HEALTHY_SIDE, hip_strength=0.9, knee_strength=0.9, ankle_strength=0.9,
                    stance_fraction=_NONPARETIC_STANCE[severity])
    return PatientProfile(
        id=f"hemiparetic-{side}-{severity}",
        description=f"chronic stroke, {severity} {side} hemiparesis",
        height_m=1.72,
        mass_kg=78.0,
        age_years=64,
        diagnosis="stroke",
        paretic_side=side,
        left=paretic if side == "left" else sound,
        right=paretic if side == "right" else sound,
        participation=_PARTICIPATION[severity],
        step_phase_shift=_STEP_SHIFT[severity],
        fatigue_rate_per_min=0.03 if severity != "severe" else 0.05,
    )


def _build_registry() -> dict[str, PatientProfile]:
    reg: dict[str, PatientProfile] = {
        "healthy": PatientProfile(
            id="healthy",
            description="healthy adult, reference for symmetry",
            height_m=1.75,
            mass_kg=75.0,
            age_years=45,
            participation=0.95,
            fatigue_rate_per_min=0.01,
            stop_button_rate_per_hour=0.0,
            pain_report_rate_per_hour=0.0,
        )
    }
    for side in ("left", "right"):
        for severity in ("mild", "moderate", "severe"):
            p = _hemiparetic(side, severity)
            reg[p.id] = p
    weak = SideImpairment(
        hip_strength=0.5, knee_strength=0.4, ankle_strength=0.3, spasticity_gain=6.0,
        spasticity_threshold=2.0, foot_drop=0.5, knee_swing_scale=0.75, stance_fraction=0.64,
    )
    reg["sci-incomplete"] = PatientProfile(
        id="sci-incomplete",
        description="incomplete spinal cord injury (AIS C/D), bilateral weakness",
        height_m=1.78,
        mass_kg=74.0,
        age_years=38,
        diagnosis="incomplete spinal cord injury",
        left=weak,
        right=replace(weak, hip_strength=0.55, knee_strength=0.45),
        participation=0.7,
        fatigue_rate_per_min=0.04,
    )
    return reg


PROFILES: Final[dict[str, PatientProfile]] = _build_registry()


def get_profile(profile_id: str) -> PatientProfile:
    try:
        return PROFILES[profile_id]
    except KeyError:
        raise UserError(
            f"unknown profile {profile_id!r}; choose one of: {', '.join(PROFILES)} "
            "(see 'gaitway profiles')"
        ) from None


def generate_cohort(n: int, seed: int) -> list[PatientProfile]:
    """A seeded virtual cohort drawn from population distributions.

    Height and mass follow adult distributions (height N(1.70, 0.09) m, BMI N(26, 4)); diagnosis
    is stroke (70 %, paretic side even) or incomplete SCI (30 %); impairment severity is drawn
    continuously between the mild and severe settings.
    """
    if n < 1:
        raise UserError(f"a cohort needs at least one patient, got {n}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC0407]))
    out: list[PatientProfile] = []
    for i in range(n):
        height = float(np.clip(rng.normal(1.70, 0.09), 1.45, 2.0))
        bmi = float(np.clip(rng.normal(26.0, 4.0), 18.0, 38.0))
        mass = round(bmi * height**2, 1)
        sev = float(rng.uniform(0.0, 1.0))  # 0 mild .. 1 severe

        def lerp(a: float, b: float, sev: float = sev) -> float:
            return a + (b - a) * sev

        mild, severe = _SEVERITY["mild"], _SEVERITY["severe"]
        paretic = SideImpairment(
            hip_strength=round(lerp(mild.hip_strength, severe.hip_strength), 3),
            knee_strength=round(lerp(mild.knee_strength, severe.knee_strength), 3),
            ankle_strength=round(lerp(mild.ankle_strength, severe.ankle_strength), 3),
            spasticity_gain=round(lerp(mild.spasticity_gain, severe.spasticity_gain), 2),
            spasticity_threshold=round(lerp(2.5, 1.5), 2),
            foot_drop=round(lerp(mild.foot_drop, severe.foot_drop), 3),
            knee_swing_scale=round(lerp(mild.knee_swing_scale, severe.knee_swing_scale), 3),
            stance_fraction=round(lerp(mild.stance_fraction, severe.stance_fraction), 3),
        )
        pid = f"cohort-{seed}-{i:03d}"
        if rng.uniform() < 0.7:
            side: Side = "left" if rng.uniform() < 0.5 else "right"
            sound = replace(HEALTHY_SIDE, hip_strength=0.9, knee_strength=0.9,
                            ankle_strength=0.9, stance_fraction=round(lerp(0.65, 0.71), 3))
            out.append(PatientProfile(
                id=pid, description=f"virtual stroke patient, {side} hemiparesis, severity "
                f"{sev:.2f}", height_m=round(height, 3), mass_kg=mass,
                age_years=int(rng.integers(40, 85)), diagnosis="stroke", paretic_side=side,
                left=paretic if side == "left" else sound,
                right=paretic if side == "right" else sound,
                participation=round(lerp(0.85, 0.6), 3),
                step_phase_shift=round(lerp(0.025, 0.08), 3),
                stop_button_rate_per_hour=0.0, pain_report_rate_per_hour=0.0,
            ))
        else:
            out.append(PatientProfile(
                id=pid, description=f"virtual incomplete SCI patient, severity {sev:.2f}",
                height_m=round(height, 3), mass_kg=mass, age_years=int(rng.integers(18, 70)),
                diagnosis="incomplete spinal cord injury",
                left=replace(paretic, stance_fraction=0.64),
                right=replace(paretic, stance_fraction=0.64),
                participation=round(lerp(0.85, 0.6), 3),
                stop_button_rate_per_hour=0.0, pain_report_rate_per_hour=0.0,
            ))
    return out
