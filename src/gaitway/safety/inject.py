"""Fault injection: a Station wrapper that makes any listed fault happen at a chosen time.

:class:`FaultInjector` decorates any :class:`Station`. It knows no fault by name: for each
injection it asks the registry (:data:`gaitway.safety.disturbances.DISTURBANCES`) for the
fault's disturbance, starts it at its time, and passes it the readings of every later tick,
the command proposed by the controller (:meth:`FaultInjector.tamper`, which the session
applies before safety sees it) and the station's typed disturbance hooks (the twin's
emergency stop, stop button and the patient's joints). ``true_sample`` keeps what the
station really measured, so tests can check the real joints and harness while the supervisor
only sees the faulty readings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from gaitway.errors import UserError
from gaitway.safety.disturbances import DISTURBANCES, INJECTION_EFFECTS, Disturbance
from gaitway.safety.faults import FAULTS, FaultKind
from gaitway.station.interface import (
    Command,
    DisturbanceHooks,
    Sample,
    Station,
    StationWrapper,
    TimeBase,
)

GRAVITY: Final[float] = 9.81


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


class FaultInjector(StationWrapper):
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
        super().__init__(inner)
        self.injections = sorted(injections, key=lambda i: i.at_s)
        #: kind -> session time at which the injection took effect
        self.injected_at: dict[FaultKind, float] = {}
        self._pending = list(self.injections)
        self._active: list[tuple[float, Disturbance]] = []  # (start time, disturbance)
        self._true: Sample | None = None
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
        for _, d in self._active:
            d.release(self)
        self.inner.stop()

    @property
    def true_sample(self) -> Sample:
        """What the station really measured this tick, before injected sensor faults."""
        return self._true if self._true is not None else self.inner.last_sample

    def loop_clock(self) -> float:
        """The headless loop's simulated clock: one tick per step plus any injected overrun
        time. Deterministic, so a loaded machine cannot make a simulated session overrun."""
        return self._loop_steps * self.dt + self._loop_lag

    def step(self, command: Command) -> Sample:
        self._loop_steps += 1
        t_next = self.last_sample.time + self.dt
        for inj in self._pending:  # ticks lost just before a fault starts (missed ticks)
            if t_next < inj.at_s:
                break
            for _ in range(DISTURBANCES[inj.kind].skipped_ticks):
                self.inner.step(command)
        true = self.inner.step(command)
        self._true = true
        t = true.time
        while self._pending and t >= self._pending[0].at_s:
            kind = self._pending.pop(0).kind
            d = DISTURBANCES[kind]()
            self.injected_at[kind] = t
            self._active.append((t, d))
            d.start(self)
        if not self._active:
            self._last = true
            return true
        v = true.values.copy()
        for t0, d in self._active:
            if not d.sense(v, t - t0, self):
                return self.last_sample  # the sample never arrives: the last one repeats
        out = Sample(v)
        self._last = out
        return out

    # -- controller faults --------------------------------------------------------------------
    def tamper(self, command: Command, time_s: float) -> Command:
        """The proposed command as a faulty controller would have made it."""
        for t0, d in self._active:
            command = d.command(command, time_s - t0)
        return command

    # -- what disturbances see (safety.disturbances.InjectionContext) -------------------------
    @property
    def hooks(self) -> DisturbanceHooks | None:
        return self.inner.disturbance_hooks() if self.inner.running else None

    @property
    def hogs_cpu(self) -> bool:
        return self._hog

    @property
    def body_weight_n(self) -> float:
        return self.inner.body_mass_kg * GRAVITY

    def iteration_takes(self, seconds: float) -> None:
        self._loop_lag += seconds - self.dt


def describe_faults() -> list[dict[str, str]]:
    """Every injectable fault with its detection, reaction and injected effect."""
    return [{"kind": str(k), "reaction": FAULTS[k].reaction.label,
             "detection": FAULTS[k].detection, "injection": INJECTION_EFFECTS[k],
             "detection_goal_ms": f"{FAULTS[k].max_detection_s * 1e3:.0f}"}
            for k in FaultKind]
