"""The whole stack on a small kinematic stand-in for a station (the twin tests live in
tests/session): legs follow the commanded reference with a lag, feet load the plates in
stance, the harness holds what it is told. Enough to check wiring, timing and events."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.control.belt import MIN_SPEED_M_S
from gaitway.control.changes import ChangeKind, ChangeRequest
from gaitway.control.resist import MAX_RESIST_DAMPING, MAX_RESIST_TORQUE_NM, ResistanceController
from gaitway.control.settings import MAX_FLOW_NM, MAX_TUNNEL_WIDTH_DEG, ControlSettings
from gaitway.control.stack import RESTART_GUIDANCE_RAMP_S, STAND_KNEE, ControlStack
from gaitway.errors import UserError
from gaitway.gait.reference import ReferenceGait, stride_time_s
from gaitway.station.channels import (
    CONTROL_CHANNEL_NAMES,
    LEG_DOFS,
    N_SAMPLE_CHANNELS,
    SAMPLE_INDEX,
)
from gaitway.station.interface import Command, Sample

MASS = 70.0
(_, KNEE_L), (_, KNEE_R) = LEG_DOFS


class _Sink:
    def __init__(self) -> None:
        self.events: list[tuple[float, str, str, dict[str, Any]]] = []

    def __call__(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        self.events.append((time_s, kind, source, details))


class _Walker:
    """Hip and knee follow the stack's reference with a phase lag; plates load in stance."""

    def __init__(self, stack: ControlStack, lag_cycles: float = 0.01, noise: float = 0.0):
        self.stack = stack
        self.lag = lag_cycles
        self.noise = noise
        self.rng = np.random.default_rng(0)
        self.t = 0.0
        self.phase = 0.0
        self.harness = 0.0
        # the robot's cadence (the slowest belt's for a belt at rest)
        self.freq = 1.0 / stride_time_s(max(stack.belt.speed, MIN_SPEED_M_S), stack.height_m)
        #: the table the legs follow: the stack's of the tick (None), or one held (frozen legs)
        self.table: ReferenceGait | None = None

    def sample(self) -> Sample:
        v = np.zeros(N_SAMPLE_CHANNELS)
        ref = self.table or self.stack.reference
        v[SAMPLE_INDEX["time"]] = self.t
        for side, off in (("left", 0.0), ("right", 0.5)):
            ph = (self.phase + off - self.lag) % 1.0
            h, k, dh, dk = ref.hip_knee(ph)
            f = self.freq
            v[SAMPLE_INDEX[f"hip_angle_{side}"]] = h + self.rng.normal(0, self.noise)
            v[SAMPLE_INDEX[f"knee_angle_{side}"]] = k
            v[SAMPLE_INDEX[f"hip_velocity_{side}"]] = dh * f
            v[SAMPLE_INDEX[f"knee_velocity_{side}"]] = dk * f
            stance = ((self.phase + off) % 1.0) < ref.stance_fraction
            v[SAMPLE_INDEX[f"grf_z_{side}"]] = 0.5 * MASS * 9.81 if stance else 0.0
        v[SAMPLE_INDEX["harness_force"]] = self.harness
        v[SAMPLE_INDEX["pelvis_height"]] = 0.9
        return Sample(v)

    def step(self, cmd: Command) -> Sample:
        self.harness = cmd.harness_force
        self.t += 0.001
        self.phase = (self.phase + 0.001 * self.freq) % 1.0
        return self.sample()


def _run(stack: ControlStack, seconds: float, walker: _Walker | None = None) -> _Walker:
    w = walker or _Walker(stack)
    s = w.sample()
    for _ in range(int(seconds * 1000)):
        s = w.step(stack.step(s))
    return w


def test_stack_tracks_strides_phase_and_fills_control_channels() -> None:
    stack = ControlStack(ControlSettings(belt_from_rest=False), height_m=1.75, body_mass_kg=MASS)
    w = _run(stack, 20.0)
    n_strides = 20.0 * w.freq
    summ = stack.summary()
    assert summ["strides"]["left"] >= n_strides - 3
    assert summ["controller"] == "guidance"
    assert 0.0 < summ["tracking_error_rms_deg"]["hip_left"] < 5.0
    assert len(stack.control_values) == len(CONTROL_CHANNEL_NAMES)
    cv = dict(zip(CONTROL_CHANNEL_NAMES, stack.control_values, strict=True))
    assert cv["guidance"] == 1.0
    assert cv["cmd_harness_force"] > 0.2 * MASS * 9.81
    assert 0.0 < cv["cmd_belt_speed"] <= 0.56 + 1e-9
    # the walker's phase is known (heel strike at 0): the estimate agrees within 2 %
    seen = w.phase - 0.001 * w.freq  # the stack saw the previous sample
    for name, off in (("phase_estimate_left", 0.0), ("phase_estimate_right", 0.5)):
        d = (cv[name] - seen - off) % 1.0
        assert min(d, 1.0 - d) < 0.02, (name, cv[name], seen)


