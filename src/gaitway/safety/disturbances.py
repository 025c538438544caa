"""The injectable faults: one small disturbance per fault, registered by kind.

Each :class:`Disturbance` says what it does (``effect``, shown by ``gaitway faults`` and named
in the hazard list) and acts through at most four narrow hooks: on the station's readings
(where a sensor fault appears to the controller), on the command a faulty controller proposes,
on the station itself through its typed :class:`~gaitway.station.interface.DisturbanceHooks`
(the emergency stop, the stop button, a spasm), or on the loop's clock. The injector
(:mod:`gaitway.safety.inject`) only asks the registry; it knows no fault by name.
"""

from __future__ import annotations

import math
import time
from typing import ClassVar, Final, Protocol

import numpy as np
import numpy.typing as npt

from gaitway.safety.faults import FaultKind
from gaitway.station.channels import SAMPLE_INDEX
from gaitway.station.interface import Command, DisturbanceHooks, FaultBit, Sample

FloatArray = npt.NDArray[np.float64]
_I = SAMPLE_INDEX
#: how long an injected emergency stop stays pressed before the operator releases it
ESTOP_HELD_S: Final[float] = 1.0
#: the injected loop overrun: iterations and the time each one takes
OVERRUN_TICKS: Final[int] = 5
OVERRUN_S: Final[float] = 0.025
SPASM_NM: Final[float] = 140.0
SPASM_RISE_S: Final[float] = 0.02


class InjectionContext(Protocol):
    """What a disturbance may use of the injector that runs it."""

    @property
    def hooks(self) -> DisturbanceHooks | None:
        """The station's disturbance hooks while it runs (None: readings only)."""

    @property
    def last_sample(self) -> Sample: ...

    @property
    def body_weight_n(self) -> float: ...

    @property
    def hogs_cpu(self) -> bool:
        """A paced loop on a station with real time: an overrun must really take wall time
        (otherwise it delays the simulated loop clock)."""

    def iteration_takes(self, seconds: float) -> None:
        """Headless: this loop iteration takes ``seconds`` on the simulated loop clock."""


class Disturbance:
    """One injected fault from its start, ``dt_in`` seconds into it (no-op hooks here)."""

    effect: ClassVar[str] = ""
    #: ticks that pass without reaching the loop just before the one the fault starts on
    skipped_ticks: ClassVar[int] = 0

    def start(self, ctx: InjectionContext) -> None:
        """Called once, on the tick the fault starts."""

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        """Change this tick's readings ``v`` in place; False: the sample never arrives."""
        return True

    def command(self, cmd: Command, dt_in: float) -> Command:
        """The command a faulty controller proposes instead of ``cmd``."""
        return cmd

    def release(self, ctx: InjectionContext) -> None:
        """The station stops: undo what was done to it."""


class _Reading(Disturbance):
    """A sensor fault: one channel offset, scaled or replaced."""

    channel: ClassVar[str]
    offset: ClassVar[float] = 0.0
    scale: ClassVar[float] = 1.0

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        i = _I[self.channel]
        v[i] = v[i] * self.scale + self.offset
        return True


class StaleSignal(Disturbance):
    effect = "hip_angle_left reading freezes at its last value"

    def start(self, ctx: InjectionContext) -> None:
        self._value = float(ctx.last_sample.values[_I["hip_angle_left"]])

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        v[_I["hip_angle_left"]] = self._value
        return True


class ImplausibleJump(_Reading):
    effect = "knee_angle_left reading steps by +0.3 rad"
    channel = "knee_angle_left"
    offset = 0.3


class NonFinite(_Reading):
    effect = "harness_force reading becomes NaN (signal lost)"
    channel = "harness_force"
    offset = math.nan


class EncoderMismatch(Disturbance):
    effect = "knee_motor_angle_left drifts away at 1 rad/s"

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        v[_I["knee_motor_angle_left"]] += 1.0 * dt_in
        return True


