"""Safety in a session: the supervisor and the fault injector wired for the session runner.

Kept here so the runner needs only a few lines: wrap the station, judge each proposed command,
hand safety events to the recording, end the session once a fault has reached its safe state.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Final, Protocol

from gaitway.errors import UserError
from gaitway.safety.faults import FaultRecord, Reaction
from gaitway.safety.inject import FaultInjector, Injection, parse_injection
from gaitway.safety.limits import SafetyLimits, TimingLimits
from gaitway.safety.supervisor import SafetySupervisor
from gaitway.station.interface import Command, Sample, Station

#: once safe, the session stays in the safe state this long (recorded) before it ends
HOLD_S: Final[float] = 0.3
#: a latched fault that has not reached its safe state by then ends the session anyway
TIMEOUT_S: Final[float] = 8.0
#: a headless session has no wall-clock deadline: there the bound applies to the loop
#: thread's own CPU time per tick (a descheduled process is no overrun), and catches a
#: computation that stalls the loop; a paced live loop uses wall time and TimingLimits' 5 ms
HEADLESS_OVERRUN_BOUND_S: Final[float] = 0.02


class EventSink(Protocol):
    def event(self, time_s: float, kind: str, source: str, **details: Any) -> None: ...


class SessionSafety:
    """The supervisor and the injector of one session."""

    def __init__(self, station: Station, injections: Sequence[str] = (),
                 limits: SafetyLimits | None = None, *, watch_overruns: bool = True,
                 sink: EventSink | None = None) -> None:
        self.sink = sink
        self.injector = FaultInjector(station, self.validate_injections(injections))
        if limits is None:
            base = SafetyLimits.for_patient(station.body_mass_kg)
            limits = SafetyLimits(patient=base.patient,
                                  timing=TimingLimits(overrun_bound_s=HEADLESS_OVERRUN_BOUND_S))
        self.supervisor = SafetySupervisor(limits, watch_overruns=watch_overruns,
                                           overrun_clock=time.thread_time)

    @staticmethod
    def validate_injections(texts: Sequence[str]) -> list[Injection]:
        out = [parse_injection(t) for t in texts]
        kinds = [i.kind for i in out]
        if len(set(kinds)) != len(kinds):
            raise UserError("each fault can be injected only once per session")
        return out

    @property
    def station(self) -> FaultInjector:
        return self.injector

    def judge(self, sample: Sample, proposed: Command) -> Command:
        """The command the drives receive this tick."""
        return self.supervisor.check(sample, self.injector.tamper(proposed, sample.time))

    @property
    def pending(self) -> bool:
        return self.supervisor.has_events

    @property
    def latched(self) -> bool:
        return self.supervisor.latched

    def record(self, writer: EventSink | None = None) -> None:
        """Hand new safety events to the recording (``writer`` or the sink given at start)."""
        out = writer or self.sink
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
            return time_s >= sup.safe_state_at_s + HOLD_S
        return time_s - sup.stop_started_at_s > TIMEOUT_S

    def primary(self) -> FaultRecord | None:
        """The first fault that stopped the session."""
        for r in self.supervisor.records:
            if r.reaction >= Reaction.CONTROLLED_STOP:
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
                "missed_ticks": sup.missed_ticks_total,
                "loop_overruns": sup.overruns_total,
                "warnings": sup.warnings_total,
                "limited_ticks": sup.limited_ticks,
            },
        }