def test_controller_change_waits_for_a_left_heel_strike_and_is_recorded() -> None:
    sink = _Sink()
    stack = ControlStack(
        ControlSettings(belt_from_rest=False), height_m=1.75, body_mass_kg=MASS, sink=sink
    )
    w = _run(stack, 3.0)
    stack.changes.submit(
        ChangeRequest(ChangeKind.CONTROLLER, "aan", "therapist:3", "ready for less"), w.t
    )
    assert stack.controller_name == "guidance"
    _run(stack, 3.0, w)
    assert stack.controller_name == "aan"
    applied = [e for e in sink.events if e[1] == "change_applied"]
    assert applied
    assert applied[0][2] == "therapist:3"
    # applied at a left heel strike, once confirmed (50 ms after its onset)
    lefts = [r.time_s for r in stack.strides if r.side == "left"]
    assert any(abs(applied[0][0] - t - 0.05) < 2e-3 for t in lefts)


def test_guidance_change_is_ramped() -> None:
    stack = ControlStack(ControlSettings(belt_from_rest=False), height_m=1.75, body_mass_kg=MASS)
    w = _run(stack, 1.0)
    stack.changes.submit(ChangeRequest(ChangeKind.GUIDANCE, 0.5, "therapist:1", ramp_s=2.0), w.t)
    _run(stack, 1.0, w)
    assert stack.guidance_level == pytest.approx(0.75, abs=0.01)
    _run(stack, 1.5, w)
    assert stack.guidance_level == pytest.approx(0.5)


def test_a_resume_restarts_at_full_guidance_and_hands_back_to_the_set_level() -> None:
    """Walking on after a pause starts as a session does: full guidance at once, the set
    level again after RESTART_GUIDANCE_RAMP_S (issue 12 item 4)."""
    sink = _Sink()
    stack = ControlStack(ControlSettings(belt_from_rest=False, guidance=0.2), height_m=1.75,
                         body_mass_kg=MASS, sink=sink)
    w = _run(stack, 1.0)
    stack.walking = False
    _run(stack, 1.0, w)
    assert stack.guidance_level == pytest.approx(0.2)
    stack.walking = True
    stack.resume_at_full_guidance(w.t)
    assert stack.guidance_level == 1.0
    _run(stack, RESTART_GUIDANCE_RAMP_S / 2, w)
    assert stack.guidance_level == pytest.approx(0.6, abs=0.01)
    _run(stack, RESTART_GUIDANCE_RAMP_S / 2 + 0.1, w)
    assert stack.guidance_level == pytest.approx(0.2)
    asked = [e for e in sink.events if e[1] == "change_requested"]
    assert asked[-1][2] == "session:resume"
    assert asked[-1][3]["value"] == pytest.approx(0.2)


@pytest.mark.parametrize("controller", ["aan", "path", "resist"])
def test_a_resume_leaves_other_controllers_alone(controller: str) -> None:
    stack = ControlStack(ControlSettings(belt_from_rest=False, controller=controller),
                         height_m=1.75, body_mass_kg=MASS)
    w = _run(stack, 0.5)
    level = stack.guidance_level
    stack.resume_at_full_guidance(w.t)
    assert stack.guidance_level == level
    assert not stack.changes.pending


def test_fatigue_raises_support_within_bounds_and_says_why() -> None:
    sink = _Sink()
    settings = ControlSettings(
        belt_from_rest=False,
        guidance=0.6,
        max_guidance=0.7,
        bws_fraction=0.3,
        max_bws_fraction=0.35,
    )
    stack = ControlStack(settings, height_m=1.75, body_mass_kg=MASS, sink=sink)
    w = _Walker(stack, lag_cycles=0.005)
    _run(stack, 25.0, w)
    for _ in range(6):  # the walker tires: it lags more and more
        w.lag += 0.006
        _run(stack, 10.0, w)
    found = [e for e in sink.events if e[1] == "fatigue_detected"]
    assert found, "fatigue was not detected"
    assert any("tracking error rose" in r for r in found[0][3]["reasons"])
    auto = [e for e in sink.events if e[1] == "change_applied" and e[2] == "auto:fatigue"]
    assert {e[3]["change"] for e in auto} >= {"guidance", "bws"}
    assert stack.guidance_level <= 0.7 + 1e-9
    assert stack.bws.target_fraction <= 0.35 + 1e-9
    assert all(e[3]["reason"] for e in auto)


