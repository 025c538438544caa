"""What can go wrong, how the supervisor answers each fault, and the record a fault leaves.

The table :data:`FAULTS` is the single source for the supervisor's reactions, for
``gaitway faults`` and for the fault-injection matrix, so the three cannot drift apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Final


class Reaction(enum.IntEnum):
    """Graded reactions, ordered by severity (a later fault may only escalate)."""

    NONE = 0
    WARN = 1  # command limited, warning recorded
    CONTROLLED_STOP = 2  # belt decelerates, legs to standing with limited torque, harness holds
    IMMEDIATE_STOP = 3  # drives torque-free, belt stopped, harness holding

    @property
    def label(self) -> str:
        return self.name.lower()


class FaultKind(enum.StrEnum):
    """Every fault the supervisor detects (and the injector can cause)."""

    STALE_SIGNAL = "stale_signal"
    IMPLAUSIBLE_JUMP = "implausible_jump"
    NON_FINITE = "non_finite"
    ENCODER_MISMATCH = "encoder_mismatch"
    DRIVE_OVERCURRENT = "drive_overcurrent"
    DRIVE_OVERTEMPERATURE = "drive_overtemperature"
    SAFE_TORQUE_OFF = "safe_torque_off"
    DRIVE_FAULT = "drive_fault"
    COMMUNICATION_LOSS = "communication_loss"
    MISSED_TICKS = "missed_ticks"
    LOOP_OVERRUN = "loop_overrun"
    EMERGENCY_STOP = "emergency_stop"
    STOP_BUTTON = "stop_button"
    INTERACTION_FORCE = "interaction_force"
    HARNESS_SLACK = "harness_slack"
    HARNESS_OVERLOAD = "harness_overload"
    BELT_MISMATCH = "belt_mismatch"
    FALL = "fall"
    JOINT_RANGE = "joint_range"
    JOINT_VELOCITY = "joint_velocity"
    DRIVE_TORQUE = "drive_torque"
    COMMAND_NON_FINITE = "command_non_finite"
    COMMAND_OUT_OF_RANGE = "command_out_of_range"


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One fault: its hard reaction, what detects it, and its detection-time goal."""

    kind: FaultKind
    reaction: Reaction
    detection: str
    #: goal for injection-to-detection (or crossing-to-detection for hard limits), seconds
    max_detection_s: float
    #: True if the fault also has a soft band answered by limit-and-warn
    has_soft_limit: bool = False
    #: why a session stopped by this fault must not resume ("" = it may, once acknowledged)
    no_resume: str = ""


