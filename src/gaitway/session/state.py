"""The session state machine: setup, calibration, warm-up, training, cool-down, finished.

Pause and resume work from every active phase (resume returns to the phase that was paused);
stop works from any state that is not finished and ends the session. Every transition is
handed to an event sink (the recorder's ``writer.event``) with the time, who asked and why.
An impossible transition raises a UserError that names the allowed ones.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gaitway.errors import UserError

EventSink = Callable[..., Any]
"""Called as ``sink(time_s, kind, source, **details)`` (the recording writer's ``event``)."""


class SessionState(enum.Enum):
    SETUP = "setup"
    CALIBRATION = "calibration"
    WARM_UP = "warm_up"
    TRAINING = "training"
    COOL_DOWN = "cool_down"
    PAUSED = "paused"
    FINISHED = "finished"


_S = SessionState
_FORWARD: dict[SessionState, SessionState] = {
    _S.SETUP: _S.CALIBRATION,
    _S.CALIBRATION: _S.WARM_UP,
    _S.WARM_UP: _S.TRAINING,
    _S.TRAINING: _S.COOL_DOWN,
    _S.COOL_DOWN: _S.FINISHED,
}
#: states an operator (or a safety stop) may pause
PAUSABLE = frozenset({_S.CALIBRATION, _S.WARM_UP, _S.TRAINING, _S.COOL_DOWN})
_PAUSABLE = PAUSABLE
#: states in which the robot walks the patient
WALKING = frozenset({_S.WARM_UP, _S.TRAINING, _S.COOL_DOWN})


@dataclass(frozen=True, slots=True)
class Transition:
    time_s: float
    old: SessionState
    new: SessionState
    source: str
    reason: str


class SessionStateMachine:
    """Current state, allowed moves, and a record of every transition."""

    def __init__(self, sink: EventSink | None = None) -> None:
        self.state = SessionState.SETUP
        self._paused_from: SessionState | None = None
        self._sink = sink
        self.transitions: list[Transition] = []
        self.stopped = False

    def _go(self, new: SessionState, time_s: float, source: str, reason: str) -> None:
        old = self.state
        self.state = new
        tr = Transition(time_s, old, new, source, reason)
        self.transitions.append(tr)
        if self._sink is not None:
            self._sink(
                time_s, "state", source, old=old.value, new=new.value, reason=reason
            )

    def advance(self, time_s: float, *, source: str = "session", reason: str = "") -> None:
        """Move to the next phase (setup -> calibration -> ... -> finished)."""
        nxt = _FORWARD.get(self.state)
        if nxt is None:
            raise UserError(
                f"cannot advance from {self.state.value}"
                + ("; resume first" if self.state is _S.PAUSED else "")
            )
        self._go(nxt, time_s, source, reason or f"{self.state.value} done")

    def pause(self, time_s: float, *, source: str, reason: str = "") -> None:
        if self.state not in _PAUSABLE:
            raise UserError(
                f"cannot pause in {self.state.value}; pause works in "
                + ", ".join(s.value for s in sorted(_PAUSABLE, key=lambda s: s.value))
            )
        self._paused_from = self.state
        self._go(_S.PAUSED, time_s, source, reason or "paused")

    def resume(self, time_s: float, *, source: str, reason: str = "") -> None:
        if self.state is not _S.PAUSED or self._paused_from is None:
            raise UserError(f"cannot resume: the session is {self.state.value}, not paused")
        back = self._paused_from
        self._paused_from = None
        self._go(back, time_s, source, reason or "resumed")

    def stop(self, time_s: float, *, source: str, reason: str) -> None:
        """End the session from any state that has not finished."""
        if self.state is _S.FINISHED:
            raise UserError("cannot stop: the session has already finished")
        self.stopped = True
        self._paused_from = None
        self._go(_S.FINISHED, time_s, source, f"stopped: {reason}")

    @property
    def walking(self) -> bool:
        return self.state in WALKING

    @property
    def finished(self) -> bool:
        return self.state is _S.FINISHED
