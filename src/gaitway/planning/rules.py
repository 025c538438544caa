"""The next session's settings from the last sessions: bounded steps, each with its reason.

What a therapist does by habit, written down so it can be checked and argued with: take support
away when the patient copes with less, and give it back when they do not. Every step is small
(guidance 10 points, body-weight support 5 points, belt 0.2 km/h, duration 5 minutes) and
stays within the device's and the prescription's bounds, and never takes the belt faster
than the prescription's range of motion can walk (the legs' stance must cover the belt's travel,
:func:`gaitway.gait.reference.check_walkable`): a proposal is never one a session would refuse.
The rules read only what the store holds for each session (:class:`SessionSnapshot`), so the
same rules serve the clinic's proposals and the virtual cohort of the calibration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from gaitway.control.belt import MAX_SPEED_KMH, MAX_SPEED_M_S, MIN_SPEED_KMH, MIN_SPEED_M_S
from gaitway.gait.reference import JointRom, RomSettings, max_walkable_speed_m_s

GUIDANCE_STEP_PCT: Final[float] = 10.0
BWS_STEP_PCT: Final[float] = 5.0
SPEED_STEP_KMH: Final[float] = 0.2
DURATION_STEP_MIN: Final[float] = 5.0
MIN_GUIDANCE_PCT: Final[float] = 20.0
MAX_DURATION_MIN: Final[float] = 45.0
#: tracking error below this for three sessions: the patient follows with less help
GOOD_TRACKING_DEG: Final[float] = 3.0
#: above this in the last session: the patient cannot follow, give help back
POOR_TRACKING_DEG: Final[float] = 6.0
GOOD_SYMMETRY_PCT: Final[float] = 20.0
RUN_LENGTH: Final[int] = 3


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    """What a prescription sets for a session (the edge's units: %, km/h, minutes)."""

    duration_min: float
    speed_kmh: float
    guidance_pct: float
    bws_pct: float
    controller: str = "guidance"
    #: range of motion (the rules never change it; it travels with the prescription)
    hip_rom_scale: float = 1.0
    knee_rom_scale: float = 1.0

    @property
    def rom(self) -> RomSettings:
        return RomSettings(hip=JointRom(scale=self.hip_rom_scale),
                           knee=JointRom(scale=self.knee_rom_scale))


@dataclass(frozen=True, slots=True)
class SessionSnapshot:
    """What the store holds of one finished session, as the rules read it."""

    complete: bool
    safety_stop: bool
    tracking_error_rms_deg: float | None
    active_participation_pct: float | None
    symmetry_index_pct: float | None


@dataclass(frozen=True, slots=True)
class Step:
    setting: str
    old: float
    new: float
    unit: str
    reason: str

    def sentence(self) -> str:
        return f"{self.setting} {self.old:g} -> {self.new:g} {self.unit}: {self.reason}"


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1f}"


def fastest_walkable_kmh(settings: TrainingSettings, height_m: float) -> float:
    """The fastest belt speed (km/h, a 0.1 km/h step from the slowest) at which the settings'
    range of motion still covers the belt's travel for a person of ``height_m``; the slowest
    speed if not even that (a session refuses such a range at any speed)."""
    v = max_walkable_speed_m_s(height_m, settings.rom, lo_m_s=MIN_SPEED_M_S,
                               hi_m_s=MAX_SPEED_M_S)
    return MIN_SPEED_KMH if v is None else round(v * 3.6, 2)


def next_settings(current: TrainingSettings, recent: Sequence[SessionSnapshot], *,
                  height_m: float) -> tuple[TrainingSettings, tuple[Step, ...]]:
    """The proposed settings and the steps that lead there (none: keep the settings).

    ``recent``: the patient's sessions under the current settings, oldest first.
    ``height_m``: the height the sessions run at (the belt speed a range of motion can walk
    depends on it).
    """
    if not recent:
        return current, ()
    last = recent[-1]
    steps: list[Step] = []
    new = current
    if last.safety_stop or not last.complete:
        if current.guidance_pct < 100.0:
            g = min(100.0, current.guidance_pct + GUIDANCE_STEP_PCT)
            steps.append(Step("guidance", current.guidance_pct, g, "%",
                              "the last session did not run to its end"
                              + (" (a safety stop)" if last.safety_stop else "")
                              + ", so help is given back"))
            new = replace(new, guidance_pct=g)
        return new, tuple(steps)
    if last.tracking_error_rms_deg is not None and \
            last.tracking_error_rms_deg > POOR_TRACKING_DEG and current.guidance_pct < 100.0:
        g = min(100.0, current.guidance_pct + GUIDANCE_STEP_PCT)
        steps.append(Step("guidance", current.guidance_pct, g, "%",
                          f"tracking error was {last.tracking_error_rms_deg:.1f} deg in the last "
                          f"session, above {POOR_TRACKING_DEG:g} deg"))
        return replace(new, guidance_pct=g), tuple(steps)
    run = list(recent[-RUN_LENGTH:])
    if len(run) < RUN_LENGTH:
        return current, ()
    tracking = [s.tracking_error_rms_deg for s in run]
    steady = all(t is not None and t < GOOD_TRACKING_DEG for t in tracking)
    part = [s.active_participation_pct for s in run]
    part_known = [p for p in part if p is not None]
    rising = len(part_known) >= 2 and part_known[-1] >= part_known[0]
    not_falling = len(part_known) < 2 or part_known[-1] >= part_known[0] - 2.0
    if steady and not_falling and current.guidance_pct > MIN_GUIDANCE_PCT:
        g = max(MIN_GUIDANCE_PCT, current.guidance_pct - GUIDANCE_STEP_PCT)
        why = (f"tracking error stayed under {GOOD_TRACKING_DEG:g} deg for {RUN_LENGTH} sessions"
               + (f" while active participation rose ({_fmt(part_known[0])} -> "
                  f"{_fmt(part_known[-1])} %)" if rising else ""))
        steps.append(Step("guidance", current.guidance_pct, g, "%", why))
        new = replace(new, guidance_pct=g)
    sym = [s.symmetry_index_pct for s in run]
    if steady and current.bws_pct > 0.0 and current.guidance_pct <= 60.0 and \
            all(v is not None and v < GOOD_SYMMETRY_PCT for v in sym):
        b = max(0.0, current.bws_pct - BWS_STEP_PCT)
        steps.append(Step("body-weight support", current.bws_pct, b, "%",
                          f"step-time asymmetry stayed under {GOOD_SYMMETRY_PCT:g} % with "
                          f"guidance at {current.guidance_pct:g} %, so the legs can carry more"))
        new = replace(new, bws_pct=b)
    top = min(MAX_SPEED_KMH, fastest_walkable_kmh(current, height_m))
    if steady and current.bws_pct <= 30.0 and current.speed_kmh < top:
        v = round(min(top, current.speed_kmh + SPEED_STEP_KMH), 2)
        steps.append(Step("belt speed", current.speed_kmh, v, "km/h",
                          "steady tracking with little body-weight support: walk a bit faster"))
        new = replace(new, speed_kmh=v)
    if all(s.complete for s in run) and current.duration_min < MAX_DURATION_MIN:
        d = min(MAX_DURATION_MIN, current.duration_min + DURATION_STEP_MIN)
        steps.append(Step("duration", current.duration_min, d, "min",
                          f"the last {RUN_LENGTH} sessions ran to their end without a stop"))
        new = replace(new, duration_min=d)
    return new, tuple(steps)
