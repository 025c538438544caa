"""The fixed channel schema of a station Sample.

One place names every channel, its unit and the resolution at which a recording keeps it. The
order is the order of values in ``Sample.values``; recordings store the list, so readers never
depend on this module's order for old files. Names follow ARCHITECTURE.md: what, then where.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Side = Literal["left", "right"]
SIDES: Final[tuple[Side, Side]] = ("left", "right")
DRIVEN_JOINTS: Final[tuple[str, str]] = ("hip", "knee")
JOINTS: Final[tuple[str, str, str]] = ("hip", "knee", "ankle")
#: The one order of the four driven joints, everywhere: Sample and control channels, Command,
#: the controllers' joint lists, the twin's drives. Joint-major: hip left, hip right, knee
#: left, knee right.
DRIVEN_DOFS: Final[tuple[tuple[str, Side], ...]] = tuple(
    (j, s) for j in DRIVEN_JOINTS for s in SIDES
)
#: position in DRIVEN_DOFS of each side's (hip, knee), side 0 left, 1 right
LEG_DOFS: Final[tuple[tuple[int, int], tuple[int, int]]] = (
    (DRIVEN_DOFS.index(("hip", "left")), DRIVEN_DOFS.index(("knee", "left"))),
    (DRIVEN_DOFS.index(("hip", "right")), DRIVEN_DOFS.index(("knee", "right"))),
)
EMG_MUSCLES: Final[tuple[str, ...]] = (
    "tibialis_anterior",
    "gastrocnemius_medialis",
    "vastus_lateralis",
    "biceps_femoris",
)


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel's name, SI unit and recording resolution (quantisation step, in its unit)."""

    name: str
    unit: str
    resolution: float
    description: str = ""


def _build_sample_channels() -> tuple[ChannelSpec, ...]:
    ch: list[ChannelSpec] = [ChannelSpec("time", "s", 1e-6, "seconds from session start")]
    for j in JOINTS:
        for s in SIDES:
            ch.append(ChannelSpec(f"{j}_angle_{s}", "rad", 2e-5, f"{j} joint encoder, flexion +"))
    for j in JOINTS:
        for s in SIDES:
            ch.append(ChannelSpec(f"{j}_velocity_{s}", "rad/s", 2e-3, f"{j} angular velocity"))
    for j in DRIVEN_JOINTS:
        for s in SIDES:
            ch.append(ChannelSpec(f"{j}_torque_{s}", "N*m", 0.1, f"{j} drive output torque"))
    for j in DRIVEN_JOINTS:
        for s in SIDES:
            ch.append(
                ChannelSpec(f"{j}_motor_angle_{s}", "rad", 2e-5, f"{j} motor-side encoder")
            )
    for j in DRIVEN_JOINTS:
        for s in SIDES:
            ch.append(ChannelSpec(f"{j}_drive_current_{s}", "A", 0.01, f"{j} motor current"))
    for j in DRIVEN_JOINTS:
        for s in SIDES:
            ch.append(
                ChannelSpec(f"{j}_drive_temperature_{s}", "degC", 0.05, f"{j} winding temp.")
            )
    for cuff in ("thigh", "shank"):
        for s in SIDES:
            ch.append(
                ChannelSpec(
                    f"interaction_torque_{cuff}_{s}", "N*m", 0.1, f"{cuff} cuff torque on leg"
                )
            )
    for s in SIDES:
        for axis in ("x", "y", "z"):
            ch.append(ChannelSpec(f"grf_{axis}_{s}", "N", 1.0, f"{s} belt force plate"))
        for axis in ("x", "y"):
            ch.append(ChannelSpec(f"cop_{axis}_{s}", "m", 5e-4, f"{s} belt centre of pressure"))
    ch += [
        ChannelSpec("harness_force", "N", 1.0, "body-weight-support cable force"),
        ChannelSpec("pelvis_height", "m", 1e-4, "pelvis height above the belts"),
        ChannelSpec("pelvis_lateral", "m", 5e-5, "pelvis medio-lateral position, left +"),
    ]
    for s in SIDES:
        ch.append(ChannelSpec(f"belt_speed_{s}", "m/s", 2e-3, f"{s} belt surface speed"))
    for axis in ("x", "y", "z"):
        ch.append(ChannelSpec(f"imu_acc_{axis}", "m/s^2", 0.05, "pelvis IMU acceleration"))
    for axis in ("x", "y", "z"):
        ch.append(ChannelSpec(f"imu_gyro_{axis}", "rad/s", 5e-3, "pelvis IMU angular rate"))
    for m in EMG_MUSCLES:
        for s in SIDES:
            ch.append(ChannelSpec(f"emg_{m}_{s}", "V", 5e-6, f"raw surface EMG, {m}"))
    ch += [
        ChannelSpec("estop", "bool", 1.0, "emergency stop pressed (1)"),
        ChannelSpec("stop_button", "bool", 1.0, "patient stop button pressed (1)"),
        ChannelSpec("fault_word", "bits", 1.0, "device fault bits, see FaultBit"),
    ]
    for j in DRIVEN_JOINTS:
        for s in SIDES:
            ch.append(ChannelSpec(f"{j}_sto_{s}", "bool", 1.0,
                                  f"{j} drive's safe-torque-off input active (1: no torque)"))
    for j in DRIVEN_JOINTS:
        for s in SIDES:
            ch.append(ChannelSpec(f"{j}_brake_{s}", "bool", 1.0,
                                  f"{j} drive's holding brake engaged (1)"))
    return tuple(ch)