class DriveOvercurrent(_Reading):
    effect = "knee left drive current reads 15 A high"
    channel = "knee_drive_current_left"
    offset = 15.0


class DriveOvertemperature(_Reading):
    effect = ("knee left winding temperature reads 100 K high (a heat-soaked winding; see "
              "docs/safety/injection.md)")
    channel = "knee_drive_temperature_left"
    offset = 100.0


class SafeTorqueOff(_Reading):
    effect = ("knee_sto_right reads active (on the twin only the input reads so; a real "
              "drive's torque is cut by its safety circuit)")
    channel = "knee_sto_right"
    offset = 1.0


class DriveFault(Disturbance):
    effect = "a drive reports its fault state with no named cause (fault_word DRIVE_FAULT)"

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        i = _I["fault_word"]
        v[i] = float(int(v[i]) | int(FaultBit.DRIVE_FAULT))
        return True


class CommunicationLoss(Disturbance):
    effect = "samples stop arriving (the last one repeats)"

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        return False


class MissedTicks(Disturbance):
    effect = "4 ticks pass without reaching the loop"
    skipped_ticks = 4


class LoopOverrun(Disturbance):
    effect = (f"{OVERRUN_TICKS} loop iterations take {OVERRUN_S * 1e3:.0f} ms each (on the "
              "simulated loop clock of a simulated station; a real CPU hog in a paced loop on "
              "real time)")

    def __init__(self) -> None:
        self._left = OVERRUN_TICKS

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        if self._left > 0:
            self._left -= 1
            if ctx.hogs_cpu:
                end = time.perf_counter() + OVERRUN_S
                while time.perf_counter() < end:  # a computation that hogs the loop
                    pass
            else:
                ctx.iteration_takes(OVERRUN_S)
        return True


class EmergencyStop(Disturbance):
    effect = f"the emergency stop is pressed (released again after {ESTOP_HELD_S:g} s)"

    def start(self, ctx: InjectionContext) -> None:
        self._pressed = ctx.hooks is not None
        if ctx.hooks is not None:
            ctx.hooks.press_estop()

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        if dt_in < ESTOP_HELD_S:
            v[_I["estop"]] = 1.0
        elif self._pressed and ctx.hooks is not None:
            ctx.hooks.release_estop()
            self._pressed = False
        return True


class StopButton(Disturbance):
    effect = "the patient presses the stop button"

    def start(self, ctx: InjectionContext) -> None:
        self._on_station = ctx.hooks is not None
        if ctx.hooks is not None:
            ctx.hooks.press_stop_button(1.0)

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        if not self._on_station:
            v[_I["stop_button"]] = 1.0 if dt_in < 1.0 else 0.0
        return True


class Spasm(Disturbance):
    effect = f"knee extensor spasm: {SPASM_NM:.0f} N*m on the left knee within 20 ms"

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        level = SPASM_NM * min(dt_in / SPASM_RISE_S, 1.0)
        if ctx.hooks is not None:
            # a torque on the patient's knee against the orthosis, as a spasm would produce
            ctx.hooks.push_patient_joint("knee", "left", level)
        else:
            v[_I["interaction_torque_shank_left"]] -= level
        return True

    def release(self, ctx: InjectionContext) -> None:
        if ctx.hooks is not None:
            ctx.hooks.push_patient_joint("knee", "left", 0.0)


class HarnessSlack(_Reading):
    effect = "harness_force reading drops to 5 % (cable slack)"
    channel = "harness_force"
    scale = 0.05


class HarnessOverload(Disturbance):
    effect = "harness_force reading climbs by 90 % body weight over 0.2 s"

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        v[_I["harness_force"]] += 0.9 * ctx.body_weight_n * min(dt_in / 0.2, 1.0)
        return True


class BeltMismatch(_Reading):
    effect = "belt_speed_left reads half the real speed"
    channel = "belt_speed_left"
    scale = 0.5