_C = Reaction.CONTROLLED_STOP
_X = Reaction.IMMEDIATE_STOP
_SPECS: Final[tuple[FaultSpec, ...]] = (
    FaultSpec(FaultKind.STALE_SIGNAL, _X, "a noisy channel repeats bit for bit; a quantised "
              "joint angle holds while its velocity reading says it moves", 0.020,
              no_resume="a frozen sensor: have it checked"),
    FaultSpec(FaultKind.IMPLAUSIBLE_JUMP, _X, "a reading moves more in one tick than physics "
              "allows", 0.002, no_resume="a sensor lost its reference: have it checked"),
    FaultSpec(FaultKind.NON_FINITE, _X, "NaN or infinite value in any channel", 0.002,
              no_resume="a sensor signal was lost: have it checked"),
    FaultSpec(FaultKind.ENCODER_MISMATCH, _X, "joint and motor encoders disagree (or device bit)",
              0.050, no_resume="encoder fault: have the drive checked"),
    FaultSpec(FaultKind.DRIVE_OVERCURRENT, _X, "drive current above its limit (or device bit)",
              0.010, no_resume="drive fault: have the drive checked"),
    FaultSpec(FaultKind.DRIVE_OVERTEMPERATURE, _C, "winding temperature above limit (or device "
              "bit); warm windings warn", 0.020, has_soft_limit=True),
    FaultSpec(FaultKind.SAFE_TORQUE_OFF, _X, "a drive's safe-torque-off input is active "
              "(its channel, or the drive reports it)", 0.010,
              no_resume="the safety circuit cut the drives: find out why, then restart"),
    FaultSpec(FaultKind.DRIVE_FAULT, _X, "a drive in its fault state without a named cause "
              "(device bit)", 0.010, no_resume="drive fault: have the drive checked"),
    FaultSpec(FaultKind.COMMUNICATION_LOSS, _X, "watchdog: sample time stops advancing (or "
              "device bit)", 0.010),
    FaultSpec(FaultKind.MISSED_TICKS, _C, "a gap of several ticks in the sample time", 0.002),
    FaultSpec(FaultKind.LOOP_OVERRUN, _C, "consecutive ticks slower than the overrun bound", 0.100),
    FaultSpec(FaultKind.EMERGENCY_STOP, _X, "emergency stop pressed", 0.002),
    FaultSpec(FaultKind.STOP_BUTTON, _C, "patient's stop button pressed", 0.002),
    FaultSpec(FaultKind.INTERACTION_FORCE, _X, "cuff torque beyond the hard limit (spasm, "
              "misalignment); soft band warns", 0.100, has_soft_limit=True),
    FaultSpec(FaultKind.HARNESS_SLACK, _C, "harness force far below its command", 0.100),
    FaultSpec(FaultKind.HARNESS_OVERLOAD, _C, "harness force above its upper bound", 0.200),
    FaultSpec(FaultKind.BELT_MISMATCH, _C, "belt speeds disagree with each other or the command",
              0.100),
    FaultSpec(FaultKind.FALL, _X, "both plates unloaded while the harness load spikes", 0.050,
              no_resume="the patient fell: end the session and examine them"),
    FaultSpec(FaultKind.JOINT_RANGE, _C, "joint beyond its hard range of motion; soft range "
              "limits torque and warns", 0.002, has_soft_limit=True),
    FaultSpec(FaultKind.JOINT_VELOCITY, _X, "joint velocity beyond its hard limit; soft limit "
              "removes driving torque and warns", 0.002, has_soft_limit=True),
    FaultSpec(FaultKind.DRIVE_TORQUE, Reaction.WARN, "commanded torque above the soft limit is "
              "clipped", 0.001, has_soft_limit=True),
    FaultSpec(FaultKind.COMMAND_NON_FINITE, _X, "controller proposed NaN or infinity", 0.001,
              no_resume="controller fault: restart the session"),
    FaultSpec(FaultKind.COMMAND_OUT_OF_RANGE, _C, "controller proposed a belt speed or harness "
              "force outside the device's range or a harness step the winch cannot follow", 0.001,
              no_resume="controller fault: restart the session"),
)
FAULTS: Final[dict[FaultKind, FaultSpec]] = {s.kind: s for s in _SPECS}
assert set(FAULTS) == set(FaultKind), "every fault kind needs a spec"


@dataclass(slots=True)
class FaultRecord:
    """One detected fault or soft-limit warning, as recorded and summarised."""

    kind: FaultKind
    reaction: Reaction
    detected_at_s: float
    detail: str
    injected_at_s: float | None = None
    safe_state_at_s: float | None = None
    #: for an immediate stop: when the drives were confirmed torque-free (belt still braking)
    torque_free_at_s: float | None = None
    acknowledged_by: str | None = None
    acknowledged_at_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: a soft-limit warning: the joint, and its repeats folded into this record (count, and
    #: the time of the latest; ``detected_at_s`` is the first, ``detail`` the latest)
    joint: str | None = None
    count: int = 1
    last_at_s: float | None = None

    def to_summary(self) -> dict[str, Any]:
        """The summary.json form the issue specifies."""
        return {
            "kind": str(self.kind),
            "injected_at_s": None if self.injected_at_s is None else round(self.injected_at_s, 4),
            "detected_at_s": round(self.detected_at_s, 4),
            "reaction": self.reaction.label,
            "safe_state_at_s": (None if self.safe_state_at_s is None
                                else round(self.safe_state_at_s, 4)),
            "torque_free_at_s": _r(self.torque_free_at_s),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at_s": _r(self.acknowledged_at_s),
            "detail": self.detail,
            "joint": self.joint,
            "count": self.count,
            "last_at_s": _r(self.last_at_s),
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
