"""The validated change channel: validation, timing, and who asked."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.changes import LARGE_STEP, ChangeChannel, ChangeKind, ChangeRequest
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


def _stack_at_guidance(level: float) -> Any:
    from gaitway.control.settings import ControlSettings
    from gaitway.control.stack import ControlStack

    return ControlStack(ControlSettings(guidance=level), height_m=1.75, body_mass_kg=70.0)


def test_a_large_change_is_judged_against_the_set_value_not_the_ramping_one() -> None:
    stack = _stack_at_guidance(1.0)
    ch = stack.changes
    # the session hands guidance down from 100 % to 40 % over 20 s (as a warm-up does)
    ch.submit(ChangeRequest(ChangeKind.GUIDANCE, 0.4, "session:warm-up", ramp_s=20.0), 0.0)
    stack._apply_changes(at_stride=False)
    for _ in range(100):
        stack._ramp_guidance()
    assert stack.guidance_level > 0.9  # still near 100 % while ramping
    # 45 % is 5 points from what is set (40 %), although 50 points from the ramping level
    assert ch.large_change(ChangeRequest(ChangeKind.GUIDANCE, 0.45, "therapist:t")) is None
    # 95 % is 55 points from what is set, although close to the ramping level
    why = ch.large_change(ChangeRequest(ChangeKind.GUIDANCE, 0.95, "therapist:t"))
    assert why is not None
    assert "from 40 % to 95 %" in why


def test_switching_the_controller_is_a_large_change() -> None:
    ch = _stack_at_guidance(0.6).changes
    assert ch.large_change(ChangeRequest(ChangeKind.CONTROLLER, "guidance", "t")) is None
    why = ch.large_change(ChangeRequest(ChangeKind.CONTROLLER, "resist", "t"))
    assert why is not None
    assert "guidance to resist" in why
    speed = ch.large_change(ChangeRequest(ChangeKind.SPEED, 3.0 / 3.6, "t"))
    assert speed is not None
    assert "km/h" in speed


@settings(max_examples=40, deadline=None, derandomize=True)
@given(start=st.floats(0.0, 1.0), new=st.floats(0.0, 1.0))
def test_guidance_is_large_exactly_beyond_the_step(start: float, new: float) -> None:
    ch = ChangeChannel(initial={ChangeKind.GUIDANCE: start})
    big = ch.large_change(ChangeRequest(ChangeKind.GUIDANCE, new, "t")) is not None
    assert big == (abs(new - start) > LARGE_STEP[ChangeKind.GUIDANCE] + 1e-12)


def test_changes_pending_at_a_fault_are_dropped_and_recorded() -> None:
    events: list[tuple[Any, ...]] = []
    ch = ChangeChannel(lambda *a, **k: events.append((a, k)),
                       initial={ChangeKind.CONTROLLER: "guidance"})
    ch.submit(ChangeRequest(ChangeKind.CONTROLLER, "resist", "therapist:t"), 1.0)
    assert ch.set_values[ChangeKind.CONTROLLER] == "resist"
    assert ch.drop_pending(2.0, "a fault stopped the session") == 1
    assert ch.pending == 0
    assert ch.take_due(at_stride=True) == []  # nothing left to apply on resuming
    assert ch.set_values[ChangeKind.CONTROLLER] == "guidance"  # back to what runs
    (args, details), = [e for e in events if e[0][1] == "change_dropped"]
    assert args == (2.0, "change_dropped", "therapist:t")
    assert details["value"] == "resist"


def test_a_range_too_small_for_the_speed_is_refused_live_and_nothing_is_queued() -> None:
    """The console's changes follow the start's rule (gaitway.gait.reference.check_walkable):
    a range of motion or a speed that leaves the belt dragging the feet is refused with one
    line, whichever of the two is changed; the set values stay as they were."""
    from gaitway.control.settings import ControlSettings
    from gaitway.control.stack import ControlStack

    stack = ControlStack(ControlSettings(speed_m_s=3.2 / 3.6), height_m=1.75,
                         body_mass_kg=70.0)
    ch = stack.changes
    half = RomSettings(hip=JointRom(scale=0.5), knee=JointRom(scale=0.5))
    with pytest.raises(UserError, match=r"belt's travel.*lower the speed to 0\.8 km/h"):
        ch.submit(ChangeRequest(ChangeKind.ROM, half, "therapist:t"), 1.0)
    assert ch.pending == 0
    assert ch.set_values[ChangeKind.ROM] == RomSettings()
    # slower first, then the halved range is accepted; speeding up again is refused
    ch.submit(ChangeRequest(ChangeKind.SPEED, 0.8 / 3.6, "therapist:t"), 1.0)
    ch.submit(ChangeRequest(ChangeKind.ROM, half, "therapist:t"), 1.0)
    assert ch.pending == 2
    with pytest.raises(UserError, match="raise the hip range of motion"):
        ch.submit(ChangeRequest(ChangeKind.SPEED, 2.0 / 3.6, "therapist:t"), 2.0)
    assert ch.set_values[ChangeKind.SPEED] == pytest.approx(0.8 / 3.6)


def test_a_session_cannot_start_with_a_range_too_small_for_its_speed() -> None:
    from gaitway.control.settings import ControlSettings
    from gaitway.control.stack import ControlStack

    half = RomSettings(hip=JointRom(scale=0.5), knee=JointRom(scale=0.5))
    with pytest.raises(UserError, match="belt's travel"):
        ControlStack(ControlSettings(speed_m_s=3.2 / 3.6, rom=half), height_m=1.75,
                     body_mass_kg=70.0)


def test_a_range_is_checked_at_the_speed_the_belt_still_runs_while_it_ramps_down() -> None:
    """A range of motion applies at the next stride; while the belt still ramps down from
    3.2 km/h to a slower set speed it would have been applied at the faster one (accepted
    before, as the set speed alone allowed it). It is refused until the belt is there."""
    from gaitway.control.settings import ControlSettings
    from gaitway.control.stack import ControlStack

    stack = ControlStack(ControlSettings(speed_m_s=3.2 / 3.6, belt_from_rest=False),
                         height_m=1.75, body_mass_kg=70.0)
    ch = stack.changes
    ch.submit(ChangeRequest(ChangeKind.SPEED, 0.8 / 3.6, "therapist:t"), 1.0)
    stack._apply_changes(at_stride=False)  # the ramp starts
    half = RomSettings(hip=JointRom(scale=0.5), knee=JointRom(scale=0.5))
    stack.belt.update(0.05)  # the ramp has just begun: still fast
    assert stack.belt.speed > 3.0 / 3.6
    with pytest.raises(UserError, match=r"at 3\.\d km/h: the legs' stance covers"):
        ch.submit(ChangeRequest(ChangeKind.ROM, half, "therapist:t"), 1.5)
    assert ch.set_values[ChangeKind.ROM] == RomSettings()
    while stack.belt.speed > 0.8 / 3.6:  # the belt reaches the set speed
        stack.belt.update(0.01)
    ch.submit(ChangeRequest(ChangeKind.ROM, half, "therapist:t"), 9.0)
    assert ch.set_values[ChangeKind.ROM] == half


def test_the_self_paced_belt_never_outruns_the_range_of_motion() -> None:
    """Self-paced, the patient's cadence sets the belt's speed up to the self-paced mode's
    limit, which is the fastest the set range walks (it was 3.2 km/h whatever the range:
    a halved range walks 0.8 km/h at 1.75 m); a new range moves the limit with it."""
    from gaitway.control.settings import ControlSettings
    from gaitway.control.stack import ControlStack
    from gaitway.gait.reference import check_walkable

    half = RomSettings(hip=JointRom(scale=0.5), knee=JointRom(scale=0.5))
    stack = ControlStack(ControlSettings(speed_m_s=0.8 / 3.6, rom=half, self_paced=True,
                                         belt_from_rest=False),
                         height_m=1.75, body_mass_kg=70.0)
    belt = stack.belt
    for _ in range(3000):  # a patient who steps as fast as at 3.2 km/h, for 30 s
        belt.update(0.01, patient_stride_s=0.9)
    assert belt.speed == pytest.approx(0.8 / 3.6, abs=1e-3)
    check_walkable(belt.speed, 1.75, half, min_speed_m_s=0.5 / 3.6)
    wider = RomSettings(hip=JointRom(scale=0.8), knee=JointRom(scale=1.0))
    stack.changes.submit(ChangeRequest(ChangeKind.ROM, wider, "therapist:t"), 30.0)
    stack._apply_changes(at_stride=True)
    for _ in range(3000):
        belt.update(0.01, patient_stride_s=0.9)
    assert belt.speed > 1.5 / 3.6
    check_walkable(belt.speed, 1.75, wider, min_speed_m_s=0.5 / 3.6)
