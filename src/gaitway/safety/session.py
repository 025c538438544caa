"""Safety in a session: the supervisor and the fault injector wired for the session runner.

Kept here so the runner needs only a few lines: wrap the station, judge each proposed command,
engage the belt brake on an immediate stop, hand safety events to the recording, hold the safe
state until an acknowledgement resumes the session or the session ends.

Acknowledgement (the console calls :meth:`SessionSafety.acknowledge` from its own thread; a
headless session takes them from ``--acknowledge NAME@SECONDS``): accepted only in the safe
state, once the cause is gone, and never for a fault that must not be resumed (a fall, a drive
or sensor fault). Accepted or refused, it is recorded with who gave it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from gaitway.errors import UserError
from gaitway.safety.faults import FaultKind, FaultRecord, Reaction
from gaitway.safety.inject import FaultInjector, Injection, parse_injection
from gaitway.safety.limits import SafetyLimits
from gaitway.safety.supervisor import SafetySupervisor, SupervisorState
from gaitway.station.interface import Command, Sample, Station, TimeBase

#: once safe, the session stays in the safe state this long (recorded) before it ends
HOLD_S: Final[float] = 0.3
#: a latched fault that has not reached its safe state by then ends the session anyway
TIMEOUT_S: Final[float] = 8.0
#: read once (an enum member read from its class costs ~0.5 us on Python 3.11; judge runs
#: every tick)
_IMMEDIATE_STOP: Final = SupervisorState.IMMEDIATE_STOP


class EventSink(Protocol):
    def event(self, time_s: float, kind: str, source: str, **details: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class AckResult:
    """The answer to an acknowledgement: accepted (the session resumes) or refused, and why."""

    accepted: bool
    by: str
    time_s: float
    #: why it was refused ("" when accepted)
    reason: str
    #: the faults of the stop it concerned
    faults: tuple[str, ...]

    def to_summary(self) -> dict[str, Any]:
        return {"by": self.by, "at_s": round(self.time_s, 4), "accepted": self.accepted,
                "reason": self.reason, "faults": list(self.faults)}


@dataclass(frozen=True, slots=True)
class ScheduledAck:
    """An acknowledgement a headless session gives at ``at_s`` (``--acknowledge``)."""

    by: str
    at_s: float


def parse_acknowledgement(text: str) -> ScheduledAck:
    """``NAME@SECONDS`` as given on the command line, e.g. ``therapist-A@12``."""
    by, sep, when = text.rpartition("@")
    if not sep or not by.strip():
        raise UserError(f"--acknowledge wants NAME@SECONDS (e.g. therapist-A@12), got {text!r}")
    try:
        at = float(when)
    except ValueError:
        raise UserError(f"--acknowledge {text!r}: {when!r} is not a number of seconds") from None
    if not (math.isfinite(at) and at >= 0.0):
        raise UserError(f"--acknowledge {text!r}: the time must be 0 s or later")
    return ScheduledAck(by.strip(), at)


class SessionSafety:
    """The supervisor and the injector of one session.

    ``paced``: a live loop against wall time. On a station with real time (``TimeBase.REAL``:
    hardware) its overruns are judged on wall time and an injected overrun really takes it.
    Headless (the default), and on any station with simulated time, paced or not, overruns
    are judged on the injector's simulated loop clock: the machine's load never changes a
    simulated session's faults (a paced twin that runs late falls behind wall time instead,
    see :class:`gaitway.session.clock.LoopClock`).
    ``wait_for_ack``: after the safe state, wait for an acknowledgement however long (a live
    session; the operator may end it instead). Headless sessions wait only while a scheduled
    acknowledgement is still to come, else end once the safe state has held for HOLD_S.
    """

    def __init__(self, station: Station, injections: Sequence[str] = (),
                 limits: SafetyLimits | None = None, *, paced: bool = False,
                 acknowledgements: Sequence[str] = (), wait_for_ack: bool = False,
                 watch_overruns: bool = True, sink: EventSink | None = None) -> None:
        self.sink = sink
        self.paced = paced
        self.wait_for_ack = wait_for_ack
        self.injector = FaultInjector(station, self.validate_injections(injections), paced=paced)
        self._scheduled = sorted(self.validate_acknowledgements(acknowledgements),
                                 key=lambda a: a.at_s)
        if limits is None:
            limits = SafetyLimits.for_patient(station.body_mass_kg)
        wall = paced and station.time_base is TimeBase.REAL
        clock = time.perf_counter if wall else self.injector.loop_clock
        self.supervisor = SafetySupervisor(limits, watch_overruns=watch_overruns,
                                           overrun_clock=clock,
                                           quantised=station.quantised_channels)
        self.acks: list[AckResult] = []
        self._lock = threading.Lock()
        self._braked = False
        self._resume: AckResult | None = None
        self._noted: set[FaultKind] = set()  # injections recorded as events

    @staticmethod
    def validate_injections(texts: Sequence[str], session_s: float | None = None
                            ) -> list[Injection]:
        """The parsed injections; refused: a fault twice, or one after the session's end."""
        out = [parse_injection(t) for t in texts]
        kinds = [i.kind for i in out]
        if len(set(kinds)) != len(kinds):
            raise UserError("each fault can be injected only once per session")
        late = [i for i in out if session_s is not None and i.at_s > session_s]
        if late:
            raise UserError(f"--inject {late[0].kind.value}@{late[0].at_s:g}: the session lasts "
                            f"{session_s:g} s; inject within it")
        return out

    @staticmethod
    def validate_acknowledgements(texts: Sequence[str]) -> list[ScheduledAck]:
        return [parse_acknowledgement(t) for t in texts]

    @property
    def station(self) -> FaultInjector:
        return self.injector

    # -- per tick (the loop's thread) ---------------------------------------------------------
    def judge(self, sample: Sample, proposed: Command) -> Command:
        """The command the drives receive this tick."""
        t = sample.time
        with self._lock:
            injected = self.injector.injected_at
            if len(injected) != len(self._noted):  # recorded before what it causes
                for kind, at in injected.items():
                    if kind not in self._noted:
                        self._noted.add(kind)
                        self.supervisor.note(t, "fault_injected", fault=str(kind),
                                             at_s=round(at, 4))
            cmd = self.supervisor.check(sample, self.injector.tamper(proposed, t))
            if not self._braked and self.supervisor.state is _IMMEDIATE_STOP:
                self.injector.engage_belt_brake()  # through the Station interface
                self.injector.drives_torque_off()  # a CiA 402 drive: disable voltage
                self._braked = True
                self.supervisor.note(t, "belt_brake_engaged")
        return cmd

    def take_resume(self, time_s: float) -> AckResult | None:
        """At the top of a tick, before the controller runs: give the acknowledgements
        scheduled by now, and carry out an accepted one (clear the fault, release the brake).
        Returns it, once, so that the loop restarts its controller before the supervisor
        passes a proposal again; None otherwise."""
        while self._scheduled and time_s >= self._scheduled[0].at_s:
            self.acknowledge(self._scheduled.pop(0).by, time_s)
        if self._resume is None:  # nearly every tick: no lock taken (an acknowledgement
            return None  # from another thread in between is taken at the next tick)
        with self._lock:
            r, self._resume = self._resume, None
            if r is None:
                return None
            sup = self.supervisor
            why = sup.ack_refusal()  # what changed since it was accepted
            if why is not None:
                sup.note(time_s, "acknowledgement_refused", by=r.by, reason=why,
                         faults=list(r.faults))
                return None
            sup.acknowledge(r.by, r.time_s)
            if self._braked:
                self.injector.drives_enable()
                self.injector.release_belt_brake()
                self._braked = False
        return r

    @property
    def pending(self) -> bool:
        return self.supervisor.has_events

    @property
    def latched(self) -> bool:
        return self.supervisor.latched

    def record(self, writer: EventSink | None = None) -> None:
        """Hand new safety events to the recording (``writer`` or the sink given at start)."""
        out = writer or self.sink
        with self._lock:
            events = self.supervisor.drain_events()
        if out is not None:
            for t, kind, details in events:
                out.event(t, kind, "safety", **details)

    def session_over(self, time_s: float) -> bool:
        sup = self.supervisor
        time_s = max(time_s, sup.now_s)
        if not sup.latched:
            return False
        if sup.safe_state_at_s is not None:
            if self.wait_for_ack or self._scheduled:
                return False  # holding the safe state for an acknowledgement
            return time_s >= sup.safe_state_at_s + HOLD_S
        return time_s - sup.stop_started_at_s > TIMEOUT_S

    # -- acknowledgement (any thread) ---------------------------------------------------------
    def acknowledge(self, by: str, time_s: float | None = None) -> AckResult:
        """Acknowledge the stop as ``by`` at session time ``time_s`` (None: now).

        Accepted: at the loop's next tick the fault is cleared, the brake released, and the
        session resumes from a safe start (legs guided to standing at full guidance, then the
        belt ramped up; guidance and torque limit ramped back). Refused (no stop, not yet
        safe, cause still present, a fault that must not be resumed): nothing changes.
        Both are recorded. A blank name is a UserError.
        """
        who = by.strip()
        if not who:
            raise UserError("an acknowledgement must name who gives it")
        with self._lock:
            sup = self.supervisor
            t = sup.now_s if time_s is None else float(time_s)
            faults = tuple(sorted(str(r.kind) for r in sup.open_faults))
            why = sup.ack_refusal()
            if why is None and self._resume is not None:
                why = "already acknowledged; the session is resuming"
            if why is None:  # the loop clears the fault at its next tick (take_resume)
                result = AckResult(True, who, t, "", faults)
                self._resume = result
            else:
                result = AckResult(False, who, t, why, faults)
                sup.note(t, "acknowledgement_refused", by=who, reason=why,
                         faults=list(faults))
            self.acks.append(result)
        return result

    # -- results ------------------------------------------------------------------------------
    def primary(self) -> FaultRecord | None:
        """The first fault of the stop the session is in (None: not stopped)."""
        for r in self.supervisor.records:
            if r.reaction >= Reaction.CONTROLLED_STOP and r.acknowledged_by is None:
                return r
        return None

    def ended_by(self) -> str:
        p = self.primary()
        if p is None:
            return "completed"
        safe = self.supervisor.safe_state_at_s
        if safe is None:
            return f"fault: {p.kind} ({p.reaction.label}); safe state NOT reached"
        return f"fault: {p.kind} ({p.reaction.label}); safe state reached at {safe:.3f} s"

    def faults(self) -> list[dict[str, Any]]:
        inj = self.injector.injected_at
        out = []
        for r in self.supervisor.records:
            at = inj.get(r.kind)
            if at is not None and r.injected_at_s is None and r.detected_at_s >= at:
                r.injected_at_s = at
            out.append(r.to_summary())
        return out

    def summary(self) -> dict[str, Any]:
        """What summary.json says about safety."""
        sup = self.supervisor
        stopped = self.primary() is not None
        return {
            "faults": self.faults(),
            "injected": {str(k): round(t, 4) for k, t in self.injector.injected_at.items()},
            "safety": {
                "ended_by_fault": stopped,
                "safe_state_reached": (sup.safe_state_at_s is not None) if stopped else None,
                "acknowledgements": [a.to_summary() for a in self.acks],
                "resumed": sum(1 for a in self.acks if a.accepted),
                "missed_ticks": sup.missed_ticks_total,
                "loop_overruns": sup.overruns_total,
                "warnings": sup.warnings_total,
                "limited_ticks": sup.limited_ticks,
                "clipped_torque_ticks": sup.clipped_ticks,
            },
        }
