"""The session loop: station, control stack, state machine and clock, tick by tick.

One function, :func:`run_loop`, serves live sessions (the clock paces ticks at 1 kHz against
wall time) and headless ones (the clock runs free). The session walks through its phases
on a :class:`PhasePlan`: calibration standing still, warm-up, training and cool-down walking,
then finished. The patient's stop button, the emergency stop and SIGINT/SIGTERM end it from
any state through the state machine, and the station's own ``stop()`` (by the caller's
``with station:``) leaves it safe. Per tick the loop hands the Sample, the control values and
the Command to ``on_tick`` (the recorder's append); it does no I/O itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from gaitway.control.bws import BwsController
from gaitway.control.changes import ChangeKind, ChangeRequest
from gaitway.control.stack import RESTART_GUIDANCE_RAMP_S, ControlStack
from gaitway.errors import UserError
from gaitway.recording.folding import SIMULATED_TIME_BEHIND
from gaitway.safety.session import SessionSafety
from gaitway.session.clock import JitterStats, LoopClock
from gaitway.session.state import SessionState, SessionStateMachine
from gaitway.station.interface import Command, Sample, Station, TimeBase

TickSink = Callable[[Sample, list[float], Command], None]
#: ``sink(time_s, kind, source, **details)``: the recording's (and console's) event log
EventSink = Callable[..., None]
#: the event a simulated station's loop records each time it falls behind wall time (repeats
#: are folded into one entry with a count, see gaitway.recording.folding)
BEHIND_EVENT: Final[str] = SIMULATED_TIME_BEHIND
#: after an acknowledged stop, guidance restarts at 100 % and ramps back to its set level
RESUME_GUIDANCE_RAMP_S: Final[float] = RESTART_GUIDANCE_RAMP_S
#: ... and the legs are first guided to standing for this long before the belt starts again
RESUME_STAND_S: Final[float] = 1.0


@dataclass(frozen=True, slots=True)
class PhasePlan:
    """How long each phase of a session lasts (seconds)."""

    calibration_s: float = 1.0
    warm_up_s: float = 20.0
    training_s: float = 60.0
    cool_down_s: float = 10.0

    def __post_init__(self) -> None:
        for name in ("calibration_s", "warm_up_s", "training_s", "cool_down_s"):
            v = getattr(self, name)
            if not 0.0 <= v <= 4 * 3600:
                raise UserError(f"{name.removesuffix('_s')} must last 0-4 h, got {v} s")

    @classmethod
    def for_minutes(cls, minutes: float) -> PhasePlan:
        """A session of ``minutes`` in total: 1 s calibration (less in very short sessions),
        10 % warm-up and cool-down (at most 2 min each), the rest training."""
        if not (math.isfinite(minutes) and 0.0 < minutes <= 240.0):
            raise UserError(f"session length must be above 0 and at most 240 min, got {minutes}")
        total = minutes * 60.0
        cal = min(1.0, 0.1 * total)
        edge = min(0.1 * total, 120.0)
        return cls(cal, edge, max(total - cal - 2 * edge, 0.0), edge)

    @property
    def total_s(self) -> float:
        return self.calibration_s + self.warm_up_s + self.training_s + self.cool_down_s

    def ends(self) -> dict[SessionState, float]:
        """Session time at which each phase ends."""
        t1 = self.calibration_s
        t2 = t1 + self.warm_up_s
        t3 = t2 + self.training_s
        return {
            SessionState.CALIBRATION: t1,
            SessionState.WARM_UP: t2,
            SessionState.TRAINING: t3,
            SessionState.COOL_DOWN: t3 + self.cool_down_s,
        }


@dataclass(slots=True)
class LoopResult:
    """What a finished loop reports."""

    ticks: int
    session_s: float
    wall_s: float
    stopped: bool
    stop_reason: str
    jitter: JitterStats | None
    training_start_s: float
    summary: dict[str, Any] = field(default_factory=dict)
    #: session time spent paused: the phase plan's clock stood still meanwhile
    paused_s: float = 0.0

    @property
    def realtime_factor(self) -> float:
        return self.session_s / self.wall_s if self.wall_s > 0 else float("inf")


def run_loop(
    station: Station,
    stack: ControlStack,
    plan: PhasePlan,
    *,
    clock: LoopClock | None = None,
    state: SessionStateMachine | None = None,
    on_tick: TickSink | None = None,
    handle_signals: bool = False,
    first_sample: Sample | None = None,
    on_second: Callable[[float], None] | None = None,
    safety: SessionSafety | None = None,
    on_event: EventSink | None = None,
) -> LoopResult:
    """Run a session on a started station (``with station:`` around this call).

    ``first_sample``: what ``station.start()`` returned; without it the loop asks the station
    for one tick at rest (zero torque, harness and belt as commanded by a default Command).
    ``on_second`` is called with the session time once per 1000 ticks (progress, draining
    station events): the only place for slower work, and still no blocking I/O.
    ``safety``: the supervisor judges every command and owns the stop buttons; a fault pauses
    the session in its safe state, which ends it once held, unless an acknowledgement resumes
    it from a safe start (see gaitway.safety.session and :func:`_safe_restart`).
    ``on_event``: where the loop reports that a paced simulated station fell behind wall
    time (``BEHIND_EVENT``, with the time given up so far); the station's time base decides
    what the clock does with a late tick (see :mod:`gaitway.session.clock`).
    """
    clock = clock or LoopClock(paced=False)
    clock.time_base = station.time_base  # the station says what a late tick means
    state = state or SessionStateMachine()
    if handle_signals:
        clock.install_signal_handlers()
    ends = plan.ends()
    dt = station.dt
    stop_reason = ""
    sample = first_sample if first_sample is not None else station.step(Command())
    state.advance(sample.time, source="session", reason="station ready")  # -> calibration
    stack.walking = False
    training_start = plan.calibration_s + plan.warm_up_s
    paused = 0.0  # the phase plan runs on session time minus time paused
    wall0 = time.perf_counter()
    steps = 0
    held_since = -1.0  # session time the safety stop paused the session (-1: not paused)
    back_to: float | None = None  # guidance level to ramp back to after a safe restart
    walk_at = math.inf  # session time at which walking restarts after a resumed stop
    # the current state's end on the plan, looked up when the state or the plan changes (an
    # enum member hashed in a dict costs ~0.5 us on Python 3.11, every tick)
    phase: SessionState | None = None
    phase_ends: dict[SessionState, float] = {}
    phase_end = math.inf
    try:
        while True:
            clock.tick()
            t = sample.time
            if clock.slipped and on_event is not None and clock.time_base is _SIMULATED:
                on_event(t, BEHIND_EVENT, "clock", behind_s=round(clock.behind_s, 3),
                         slip_s=round(clock.slipped, 3))
            if safety is not None:
                if held_since < 0.0 and safety.latched:
                    held_since = t
                    stack.walking = False  # belt and reference to rest behind the stop
                    if state.state in _PAUSABLE:
                        state.pause(t, source="safety", reason="safety stop")
                ack = safety.take_resume(t)
                if ack is not None:
                    if state.state is SessionState.PAUSED:
                        state.resume(t, source="safety", reason=f"acknowledged by {ack.by}")
                    ends = {k: v + t - max(held_since, 0.0) for k, v in ends.items()}
                    held_since = -1.0
                    walk_at = t + RESUME_STAND_S
                    back_to = _safe_restart(stack, t)
                elif t >= walk_at:
                    stack.walking = state.walking
                    walk_at = math.inf
                if back_to is not None and ack is None:
                    stack.changes.submit(ChangeRequest(
                        ChangeKind.GUIDANCE, back_to, "safety:resume", "back to the set level",
                        ramp_s=RESUME_GUIDANCE_RAMP_S), t)
                    back_to = None
            if clock.stop_requested:
                stop_reason = "operator signal"
            elif safety is not None:
                pass  # the supervisor answers the stop buttons with its stop sequences
            elif sample.estop:
                stop_reason = "emergency stop pressed"
            elif sample.stop_button:
                stop_reason = "patient stop button"
            if stop_reason:
                state.stop(t, source="session", reason=stop_reason)
                break
            st = state.state
            if st is not phase or ends is not phase_ends:  # the state or its plan moved
                phase, phase_ends = st, ends
                phase_end = ends.get(st, math.inf)
            if st is _PAUSED:
                if safety is None or not safety.latched:  # a safety hold is not a pause
                    paused += dt
            elif t - paused >= phase_end:
                state.advance(t, source="session", reason=f"{st.value} time elapsed")
                if state.finished:
                    break
                stack.walking = state.walking
                if state.state is SessionState.TRAINING:
                    training_start += paused
            command = stack.step(sample)
            if safety is not None:
                command = safety.judge(sample, command)  # safety has the last word
            if on_tick is not None:
                on_tick(sample, stack.control_values, command)
            sample = station.step(command)
            steps += 1
            if safety is not None and (safety.pending or safety.latched):
                safety.record()
                if safety.session_over(sample.time):
                    stop_reason = safety.ended_by()
                    state.stop(sample.time, source="safety", reason=stop_reason)
                    break
            if on_second is not None and steps % 1000 == 0:
                on_second(sample.time)
    finally:
        if handle_signals:
            clock.restore_signal_handlers()
    wall = time.perf_counter() - wall0
    return LoopResult(
        ticks=steps,
        session_s=steps * dt,
        wall_s=wall,
        stopped=state.stopped,
        stop_reason=stop_reason,
        jitter=clock.stats() if clock.paced else None,
        training_start_s=training_start,
        summary=stack.summary(skip_s=training_start),
        paused_s=paused,
    )


_SIMULATED = TimeBase.SIMULATED
_PAUSED = SessionState.PAUSED
_PAUSABLE = frozenset({SessionState.CALIBRATION, SessionState.WARM_UP, SessionState.TRAINING,
                       SessionState.COOL_DOWN})


def _safe_restart(stack: ControlStack, t: float) -> float | None:
    """Restart after an acknowledged stop as a session starts: full guidance now (ramped back
    to the set level from the next tick), belt from rest at its normal ramp (the stack took it
    to rest during the stop), and a fresh body-weight-support loop: the old one's integrator
    wound up against the harness the stop held, and would drop the patient on resuming.
    Returns the level to ramp back to (None: not guidance control)."""
    stack.stand_here()  # hold the legs where the stop left them; walk on from there
    old = stack.bws
    stack.bws = BwsController(body_mass_kg=old.body_mass_kg, fraction=old.fraction, dt=stack.dt)
    stack.bws.set_fraction(old.target_fraction)
    if stack.controller_name != "guidance":
        return None
    level = stack.settings.guidance
    for _, req in stack.changes.applied:
        if req.kind is ChangeKind.GUIDANCE and req.requested_by != "safety:resume":
            level = float(req.value)
    stack.changes.submit(ChangeRequest(ChangeKind.GUIDANCE, 1.0, "safety:resume",
                                       "safe start at full guidance", ramp_s=0.0), t)
    return level if level < 1.0 else None
