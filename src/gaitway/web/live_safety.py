"""The safety supervisor for a console session: wired as the session runner wires it, but paced.

A console session runs the loop paced at 1 kHz against wall time. What a late tick means
depends on the station (``Station.time_base``): on a station with real time (hardware) it
is an overrun judged on the wall clock with the device's timing limits, and a stop; on the
simulated twin nothing moves between ticks, so overruns are judged on the simulated loop
clock, as headless, and a busy host only makes the session fall behind wall time (shown,
see :mod:`gaitway.session.clock`). After a fault the session does not end: it holds the
safe state (the supervisor keeps sending its stop command) until a therapist acknowledges
the fault and resumes, or stops the session. Only a stop that never reaches its safe state
ends the session by itself (after ``TIMEOUT_S``).

The overrun bound defaults to the device's (``TimingLimits``: 3 ticks in a row later than
5 ms); it can be widened per server (``overrun_bound_s``); the overrun check itself is never
switched off.
"""

from __future__ import annotations

from dataclasses import replace

from gaitway.safety.limits import SafetyLimits
from gaitway.safety.session import TIMEOUT_S, EventSink, SessionSafety
from gaitway.station.interface import Station


class LiveSafety(SessionSafety):
    """Supervisor + fault injector of one console session (no injected faults)."""

    def __init__(self, station: Station, sink: EventSink, *,
                 overrun_bound_s: float | None = None) -> None:
        limits = SafetyLimits.for_patient(station.body_mass_kg)
        if overrun_bound_s is not None:
            limits = replace(limits, timing=replace(limits.timing,
                                                    overrun_bound_s=overrun_bound_s))
        # paced: overruns judged on wall time on real time (simulated loop clock on the twin);
        # wait_for_ack: hold the safe state until a therapist's acknowledgement, after which
        # the loop resumes from its safe start
        super().__init__(station, (), limits, paced=True, wait_for_ack=True, sink=sink)

    def acknowledge_now(self, by: str, time_s: float) -> str:
        """Acknowledge as ``by``; returns why it was refused ("" when accepted)."""
        result = self.acknowledge(by, time_s)
        return "" if result.accepted else str(result.reason)

    def session_over(self, time_s: float) -> bool:
        """Hold the safe state until acknowledged or stopped; end only a stop that fails."""
        sup = self.supervisor
        if not sup.latched or sup.safe_state_at_s is not None:
            return False
        return max(time_s, sup.now_s) - sup.stop_started_at_s > TIMEOUT_S