def test_settings_are_validated() -> None:
    with pytest.raises(UserError, match="controller must be one of"):
        ControlStack(ControlSettings(controller="turbo"), height_m=1.75, body_mass_kg=MASS)
    with pytest.raises(UserError, match="guidance"):
        ControlSettings(guidance=2.0)


def test_path_control_follows_the_patients_timing() -> None:
    stack = ControlStack(
        ControlSettings(belt_from_rest=False, controller="path"), height_m=1.75, body_mass_kg=MASS
    )
    w = _Walker(stack, lag_cycles=0.08)  # walks 8 % of a cycle "late" but on the path
    _run(stack, 15.0, w)
    tau = stack.control_values[4:8]
    assert max(abs(x) for x in tau) < 15.0  # compensation only, no push back to the clock
    assert math.isfinite(sum(tau))


def test_the_slowest_belt_speed_walks_the_whole_reference_gait() -> None:
    """The gait fades in as the belt speeds up and is whole at every speed a belt may be set
    to: at 0.5 km/h a fade that ran on to 0.20 m/s asked for half the reference's swing knee
    flexion, which caught the toe on the belt (issue 12 item 4)."""
    stack = ControlStack(ControlSettings(speed_m_s=MIN_SPEED_M_S, belt_from_rest=False),
                         height_m=1.75, body_mass_kg=MASS)
    w = _Walker(stack)
    s = w.sample()
    knee_ref = []
    for _ in range(int(1.2 * stack.reference.stride_time_s * 1000)):
        s = w.step(stack.step(s))
        knee_ref.append(stack.ctx.q_ref[KNEE_L])
    full = float(np.max(stack.reference.table("knee")))
    assert max(knee_ref) == pytest.approx(full, abs=math.radians(1.0))


def test_a_stop_sets_down_a_foot_it_caught_in_the_air() -> None:
    """The belt stops (a pause, a stop) with one leg in swing: the robot holds the planted leg
    where it stands and sets the swinging foot down, knee as in standing, without a step in
    its target; the patient does the same (station/sim/patient.py)."""
    stack = ControlStack(ControlSettings(belt_from_rest=False), height_m=1.75, body_mass_kg=MASS)
    w = _Walker(stack)
    s = w.sample()
    # walk until the right leg is in mid-swing (its plate unloaded), then freeze the legs
    while not (0.75 < (w.phase + 0.5) % 1.0 < 0.8 and w.t > 3.0):
        s = w.step(stack.step(s))
    w.freq = 0.0
    w.table = stack.reference  # frozen: the legs stay put while the robot's table slows down
    stack.walking = False  # the belt runs down to rest
    knee_r = s.values[SAMPLE_INDEX["knee_angle_right"]]
    knee_l = s.values[SAMPLE_INDEX["knee_angle_left"]]
    assert knee_r > 0.5  # the swinging knee is flexed
    targets = []
    while stack.belt.speed > 0.0:
        s = w.step(stack.step(s))
        targets.append(stack.ctx.q_ref[KNEE_R])
    for _ in range(1500):  # standing
        s = w.step(stack.step(s))
        targets.append(stack.ctx.q_ref[KNEE_R])
    assert stack.ctx.q_ref[KNEE_L] == pytest.approx(knee_l, abs=1e-6)  # planted: held
    assert targets[-1] == pytest.approx(STAND_KNEE, abs=1e-3)  # in the air: set down
    # from the tick the legs stand: the target starts at the knee's angle and fades down
    stood = next(i for i, x in enumerate(targets) if abs(x - knee_r) < 1e-6)
    fade = np.diff(targets[stood:])
    assert np.all(fade <= 1e-12)
    assert -fade.min() < 0.01  # rad per tick: a fade, not a jump


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    width_deg=st.floats(0.0, MAX_TUNNEL_WIDTH_DEG),
    flow_nm=st.floats(0.0, MAX_FLOW_NM),
    bounds=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)).map(sorted),
    damping=st.floats(0.0, MAX_RESIST_DAMPING),
    torque_nm=st.floats(0.0, MAX_RESIST_TORQUE_NM),
)
def test_controller_settings_changed_in_a_session_reach_their_controllers(
        width_deg: float, flow_nm: float, bounds: list[float], damping: float,
        torque_nm: float) -> None:
    """Each controller's own settings (tunnel, flow, support bounds, resistance) can be set
    during a session over their whole range: applied at a stride, recorded, in force in the
    controller (also one not running yet) and reported as in use."""
    sink = _Sink()
    stack = ControlStack(ControlSettings(belt_from_rest=False), height_m=1.75,
                         body_mass_kg=MASS, sink=sink)
    w = _run(stack, 1.5)
    lo, hi = bounds
    for kind, value in ((ChangeKind.TUNNEL_WIDTH, math.radians(width_deg)),
                        (ChangeKind.PATH_FLOW, flow_nm),
                        (ChangeKind.SUPPORT_BOUNDS, (lo, hi)),
                        (ChangeKind.RESISTANCE, (damping, torque_nm))):
        stack.changes.submit(ChangeRequest(kind, value, "therapist:1"), w.t)
    _run(stack, 2.0, w)
    applied = {e[3]["change"] for e in sink.events if e[1] == "change_applied"}
    assert applied == {"tunnel_width", "path_flow", "support_bounds", "resistance"}
    now = stack.controller_settings()
    assert now.tunnel_width_deg == pytest.approx(width_deg)
    assert now.path_flow_nm == flow_nm
    assert (now.support_min_pct, now.support_max_pct) == pytest.approx((lo * 100, hi * 100))
    assert (now.resist_damping_nm_s_rad, now.resist_torque_nm) == (damping, torque_nm)
    resist = stack.controllers["resist"]
    assert isinstance(resist, ResistanceController)
    assert (resist.settings.damping_nm_s_rad, resist.settings.torque_nm) == (damping, torque_nm)


