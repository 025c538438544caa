"""Session state machine: the forward path, pause/resume, stop from anywhere, events."""

from __future__ import annotations

from typing import Any

import pytest

from gaitway.errors import UserError
from gaitway.session.state import SessionState, SessionStateMachine


class _Sink:
    def __init__(self) -> None:
        self.events: list[tuple[float, str, str, dict[str, Any]]] = []

    def __call__(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        self.events.append((time_s, kind, source, details))


def test_forward_path_records_every_transition() -> None:
    sink = _Sink()
    sm = SessionStateMachine(sink)
    for t in range(5):
        sm.advance(float(t))
    assert sm.state is SessionState.FINISHED
    assert not sm.stopped
    news = [e[3]["new"] for e in sink.events]
    assert news == ["calibration", "warm_up", "training", "cool_down", "finished"]
    assert all(e[1] == "state" for e in sink.events)
    with pytest.raises(UserError, match="cannot advance from finished"):
        sm.advance(9.0)


def test_pause_and_resume_return_to_the_paused_phase() -> None:
    sink = _Sink()
    sm = SessionStateMachine(sink)
    sm.advance(0.0)
    sm.advance(1.0)
    sm.advance(2.0)  # training
    sm.pause(3.0, source="therapist:7", reason="shoe lace")
    assert sm.state is SessionState.PAUSED
    assert not sm.walking
    with pytest.raises(UserError, match="resume first"):
        sm.advance(3.5)
    sm.resume(4.0, source="therapist:7")
    assert sm.state is SessionState.TRAINING
    assert sm.walking
    assert sink.events[-2][2] == "therapist:7"
    assert sink.events[-2][3]["reason"] == "shoe lace"


@pytest.mark.parametrize("steps", [0, 1, 3, 4])
def test_stop_from_any_state(steps: int) -> None:
    sink = _Sink()
    sm = SessionStateMachine(sink)
    for t in range(steps):
        sm.advance(float(t))
    if steps == 3:
        sm.pause(3.0, source="patient")
    sm.stop(5.0, source="patient", reason="stop button")
    assert sm.finished
    assert sm.stopped
    assert sink.events[-1][3]["reason"] == "stopped: stop button"
    with pytest.raises(UserError, match="already finished"):
        sm.stop(6.0, source="patient", reason="again")


def test_pause_not_allowed_in_setup() -> None:
    sm = SessionStateMachine()
    with pytest.raises(UserError, match="cannot pause in setup"):
        sm.pause(0.0, source="therapist")
    with pytest.raises(UserError, match="not paused"):
        sm.resume(0.0, source="therapist")