class Fall(Disturbance):
    effect = "both plates unload while the harness takes 35 % body weight more"

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        v[_I["grf_z_left"]] = v[_I["grf_z_left"]] * 0.0 + 2.0
        v[_I["grf_z_right"]] = 1.0
        v[_I["harness_force"]] += 0.35 * ctx.body_weight_n
        return True


class JointRange(Disturbance):
    effect = ("left knee readings (joint and motor) slip at 3 rad/s to +1.5 rad, then back "
              "(0.5 s each): the loop cannot follow it in")

    def sense(self, v: FloatArray, dt_in: float, ctx: InjectionContext) -> bool:
        # the leg as the encoders see it goes far past its range, then comes back
        off = 3.0 * dt_in if dt_in < 0.5 else max(1.5 - 3.0 * (dt_in - 0.5), 0.0)
        v[_I["knee_angle_left"]] += off
        v[_I["knee_motor_angle_left"]] += off
        return True


class JointVelocity(_Reading):
    effect = "knee_velocity_left reads 12 rad/s high"
    channel = "knee_velocity_left"
    offset = 12.0


class DriveTorque(Disturbance):
    effect = "controller asks 100 N*m at the left knee for 50 ms"

    def command(self, cmd: Command, dt_in: float) -> Command:
        return cmd._replace(knee_torque_left=100.0) if dt_in < 0.05 else cmd


class CommandNonFinite(Disturbance):
    effect = "controller proposes NaN hip torque"

    def command(self, cmd: Command, dt_in: float) -> Command:
        return cmd._replace(hip_torque_left=math.nan)


class CommandOutOfRange(Disturbance):
    effect = "controller proposes a 5 m/s belt speed"

    def command(self, cmd: Command, dt_in: float) -> Command:
        return cmd._replace(belt_speed=5.0)


#: the registry: every fault the supervisor detects, with the disturbance that causes it
DISTURBANCES: Final[dict[FaultKind, type[Disturbance]]] = {
    FaultKind.STALE_SIGNAL: StaleSignal,
    FaultKind.IMPLAUSIBLE_JUMP: ImplausibleJump,
    FaultKind.NON_FINITE: NonFinite,
    FaultKind.ENCODER_MISMATCH: EncoderMismatch,
    FaultKind.DRIVE_OVERCURRENT: DriveOvercurrent,
    FaultKind.DRIVE_OVERTEMPERATURE: DriveOvertemperature,
    FaultKind.SAFE_TORQUE_OFF: SafeTorqueOff,
    FaultKind.DRIVE_FAULT: DriveFault,
    FaultKind.COMMUNICATION_LOSS: CommunicationLoss,
    FaultKind.MISSED_TICKS: MissedTicks,
    FaultKind.LOOP_OVERRUN: LoopOverrun,
    FaultKind.EMERGENCY_STOP: EmergencyStop,
    FaultKind.STOP_BUTTON: StopButton,
    FaultKind.INTERACTION_FORCE: Spasm,
    FaultKind.HARNESS_SLACK: HarnessSlack,
    FaultKind.HARNESS_OVERLOAD: HarnessOverload,
    FaultKind.BELT_MISMATCH: BeltMismatch,
    FaultKind.FALL: Fall,
    FaultKind.JOINT_RANGE: JointRange,
    FaultKind.JOINT_VELOCITY: JointVelocity,
    FaultKind.DRIVE_TORQUE: DriveTorque,
    FaultKind.COMMAND_NON_FINITE: CommandNonFinite,
    FaultKind.COMMAND_OUT_OF_RANGE: CommandOutOfRange,
}
assert set(DISTURBANCES) == set(FaultKind), "every fault needs its disturbance"
#: what each injection does, for ``gaitway faults`` and the hazard list
INJECTION_EFFECTS: Final[dict[FaultKind, str]] = {k: d.effect for k, d in DISTURBANCES.items()}