@pytest.mark.parametrize(("kind", "value", "message"), [
    (ChangeKind.RESISTANCE, (MAX_RESIST_DAMPING + 0.1, 0.0), "resistance damping"),
    (ChangeKind.RESISTANCE, (1.0, -1.0), "resistance torque"),
    (ChangeKind.RESISTANCE, 1.0, "pair of numbers"),
    (ChangeKind.RESISTANCE, (True, 1.0), "pair of numbers"),
    (ChangeKind.PATH_FLOW, MAX_FLOW_NM + 1.0, "path flow must be within"),
    (ChangeKind.PATH_FLOW, math.inf, "finite number"),
])
def test_controller_settings_out_of_range_are_refused(kind: ChangeKind, value: Any,
                                                      message: str) -> None:
    stack = ControlStack(ControlSettings(belt_from_rest=False), height_m=1.75, body_mass_kg=MASS)
    with pytest.raises(UserError, match=message):
        stack.changes.submit(ChangeRequest(kind, value, "therapist:1"), 0.0)
    assert stack.controller_settings().resist_torque_nm == 0.0


class _BeltWalker(_Walker):
    """A walker whose cadence follows the belt (as the virtual patient's does)."""

    def step(self, cmd: Command) -> Sample:
        self.freq = 1.0 / stride_time_s(max(self.stack.belt.speed, MIN_SPEED_M_S),
                                        self.stack.height_m)
        return super().step(cmd)


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(from_kmh=st.floats(0.5, 3.2), to_kmh=st.floats(0.5, 3.2),
       controller=st.sampled_from(["guidance", "path"]))
def test_the_table_follows_the_belt_at_every_tick(from_kmh: float, to_kmh: float,
                                                  controller: str) -> None:
    """Through a start from rest, a speed change and a pause, the robot walks the table of
    the belt's speed of the tick (as the virtual patient's own gait follows it), not the one
    of the last left heel strike: the range of motion shrinks at slow speeds, and the table
    of a belt at rest held a path-controlled start in a tunnel too small for 2 km/h, where
    no heel strike came to change it (0 strides, SIMULATED). While the belt is slower than
    it is set to (the start, the pause's run-down and resume) the table's range is held at
    the set speed's, never shrunk further, and the command tells the station that speed
    (its virtual patient holds its own gait the same way)."""
    stack = ControlStack(ControlSettings(speed_m_s=from_kmh / 3.6, controller=controller),
                         height_m=1.75, body_mass_kg=MASS)
    w = _BeltWalker(stack)
    s = w.sample()
    for i in range(9000):
        if i == 3000:
            stack.changes.submit(ChangeRequest(ChangeKind.SPEED, to_kmh / 3.6, "test", "speed"),
                                 stack.time)
        stack.walking = not 6000 <= i < 7000  # a pause
        belt = stack.belt.speed  # the speed this tick reads
        cmd = stack.step(s)
        s = w.step(cmd)
        target = stack.belt.target
        assert cmd.belt_setpoint == target
        assert stack.reference is stack.bank.nearest(belt, target)
        assert stack.reference.belt_factor >= stack.bank.nearest(target).belt_factor
