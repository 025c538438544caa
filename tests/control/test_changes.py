"""The validated change channel: validation, timing, and who asked."""

from __future__ import annotations

import math
from typing import Any

import pytest

from gaitway.control.changes import ChangeChannel, ChangeKind, ChangeRequest
from gaitway.errors import UserError
from gaitway.gait.reference import JointRom, RomSettings


class _Sink:
    def __init__(self) -> None:
        self.events: list[tuple[float, str, str, dict[str, Any]]] = []

    def __call__(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        self.events.append((time_s, kind, source, details))


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (ChangeKind.GUIDANCE, 1.5, "guidance must be within 0-100 %"),
        (ChangeKind.GUIDANCE, math.nan, "finite number"),
        (ChangeKind.BWS, 0.9, "body-weight support"),
        (ChangeKind.SPEED, 2.0, "0.5-3.2 km/h"),
        (ChangeKind.CONTROLLER, "fly", "controller must be one of"),
        (ChangeKind.ROM, 1.0, "RomSettings"),
        (ChangeKind.SUPPORT_BOUNDS, (0.8, 0.2), "support bounds"),
        (ChangeKind.SELF_PACED, "yes", "true or false"),
        (ChangeKind.TUNNEL_WIDTH, 1.0, "tunnel width"),
    ],
)
def test_bad_changes_are_refused_with_a_reason(kind: ChangeKind, value: Any, message: str) -> None:
    sink = _Sink()
    ch = ChangeChannel(sink)
    with pytest.raises(UserError, match=message):
        ch.submit(ChangeRequest(kind, value, "therapist:1"), 0.0)
    assert ch.pending == 0
    assert not sink.events


def test_anonymous_change_is_refused() -> None:
    with pytest.raises(UserError, match="who asked"):
        ChangeChannel().submit(ChangeRequest(ChangeKind.GUIDANCE, 0.5, ""), 0.0)


def test_ramped_changes_are_due_at_once_stride_changes_at_a_stride() -> None:
    sink = _Sink()
    ch = ChangeChannel(sink)
    rom = RomSettings(hip=JointRom(scale=0.8))
    ch.submit(ChangeRequest(ChangeKind.CONTROLLER, "path", "therapist:1", "try tunnel"), 1.0)
    ch.submit(ChangeRequest(ChangeKind.GUIDANCE, 0.6, "therapist:1"), 1.1)
    ch.submit(ChangeRequest(ChangeKind.ROM, rom, "therapist:2"), 1.2)
    due = ch.take_due(at_stride=False)
    assert [r.kind for r, _ in due] == [ChangeKind.GUIDANCE]
    assert ch.pending == 2
    due = ch.take_due(at_stride=True)
    assert [r.kind for r, _ in due] == [ChangeKind.CONTROLLER, ChangeKind.ROM]
    ch.mark_applied(due[1][0], 2.0)
    kinds = [(e[1], e[2]) for e in sink.events]
    assert kinds[:3] == [("change_requested", "therapist:1")] * 2 + [
        ("change_requested", "therapist:2")
    ]
    assert sink.events[0][3]["reason"] == "try tunnel"
    assert sink.events[-1][1] == "change_applied"
    assert sink.events[-1][3]["value"]["hip"]["scale"] == 0.8


def test_prepare_runs_at_submission_and_its_result_reaches_the_loop() -> None:
    prepared: list[ChangeKind] = []

    def prepare(req: ChangeRequest) -> str:
        prepared.append(req.kind)
        return f"tables for {req.kind.value}"

    ch = ChangeChannel(prepare=prepare)
    ch.submit(ChangeRequest(ChangeKind.ROM, RomSettings(), "therapist:1"), 0.0)
    assert prepared == [ChangeKind.ROM]
    (_req, payload), = ch.take_due(at_stride=True)
    assert payload == "tables for rom"
