"""Safety limits as validated data: per device, per patient, and the timing of the checks.

Each threshold that is debounced has its consecutive-tick count written right beside it
(``*_ticks``): the fault is declared only after that many ticks in a row beyond the threshold,
so sensor noise cannot trip it and a real fault is still caught within the count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Final

from gaitway.errors import UserError

GRAVITY: Final[float] = 9.81


def _check_positive(obj: object) -> None:
    for f in fields(obj):  # type: ignore[arg-type]
        v = getattr(obj, f.name)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if not math.isfinite(v) or v <= 0:
            raise UserError(f"safety limit {type(obj).__name__}.{f.name} must be a finite "
                            f"positive number, got {v}")


@dataclass(frozen=True, slots=True)
class RangeLimit:
    """A joint's range of motion (rad): soft band inside hard band."""

    soft_lo: float
    soft_hi: float
    hard_lo: float
    hard_hi: float

    def __post_init__(self) -> None:
        vals = (self.hard_lo, self.soft_lo, self.soft_hi, self.hard_hi)
        if not all(math.isfinite(v) for v in vals) or not (
                self.hard_lo < self.soft_lo < self.soft_hi < self.hard_hi):
            raise UserError(
                f"range of motion needs hard_lo < soft_lo < soft_hi < hard_hi, got {vals}; "
                "check the patient's measured range")


@dataclass(frozen=True, slots=True)
class DeviceLimits:
    """The trainer's limits (defaults match the simulated Lokomat-style device)."""

    hip_stop: tuple[float, float] = (-0.6, 1.0)  # mechanical end stops, rad
    knee_stop: tuple[float, float] = (-0.1, 1.5)
    hip_peak_torque: float = 90.0  # N*m
    knee_peak_torque: float = 70.0
    # commands are clipped here, with a warning; at the peak, so that a saturating controller
    # (impedance at full guidance) loses nothing the drive could have given
    hip_torque_soft: float = 90.0
    knee_torque_soft: float = 70.0
    hip_velocity_soft: float = 3.5  # rad/s: no driving torque beyond, warning
    hip_velocity_hard: float = 6.0  # fault
    knee_velocity_soft: float = 6.0
    knee_velocity_hard: float = 9.0
    velocity_hard_ticks: int = 2
    current_hard: float = 11.0  # A at any drive
    current_hard_ticks: int = 3
    temperature_soft: float = 90.0  # degC: warning
    temperature_hard: float = 105.0  # degC: fault (the drive itself trips at 110)
    temperature_ticks: int = 10
    belt_max_speed: float = 3.2 / 3.6  # m/s
    belt_max_accel: float = 0.5  # m/s^2
    #: the immediate stop's emergency brake; docs/safety/belt_brake.md says why this value
    belt_brake_decel: float = 1.5  # m/s^2
    belt_mismatch: float = 0.1  # m/s between belts or against the expected speed
    belt_mismatch_ticks: int = 30
    harness_max_fraction: float = 1.0  # of body weight, commanded
    harness_step_max: float = 400.0  # N in one tick: a step this large is a controller bug
    encoder_mismatch: float = 0.03  # rad between joint and motor encoder
    encoder_mismatch_ticks: int = 5
    angle_jump: float = 0.05  # rad in one tick (walking moves < 0.005)
    force_jump: float = 300.0  # N in one tick of the harness force (walking < 15)

    def __post_init__(self) -> None:
        _check_positive(self)
        for stop in (self.hip_stop, self.knee_stop):
            if not stop[0] < stop[1]:
                raise UserError(f"device end stops must be (low, high), got {stop}")
        if not (self.hip_torque_soft <= self.hip_peak_torque
                and self.knee_torque_soft <= self.knee_peak_torque
                and self.hip_velocity_soft < self.hip_velocity_hard
                and self.knee_velocity_soft < self.knee_velocity_hard
                and self.temperature_soft < self.temperature_hard
                and self.belt_max_accel <= self.belt_brake_decel):
            raise UserError("each soft device limit must lie below its hard limit")


