"""Fault injection: a Station wrapper that makes any listed fault happen at a chosen time.

:class:`FaultInjector` decorates any :class:`Station`. Most faults are injected where a real
fault would appear to the controller, in the readings (a frozen encoder, a NaN, a slipping
belt sensor); the emergency stop, the patient's stop button and the spasm act on the simulated
station itself through its public API (``press_estop()``, ``stop_button_until``, a torque on
the patient's knee in ``data.qfrc_applied``). Faults of the controller are injected by
:meth:`FaultInjector.tamper`, which the session applies to the proposed command before safety
sees it. ``true_sample`` keeps what the station really measured, so tests can check the real
joints and harness while the supervisor only sees the faulty readings.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Final

from gaitway.errors import UserError
from gaitway.safety.faults import FAULTS, FaultKind
from gaitway.station.channels import SAMPLE_INDEX
from gaitway.station.interface import Command, Sample, Station, TimeBase

_I = SAMPLE_INDEX
GRAVITY: Final[float] = 9.81

#: what each injection does, for ``gaitway faults`` and the hazard list
INJECTION_EFFECTS: Final[dict[FaultKind, str]] = {
    FaultKind.STALE_SIGNAL: "hip_angle_left reading freezes at its last value",
    FaultKind.IMPLAUSIBLE_JUMP: "knee_angle_left reading steps by +0.3 rad",
    FaultKind.NON_FINITE: "harness_force reading becomes NaN (signal lost)",
    FaultKind.ENCODER_MISMATCH: "knee_motor_angle_left drifts away at 1 rad/s",
    FaultKind.DRIVE_OVERCURRENT: "knee left drive current reads 15 A high",
    FaultKind.DRIVE_OVERTEMPERATURE: "knee left winding temperature reads 100 K high (a "
                                     "heat-soaked winding; see docs/safety/injection.md)",
    FaultKind.COMMUNICATION_LOSS: "samples stop arriving (the last one repeats)",
    FaultKind.MISSED_TICKS: "4 ticks pass without reaching the loop",
    FaultKind.LOOP_OVERRUN: "5 loop iterations take 25 ms each (on the simulated loop clock "
                            "of a simulated station; a real CPU hog in a paced loop on real time)",
    FaultKind.EMERGENCY_STOP: "the emergency stop is pressed (released again after 1 s)",
    FaultKind.STOP_BUTTON: "the patient presses the stop button",
    FaultKind.INTERACTION_FORCE: "knee extensor spasm: 140 N*m on the left knee within 20 ms",
    FaultKind.HARNESS_SLACK: "harness_force reading drops to 5 % (cable slack)",
    FaultKind.HARNESS_OVERLOAD: "harness_force reading climbs by 90 % body weight over 0.2 s",
    FaultKind.BELT_MISMATCH: "belt_speed_left reads half the real speed",
    FaultKind.FALL: "both plates unload while the harness takes 35 % body weight more",
    FaultKind.JOINT_RANGE: "left knee readings (joint and motor) slip at 3 rad/s to +1.5 rad, then "
                           "back (0.5 s each): the loop cannot follow it in",
    FaultKind.JOINT_VELOCITY: "knee_velocity_left reads 12 rad/s high",
    FaultKind.DRIVE_TORQUE: "controller asks 100 N*m at the left knee for 50 ms",
    FaultKind.COMMAND_NON_FINITE: "controller proposes NaN hip torque",
    FaultKind.COMMAND_OUT_OF_RANGE: "controller proposes a 5 m/s belt speed",
}
assert set(INJECTION_EFFECTS) == set(FaultKind)
_COMMAND_FAULTS: Final = frozenset({FaultKind.DRIVE_TORQUE, FaultKind.COMMAND_NON_FINITE,
                                    FaultKind.COMMAND_OUT_OF_RANGE})
_SPASM_NM: Final[float] = 140.0
#: how long an injected emergency stop stays pressed before the operator releases it
ESTOP_HELD_S: Final[float] = 1.0
#: the injected loop overrun: iterations and the time each one takes
OVERRUN_TICKS: Final[int] = 5
OVERRUN_S: Final[float] = 0.025
_SPASM_RISE_S: Final[float] = 0.02


@dataclass(frozen=True, slots=True)
class Injection:
    """One fault to cause at ``at_s`` seconds of session time."""

    kind: FaultKind
    at_s: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.at_s) and self.at_s >= 0.0):
            raise UserError(f"injection time must be 0 s or later, got {self.at_s}")


def parse_injection(text: str) -> Injection:
    """``FAULT@SECONDS`` as given on the command line, e.g. ``emergency_stop@5``."""
    kind, sep, when = text.partition("@")
    names = ", ".join(k.value for k in FaultKind)
    if not sep:
        raise UserError(f"--inject wants FAULT@SECONDS (e.g. emergency_stop@5), got {text!r}")
    try:
        fk = FaultKind(kind.strip().lower().replace("-", "_"))
    except ValueError:
        raise UserError(f"unknown fault {kind!r}; injectable faults: {names}") from None
    try:
        at = float(when)
    except ValueError:
        raise UserError(f"--inject {text!r}: {when!r} is not a number of seconds") from None
    return Injection(fk, at)


class FaultInjector(Station):
    """Wraps a Station and injects the listed faults at their times."""

    def __init__(self, inner: Station, injections: list[Injection] | tuple[Injection, ...] = (),
                 *, paced: bool = False) -> None:
        """``paced``: the loop runs against wall time (live). On a station with real time an
        injected overrun must then really take wall time; headless, or on a station with
        simulated time (whose overruns are judged on :meth:`loop_clock`), it delays the
        simulated loop clock instead."""
        kinds = [i.kind for i in injections]
        if len(set(kinds)) != len(kinds):
            raise UserError("each fault can be injected once per session")
        self.inner = inner
        self.injections = sorted(injections, key=lambda i: i.at_s)
        self.simulated = inner.simulated
        self.dt = inner.dt
        #: kind -> session time at which the injection took effect
        self.injected_at: dict[FaultKind, float] = {}
        self._pending = list(self.injections)
        self._active: list[Injection] = []
        self._true: Sample | None = None
        self._last: Sample | None = None
        self._frozen: dict[int, float] = {}
        self._overrun_left = OVERRUN_TICKS
        self.paced = paced
        #: an injected overrun hogs the CPU (real time, paced) or delays loop_clock
        self._hog = paced and inner.time_base is TimeBase.REAL
        self._loop_steps = 0
        self._loop_lag = 0.0

    # -- Station ------------------------------------------------------------------------------
    def start(self) -> Sample:
        s = self.inner.start()
        self._true = self._last = s
        return s

    def stop(self) -> None:
        self._release_spasm()
        self.inner.stop()

    @property
    def running(self) -> bool:
        return self.inner.running

    @property
    def last_sample(self) -> Sample:
        return self._last if self._last is not None else self.inner.last_sample

    @property
    def true_sample(self) -> Sample:
        """What the station really measured this tick, before injected sensor faults."""
        return self._true if self._true is not None else self.inner.last_sample

    @property
    def body_mass_kg(self) -> float:
        return self.inner.body_mass_kg

    @property
    def time_base(self) -> TimeBase:
        return self.inner.time_base

    def engage_belt_brake(self) -> None:
        self.inner.engage_belt_brake()

    def release_belt_brake(self) -> None:
        self.inner.release_belt_brake()

    def loop_clock(self) -> float:
        """The headless loop's simulated clock: one tick per step plus any injected overrun
        time. Deterministic, so a loaded machine cannot make a simulated session overrun."""
        return self._loop_steps * self.dt + self._loop_lag

    def step(self, command: Command) -> Sample:
        self._loop_steps += 1
        if FaultKind.MISSED_TICKS in self._starting():
            for _ in range(4):
                self.inner.step(command)
        true = self.inner.step(command)
        self._true = true
        t = true.time
        while self._pending and t >= self._pending[0].at_s:
            inj = self._pending.pop(0)
            self._activate(inj, t)
        if not self._active:
            self._last = true
            return true
        out = self._apply(true, t)
        self._last = out
        return out

    # -- controller faults --------------------------------------------------------------------
    def tamper(self, command: Command, time_s: float) -> Command:
        """The proposed command as a faulty controller would have made it."""
        if not self._active:
            return command
        for inj in self._active:
            if inj.kind not in _COMMAND_FAULTS:
                continue
            if inj.kind is FaultKind.COMMAND_NON_FINITE:
                command = command._replace(hip_torque_left=math.nan)
            elif inj.kind is FaultKind.COMMAND_OUT_OF_RANGE:
                command = command._replace(belt_speed=5.0)
            elif time_s < self.injected_at[inj.kind] + 0.05:
                command = command._replace(knee_torque_left=100.0)
        return command

    # -- internals ----------------------------------------------------------------------------
    def _starting(self) -> list[FaultKind]:
        """Injections due on the coming tick that act before it (missed ticks)."""
        t_next = self.last_sample.time + self.dt
        return [i.kind for i in self._pending
                if i.kind is FaultKind.MISSED_TICKS and t_next >= i.at_s]

    def _activate(self, inj: Injection, t: float) -> None:
        self.injected_at[inj.kind] = t
        self._active.append(inj)
        kind = inj.kind
        inner = self.inner
        if kind is FaultKind.EMERGENCY_STOP and hasattr(inner, "press_estop"):
            inner.press_estop()
        elif kind is FaultKind.STOP_BUTTON and hasattr(inner, "stop_button_until"):
            inner.stop_button_until = t + 1.0
        elif kind is FaultKind.STALE_SIGNAL:
            i = _I["hip_angle_left"]
            self._frozen[i] = float(self.last_sample.values[i])

    def _spasm_dof(self) -> int | None:
        model = getattr(self.inner, "model", None)
        if model is None:
            return None
        return int(model.joint("cuff_knee_left").dofadr[0])

    def _release_spasm(self) -> None:
        dof = self._spasm_dof() if FaultKind.INTERACTION_FORCE in self.injected_at else None
        if dof is not None:
            self.inner.data.qfrc_applied[dof] = 0.0  # type: ignore[attr-defined]

    def _apply(self, true: Sample, t: float) -> Sample:
        v = true.values.copy()
        w = self.inner.body_mass_kg * GRAVITY
        for inj in self._active:
            kind = inj.kind
            dt_in = t - self.injected_at[kind]
            if kind is FaultKind.STALE_SIGNAL:
                for i, x in self._frozen.items():
                    v[i] = x
            elif kind is FaultKind.IMPLAUSIBLE_JUMP:
                v[_I["knee_angle_left"]] += 0.3
            elif kind is FaultKind.NON_FINITE:
                v[_I["harness_force"]] = math.nan
            elif kind is FaultKind.ENCODER_MISMATCH:
                v[_I["knee_motor_angle_left"]] += 1.0 * dt_in
            elif kind is FaultKind.DRIVE_OVERCURRENT:
                v[_I["knee_drive_current_left"]] += 15.0
            elif kind is FaultKind.DRIVE_OVERTEMPERATURE:
                v[_I["knee_drive_temperature_left"]] += 100.0
            elif kind is FaultKind.COMMUNICATION_LOSS:
                return self.last_sample
            elif kind is FaultKind.LOOP_OVERRUN:
                if self._overrun_left > 0:
                    self._overrun_left -= 1
                    if self._hog:
                        end = time.perf_counter() + OVERRUN_S
                        while time.perf_counter() < end:  # a computation that hogs the loop
                            pass
                    else:
                        self._loop_lag += OVERRUN_S - self.dt
            elif kind is FaultKind.EMERGENCY_STOP:
                if dt_in < ESTOP_HELD_S:
                    v[_I["estop"]] = 1.0
                elif getattr(self.inner, "estop_pressed", False):
                    self.inner.estop_pressed = False  # type: ignore[attr-defined]  # released
            elif kind is FaultKind.STOP_BUTTON:
                if not hasattr(self.inner, "stop_button_until"):
                    v[_I["stop_button"]] = 1.0 if dt_in < 1.0 else 0.0
            elif kind is FaultKind.INTERACTION_FORCE:
                self._spasm(true, v, dt_in)
            elif kind is FaultKind.HARNESS_SLACK:
                v[_I["harness_force"]] *= 0.05
            elif kind is FaultKind.HARNESS_OVERLOAD:
                v[_I["harness_force"]] += 0.9 * w * min(dt_in / 0.2, 1.0)
            elif kind is FaultKind.BELT_MISMATCH:
                v[_I["belt_speed_left"]] *= 0.5
            elif kind is FaultKind.FALL:
                v[_I["grf_z_left"]] = v[_I["grf_z_left"]] * 0.0 + 2.0
                v[_I["grf_z_right"]] = 1.0
                v[_I["harness_force"]] += 0.35 * w
            elif kind is FaultKind.JOINT_RANGE:
                # the leg as the encoders see it goes far past its range, then comes back
                off = 3.0 * dt_in if dt_in < 0.5 else max(1.5 - 3.0 * (dt_in - 0.5), 0.0)
                v[_I["knee_angle_left"]] += off
                v[_I["knee_motor_angle_left"]] += off
            elif kind is FaultKind.JOINT_VELOCITY:
                v[_I["knee_velocity_left"]] += 12.0
        return Sample(v)

    def _spasm(self, true: Sample, v: object, dt_in: float) -> None:
        dof = self._spasm_dof()
        level = _SPASM_NM * min(dt_in / _SPASM_RISE_S, 1.0)
        if dof is not None and self.inner.running:
            # a torque on the patient's knee against the orthosis, as a spasm would produce
            self.inner.data.qfrc_applied[dof] = level  # type: ignore[attr-defined]
        else:
            v[_I["interaction_torque_shank_left"]] -= level  # type: ignore[index]


def describe_faults() -> list[dict[str, str]]:
    """Every injectable fault with its detection, reaction and injected effect."""
    return [{"kind": str(k), "reaction": FAULTS[k].reaction.label,
             "detection": FAULTS[k].detection, "injection": INJECTION_EFFECTS[k],
             "detection_goal_ms": f"{FAULTS[k].max_detection_s * 1e3:.0f}"}
            for k in FaultKind]