SAMPLE_CHANNELS: Final[tuple[ChannelSpec, ...]] = _build_sample_channels()
SAMPLE_CHANNEL_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in SAMPLE_CHANNELS)
SAMPLE_INDEX: Final[dict[str, int]] = {n: i for i, n in enumerate(SAMPLE_CHANNEL_NAMES)}
N_SAMPLE_CHANNELS: Final[int] = len(SAMPLE_CHANNELS)


def _build_truth_channels() -> tuple[ChannelSpec, ...]:
    """Ground truth that only a simulation knows, recorded beside the measured signals."""
    ch: list[ChannelSpec] = []
    for s in SIDES:
        ch.append(ChannelSpec(f"truth_contact_{s}", "bool", 1.0, "foot touches its belt"))
    for j in JOINTS:
        for s in SIDES:
            ch.append(
                ChannelSpec(f"truth_voluntary_torque_{j}_{s}", "N*m", 0.2, "patient's own torque")
            )
    for j in DRIVEN_JOINTS:
        for s in SIDES:
            ch.append(ChannelSpec(f"truth_{j}_angle_{s}", "rad", 1e-4, "anatomical joint angle"))
    for s in SIDES:
        ch.append(ChannelSpec(f"truth_phase_{s}", "1", 1e-3, "patient's own gait phase 0-1"))
    # each muscle's true activation, in the order of its EMG channel (the EMG follows it)
    for m in EMG_MUSCLES:
        for s in SIDES:
            ch.append(ChannelSpec(f"truth_activation_{m}_{s}", "1", 1e-3,
                                  f"true activation of {m} (0-1), behind its synthetic EMG"))
    for s in SIDES:
        ch.append(ChannelSpec(f"truth_effort_{s}", "1", 1e-3,
                              "the leg's drive 0-1, learnt stride by stride (slacking)"))
    ch.append(ChannelSpec("truth_fatigue", "1", 1e-5, "fatigue state 0 (fresh) to 1"))
    return tuple(ch)


TRUTH_CHANNELS: Final[tuple[ChannelSpec, ...]] = _build_truth_channels()
TRUTH_CHANNEL_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in TRUTH_CHANNELS)
TRUTH_INDEX: Final[dict[str, int]] = {n: i for i, n in enumerate(TRUTH_CHANNEL_NAMES)}
N_TRUTH_CHANNELS: Final[int] = len(TRUTH_CHANNELS)