@dataclass(frozen=True, slots=True)
class PatientLimits:
    """One patient's limits: range of motion from their measured range, forces from their body."""

    body_mass_kg: float
    hip_rom: RangeLimit
    knee_rom: RangeLimit
    # cuff torque; docs/safety/interaction_limit.md: cited cuff-force data, and why start-up
    # transients (up to 98 N*m on the twin) still keep the hard limit at 100 N*m
    interaction_soft: float = 60.0  # N*m at any cuff: warning
    interaction_hard: float = 100.0  # N*m: fault (spasm, misalignment)
    interaction_ticks: int = 5
    harness_slack_fraction: float = 0.25  # of the set unloading (the command, if lower)
    harness_slack_ticks: int = 50
    #: below this set unloading (share of body weight) the cable holds a few millimetres of
    #: stretch and goes slack for up to ~80 ms as the pelvis rises after each heel strike at
    #: speed (docs/safety/harness_slack.md); slack there counts as a fault only after
    #: ``harness_slack_ticks_low_support`` ticks. The patient then carries at least 75 % of
    #: their weight, and the fall check still acts at once
    harness_low_support_fraction: float = 0.25
    harness_slack_ticks_low_support: int = 200
    harness_overload_fraction: float = 0.8  # of body weight
    harness_overload_ticks: int = 20
    fall_plate_n: float = 50.0  # both plates below this ...
    fall_harness_factor: float = 1.5  # ... while the harness exceeds this x its command
    fall_ticks: int = 10

    def __post_init__(self) -> None:
        _check_positive(self)
        if not 20.0 <= self.body_mass_kg <= 250.0:
            raise UserError(f"body mass must be 20-250 kg, got {self.body_mass_kg}")
        if self.interaction_soft >= self.interaction_hard:
            raise UserError("interaction soft limit must lie below the hard limit")
        if self.harness_slack_ticks_low_support < self.harness_slack_ticks:
            raise UserError("harness slack at low support may not be judged faster than at "
                            "normal support")

    @property
    def weight_n(self) -> float:
        return self.body_mass_kg * GRAVITY

    @classmethod
    def from_measured_range(cls, *, body_mass_kg: float,
                            hip: tuple[float, float] = (-0.25, 0.65),
                            knee: tuple[float, float] = (-0.05, 1.10),
                            margin: float = 0.15,
                            device: DeviceLimits | None = None) -> PatientLimits:
        """Soft range = the patient's measured passive range; hard = soft widened by
        ``margin`` (rad), never past the device's end stops."""
        dev = device or DeviceLimits()
        if not 0.0 < margin <= 0.5:
            raise UserError(f"range-of-motion margin must be 0-0.5 rad, got {margin}")

        def rom(measured: tuple[float, float], stop: tuple[float, float]) -> RangeLimit:
            lo, hi = measured
            if lo < stop[0] or hi > stop[1]:
                raise UserError(f"measured range {lo:.2f}..{hi:.2f} rad lies outside the "
                                f"device's end stops {stop}; re-measure or limit it")
            return RangeLimit(lo, hi, max(lo - margin, stop[0] - 0.05),
                              min(hi + margin, stop[1] + 0.05))

        return cls(body_mass_kg=body_mass_kg, hip_rom=rom(hip, dev.hip_stop),
                   knee_rom=rom(knee, dev.knee_stop))


@dataclass(frozen=True, slots=True)
class TimingLimits:
    """The watchdog and loop-timing bounds."""

    dt: float = 0.001
    stale_ticks: int = 10  # a noisy channel bit-identical this many ticks is stale
    #: a quantised joint angle (encoder counts) is stale when it holds stale_ticks ticks in a
    #: row while its velocity reading stays above this: 0.05 rad/s moves any encoder of at
    #: least STALE_MIN_COUNTS_PER_RAD counts per joint radian by several counts in that time,
    #: and no drive's velocity reading of a joint at rest is this far off zero
    stale_moving_rad_s: float = 0.05
    watchdog_ticks: int = 3  # sample time not advancing this many ticks: communication lost
    missed_ticks_fault: int = 3  # a gap of this many missing ticks is a fault
    overrun_bound_s: float = 0.005  # wall time between two checks
    overrun_ticks: int = 3  # consecutive overruns before the fault
    settle_ticks: int = 50  # at rest this long before a controlled stop counts as safe

    def __post_init__(self) -> None:
        _check_positive(self)


@dataclass(frozen=True, slots=True)
class StopLimits:
    """How the controlled stop moves the legs: to standing, with limited torque."""

    hip_posture: float = 0.0
    knee_posture: float = 0.05
    stiffness: float = 150.0  # N*m/rad
    damping: float = 15.0  # N*m*s/rad
    hip_torque: float = 40.0  # N*m at most during the stop
    knee_torque: float = 30.0
    rest_velocity: float = 0.3  # rad/s: legs count as at rest below this
    rest_belt_speed: float = 0.02  # m/s
    torque_free: float = 1.0  # N*m: measured drive torque counts as zero below this

    def __post_init__(self) -> None:
        for name in ("stiffness", "damping", "hip_torque", "knee_torque", "rest_velocity",
                     "rest_belt_speed", "torque_free"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise UserError(f"stop setting {name} must be positive, got {v}")


@dataclass(frozen=True, slots=True)
class SafetyLimits:
    """Everything the supervisor checks against, for one patient on one device."""

    patient: PatientLimits
    device: DeviceLimits = field(default_factory=DeviceLimits)
    timing: TimingLimits = field(default_factory=TimingLimits)
    stop: StopLimits = field(default_factory=StopLimits)

    def __post_init__(self) -> None:
        d = self.device
        for name, rom, stop in (("hip", self.patient.hip_rom, d.hip_stop),
                                ("knee", self.patient.knee_rom, d.knee_stop)):
            if rom.soft_lo < stop[0] or rom.soft_hi > stop[1]:
                raise UserError(f"{name} soft range {rom.soft_lo:.2f}..{rom.soft_hi:.2f} rad "
                                f"lies outside the device's end stops {stop}")

    @classmethod
    def for_patient(cls, body_mass_kg: float, *, hip: tuple[float, float] = (-0.25, 0.65),
                    knee: tuple[float, float] = (-0.05, 1.10)) -> SafetyLimits:
        """Default device limits with this patient's body and measured range of motion."""
        return cls(patient=PatientLimits.from_measured_range(body_mass_kg=body_mass_kg,
                                                             hip=hip, knee=knee))
