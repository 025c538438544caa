"""Operator pauses scheduled for a headless session (``gaitway simulate --pause AT:SECONDS``).

A console operator pauses and resumes by hand; a headless session (a test, the envelope
harness) schedules the same actions so that pausing and resuming is exercised the way the
console does it: the state machine pauses, the belt ramps to rest and the legs stand where
they are, and on resume walking fades in again from that posture.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from gaitway.control.stack import ControlStack
from gaitway.errors import UserError
from gaitway.session.state import PAUSABLE, EventSink, SessionState, SessionStateMachine


@dataclass(frozen=True, slots=True)
class ScheduledPause:
    """Pause at session time ``at_s`` for ``for_s`` seconds, then resume."""

    at_s: float
    for_s: float

    @property
    def resume_at_s(self) -> float:
        return self.at_s + self.for_s


def parse_pause(text: str) -> ScheduledPause:
    """``AT:SECONDS`` as given on the command line, e.g. ``20:5`` (pause at 20 s for 5 s)."""
    at_txt, sep, for_txt = text.partition(":")
    try:
        if not sep:
            raise ValueError
        at, dur = float(at_txt), float(for_txt)
    except ValueError:
        raise UserError(f"--pause wants AT:SECONDS (e.g. 20:5, pause at 20 s for 5 s), "
                        f"got {text!r}") from None
    if not (math.isfinite(at) and math.isfinite(dur) and at > 0.0 and 0.0 < dur <= 3600.0):
        raise UserError(f"--pause {text!r}: the time must be after 0 s and the pause last "
                        "0-3600 s")
    return ScheduledPause(at, dur)


def parse_pauses(texts: Sequence[str]) -> list[ScheduledPause]:
    """Every ``--pause``, in time order; overlapping pauses are refused."""
    out = sorted((parse_pause(t) for t in texts), key=lambda p: p.at_s)
    for a, b in itertools.pairwise(out):
        if b.at_s <= a.resume_at_s:
            raise UserError(f"--pause {b.at_s:g}:{b.for_s:g} starts before the pause at "
                            f"{a.at_s:g} s has ended; give pauses that do not overlap")
    return out


class PauseDriver:
    """Carries out scheduled pauses on a running session, as the console's pause and resume
    buttons do (state machine, ``stack.walking``, a recorded event). ``due_at_s`` is the next
    time it has something to do, so the loop's per-tick test is one comparison."""

    def __init__(self, pauses: Sequence[ScheduledPause], machine: SessionStateMachine,
                 stack: ControlStack, sink: EventSink, *, by: str = "operator:scheduled") -> None:
        self._todo: list[tuple[float, bool]] = []
        for p in pauses:
            self._todo += [(p.at_s, True), (p.resume_at_s, False)]
        self._machine = machine
        self._stack = stack
        self._sink = sink
        self._by = by
        self._mine = False  # the session is paused by this driver
        self.due_at_s = self._todo[0][0] if self._todo else math.inf

    def step(self, t: float, *, safety_latched: bool = False) -> None:
        """Do what is due at session time ``t``."""
        m = self._machine
        while self._todo and self._todo[0][0] <= t:
            _, pause = self._todo.pop(0)
            if pause:
                if m.state in PAUSABLE and not safety_latched:
                    m.pause(t, source=self._by, reason="scheduled pause")
                    self._stack.walking = False
                    self._mine = True
                    self._sink(t, "session_paused", self._by)
                else:
                    self._sink(t, "action_refused", self._by, action="pause",
                               reason=f"the session is {m.state.value}")
            elif self._mine and m.state is SessionState.PAUSED and not safety_latched:
                m.resume(t, source=self._by, reason="scheduled resume")
                self._stack.walking = m.walking
                if m.walking:
                    self._stack.resume_at_full_guidance(t)
                self._mine = False
                self._sink(t, "session_resumed", self._by)
            elif self._mine:
                self._mine = False
                self._sink(t, "action_refused", self._by, action="resume",
                           reason="a safety stop holds the session; acknowledge it instead")
        self.due_at_s = self._todo[0][0] if self._todo else math.inf