def _build_control_channels() -> tuple[ChannelSpec, ...]:
    """What the control stack decided each tick, recorded beside the Sample it answered."""
    ch: list[ChannelSpec] = []
    for j, s in DRIVEN_DOFS:
        ch.append(ChannelSpec(f"ref_{j}_angle_{s}", "rad", 1e-4, "reference trajectory"))
    for j, s in DRIVEN_DOFS:
        ch.append(ChannelSpec(f"cmd_{j}_torque_{s}", "N*m", 0.25, "commanded (after safety)"))
    ch += [
        ChannelSpec("cmd_harness_force", "N", 0.1, "commanded unloading force"),
        ChannelSpec("cmd_belt_speed", "m/s", 1e-4, "commanded belt speed"),
        ChannelSpec("cmd_harness_setpoint", "N", 0.1,
                    "set unloading force (the support setting, ramped)"),
        ChannelSpec("cmd_belt_setpoint", "m/s", 1e-4,
                    "belt speed set (the speed setting the commanded speed ramps to)"),
        ChannelSpec("guidance", "1", 1e-4, "guidance level 0 (transparent) to 1 (100 %)"),
        ChannelSpec("assist_level", "1", 1e-4, "robot assistance level 0-1 (mean over joints)"),
    ]
    for s in SIDES:
        ch.append(ChannelSpec(f"phase_estimate_{s}", "1", 1e-3, "estimated gait phase 0-1"))
    return tuple(ch)


CONTROL_CHANNELS: Final[tuple[ChannelSpec, ...]] = _build_control_channels()
CONTROL_CHANNEL_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in CONTROL_CHANNELS)
CONTROL_INDEX: Final[dict[str, int]] = {n: i for i, n in enumerate(CONTROL_CHANNEL_NAMES)}
N_CONTROL_CHANNELS: Final[int] = len(CONTROL_CHANNELS)


def _block(names: list[str]) -> slice:
    """The slice of the control channels holding ``names``, which must lie side by side
    in this order (so the hot path can copy a joint list in one slice assignment)."""
    first = CONTROL_INDEX[names[0]]
    if [CONTROL_INDEX[n] for n in names] != list(range(first, first + len(names))):
        raise AssertionError(f"control channels {names} are not contiguous in this order")
    return slice(first, first + len(names))


@dataclass(frozen=True, slots=True)
class ControlLayout:
    """Where each control value sits in the control channels, by name: what control code
    writes and reads instead of list positions. Joint blocks follow ``DRIVEN_DOFS``."""

    ref_angle: slice
    cmd_torque: slice
    cmd_harness_force: int
    cmd_belt_speed: int
    cmd_harness_setpoint: int
    cmd_belt_setpoint: int
    guidance: int
    assist_level: int
    phase_estimate_left: int
    phase_estimate_right: int
    #: the commanded values in Command's field order (torques, harness force, belt speed,
    #: harness set point, belt set point)
    command: slice


CONTROL: Final[ControlLayout] = ControlLayout(
    ref_angle=_block([f"ref_{j}_angle_{s}" for j, s in DRIVEN_DOFS]),
    cmd_torque=_block([f"cmd_{j}_torque_{s}" for j, s in DRIVEN_DOFS]),
    cmd_harness_force=CONTROL_INDEX["cmd_harness_force"],
    cmd_belt_speed=CONTROL_INDEX["cmd_belt_speed"],
    cmd_harness_setpoint=CONTROL_INDEX["cmd_harness_setpoint"],
    cmd_belt_setpoint=CONTROL_INDEX["cmd_belt_setpoint"],
    guidance=CONTROL_INDEX["guidance"],
    assist_level=CONTROL_INDEX["assist_level"],
    phase_estimate_left=CONTROL_INDEX["phase_estimate_left"],
    phase_estimate_right=CONTROL_INDEX["phase_estimate_right"],
    command=_block([f"cmd_{j}_torque_{s}" for j, s in DRIVEN_DOFS]
                   + ["cmd_harness_force", "cmd_belt_speed", "cmd_harness_setpoint",
                      "cmd_belt_setpoint"]),
)
#: What a session records as its measured rows: the Sample, then what control answered.
RECORDED_CHANNELS: Final[tuple[ChannelSpec, ...]] = SAMPLE_CHANNELS + CONTROL_CHANNELS
#: where a recorded row holds the command the drives got (after safety), in Command's order
RECORDED_COMMAND: Final[slice] = slice(N_SAMPLE_CHANNELS + CONTROL.command.start,
                                       N_SAMPLE_CHANNELS + CONTROL.command.stop)


def channel_index(name: str) -> int:
    """Index of a Sample channel, with an error that lists what exists."""
    try:
        return SAMPLE_INDEX[name]
    except KeyError:
        raise KeyError(
            f"unknown channel {name!r}; known channels: {', '.join(SAMPLE_CHANNEL_NAMES)}"
        ) from None
