"""The supervisor on synthetic ticks: limits, debounce, detectors, stops, acknowledgement."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaitway.errors import UserError
from gaitway.safety.faults import FaultKind, Reaction
from gaitway.safety.limits import SafetyLimits
from gaitway.safety.supervisor import SafetySupervisor, SupervisorState
from gaitway.station.channels import N_SAMPLE_CHANNELS, SAMPLE_INDEX
from gaitway.station.interface import Command, FaultBit, Sample

IX = SAMPLE_INDEX
#: inputs that read exactly 0 when inactive (no sensor noise on a switch)
FLAGS = (IX["estop"], IX["stop_button"], IX["fault_word"],
         *(IX[f"{j}_{x}_{s}"] for j in ("hip", "knee") for x in ("sto", "brake")
           for s in ("left", "right")))
WALK = Command(5.0, -5.0, 10.0, -10.0, 220.0, 0.0)


class Rig:
    """Feeds a supervisor one synthetic tick at a time, with sensor noise like the twin's."""

    def __init__(self, mass_kg: float = 75.0, quantised: frozenset[str] = frozenset()) -> None:
        self.sup = SafetySupervisor(SafetyLimits.for_patient(mass_kg), watch_overruns=False,
                                    quantised=quantised)
        self.rng = np.random.default_rng(1)
        self.t = 0.0
        base = np.zeros(N_SAMPLE_CHANNELS)
        for s in ("left", "right"):
            base[IX[f"hip_angle_{s}"]] = base[IX[f"hip_motor_angle_{s}"]] = 0.1
            base[IX[f"knee_angle_{s}"]] = base[IX[f"knee_motor_angle_{s}"]] = 0.3
            base[IX[f"grf_z_{s}"]] = 400.0
            for j in ("hip", "knee"):
                base[IX[f"{j}_drive_temperature_{s}"]] = 30.0
        base[IX["harness_force"]] = 220.0
        base[IX["pelvis_height"]] = 0.9
        self.base = base

    def tick(self, command: Command = WALK, **channels: float) -> Command:
        v = self.base + self.rng.normal(0.0, 1e-5, N_SAMPLE_CHANNELS)
        for i in FLAGS:
            v[i] = 0.0
        v[0] = self.t
        for name, x in channels.items():
            v[IX[name]] = x
        self.t = round(self.t + 0.001, 6)
        return self.sup.check(Sample(v), command)

    def kinds(self) -> list[tuple[str, str]]:
        return [(str(r.kind), r.reaction.label) for r in self.sup.records]


def test_clean_command_passes_unchanged() -> None:
    rig = Rig()
    for _ in range(100):
        out = rig.tick()
    assert out is WALK
    assert rig.sup.records == []
    assert not rig.sup.latched


def test_hard_range_is_a_fault_within_two_ticks() -> None:
    rig = Rig()
    hard = rig.sup.limits.patient.knee_rom.hard_hi
    crossed_at = None
    q = 0.9
    for _ in range(200):
        q += 0.004  # 4 rad/s: fast, but no implausible jump
        rig.tick(knee_angle_left=q, knee_motor_angle_left=q)
        if q > hard and crossed_at is None:
            crossed_at = rig.t - 0.001
        if rig.sup.latched:
            break
    assert crossed_at is not None
    rec = next(r for r in rig.sup.records if r.reaction is Reaction.CONTROLLED_STOP)
    assert rec.kind is FaultKind.JOINT_RANGE
    assert rec.detected_at_s - crossed_at <= 0.002 + 1e-9
    assert rig.sup.state is SupervisorState.CONTROLLED_STOP


def test_soft_range_removes_outward_torque_and_warns() -> None:
    rig = Rig()
    outs = [rig.tick(Command(0.0, 0.0, 20.0, 0.0, 220.0, 0.0), knee_angle_left=1.15,
                     knee_motor_angle_left=1.15) for _ in range(5)]
    assert all(o.knee_torque_left == 0.0 for o in outs)
    back = rig.tick(Command(0.0, 0.0, -20.0, 0.0, 220.0, 0.0), knee_angle_left=1.15,
                    knee_motor_angle_left=1.15)
    assert back.knee_torque_left == -20.0  # torque back into range is allowed
    assert rig.kinds() == [("joint_range", "warn")]
    assert not rig.sup.latched


def test_torque_command_is_clipped_with_one_warning() -> None:
    rig = Rig()
    for _ in range(10):
        out = rig.tick(Command(200.0, 0.0, -300.0, 0.0, 220.0, 0.0))
    assert out.hip_torque_left == 90.0
    assert out.knee_torque_left == -70.0
    assert sorted(rig.kinds()) == [("drive_torque", "warn")] * 2
    assert rig.sup.warnings_total == 2


def test_repeated_warnings_fold_into_one_record_per_joint() -> None:
    """A torque clipped on every stride (1.5 s apart) for a minute: each clip is counted and
    becomes a warning event, but the record holds one entry per joint, with its first and
    last time and count (the summary's form)."""
    rig = Rig()
    clip = Command(0.0, 0.0, 150.0, 0.0, 220.0, 0.0)
    times = []
    for _ in range(40):
        times.append(rig.t)
        for _ in range(20):
            rig.tick(clip)
        for _ in range(1480):
            rig.tick()
    events = [e for e in rig.sup.drain_events() if e[1] == "safety_warning"]
    assert len(events) == 40
    assert {e[2]["joint"] for e in events} == {"knee_left"}
    (rec,) = rig.sup.records
    summary = rec.to_summary()
    assert (summary["kind"], summary["joint"], summary["count"]) == ("drive_torque",
                                                                   "knee_left", 40)
    assert summary["detected_at_s"] == pytest.approx(times[0])
    assert summary["last_at_s"] == pytest.approx(times[-1])
    assert rig.sup.warnings_total == rig.sup.warning_runs.total == 40


def test_belt_command_is_ramped() -> None:
    rig = Rig()
    speeds = [rig.tick(WALK._replace(belt_speed=0.8)).belt_speed for _ in range(3)]
    assert speeds == pytest.approx([0.0005, 0.001, 0.0015])


@pytest.mark.parametrize(("set_m_s", "kind"), [(math.nan, "command_non_finite"),
                                               (-0.1, "command_out_of_range"),
                                               (1.0, "command_out_of_range"),
                                               (0.6, None)])
def test_the_belt_set_speed_passes_when_it_is_a_belt_speed(set_m_s: float,
                                                           kind: str | None) -> None:
    """The speed the belt is set to travels with the command to the station (a twin's
    virtual patient steps for it while the belt ramps): passed on as it is when it is a
    speed the belt can run, else the controller is at fault and the station stops."""
    rig = Rig()
    out = rig.tick(WALK._replace(belt_setpoint=set_m_s))
    if kind is None:
        assert out.belt_setpoint == set_m_s
        assert rig.kinds() == []
    else:
        assert rig.kinds()[0][0] == kind
        assert out.belt_setpoint == 0.0


def test_nan_reading_is_an_immediate_stop() -> None:
    rig = Rig()
    rig.tick()
    out = rig.tick(harness_force=math.nan)
    assert rig.kinds()[0] == ("non_finite", "immediate_stop")
    assert out == Command(0.0, 0.0, 0.0, 0.0, out.harness_force, 0.0, out.harness_force)
    assert out.harness_force == pytest.approx(220.0)  # the harness holds
    rig.tick(**{f"{j}_torque_{s}": 0.0 for j in ("hip", "knee") for s in ("left", "right")})
    assert rig.sup.in_safe_state


@pytest.mark.parametrize(("bit", "kind", "reaction"), [
    (FaultBit.DRIVE_OVERTEMPERATURE, "drive_overtemperature", "controlled_stop"),
    (FaultBit.DRIVE_OVERCURRENT, "drive_overcurrent", "immediate_stop"),
    (FaultBit.ENCODER_MISMATCH, "encoder_mismatch", "immediate_stop"),
    (FaultBit.SAFE_TORQUE_OFF, "safe_torque_off", "immediate_stop"),
    (FaultBit.DRIVE_FAULT, "drive_fault", "immediate_stop"),
])
def test_device_fault_bits_are_faults(bit: FaultBit, kind: str, reaction: str) -> None:
    rig = Rig()
    rig.tick()
    rig.tick(fault_word=float(bit))
    assert rig.kinds() == [(kind, reaction)]


def test_interaction_debounce_is_five_ticks() -> None:
    rig = Rig()
    for _ in range(4):
        rig.tick(interaction_torque_shank_left=120.0)
    rig.tick()
    assert not rig.sup.latched  # 4 ticks of a noisy peak: no fault
    for _ in range(5):
        rig.tick(interaction_torque_shank_left=120.0)
    assert ("interaction_force", "immediate_stop") in rig.kinds()


def test_stale_signal_within_20_ms() -> None:
    rig = Rig()
    rig.tick()
    start = rig.t
    for _ in range(30):
        rig.tick(hip_angle_left=0.1234)
        if rig.sup.latched:
            break
    rec = rig.sup.records[0]
    assert rec.kind is FaultKind.STALE_SIGNAL
    assert rec.detected_at_s - start <= 0.020


def test_an_active_sto_input_is_its_own_fault_and_ends_torque_free() -> None:
    rig = Rig()
    rig.tick()
    out = rig.tick(knee_sto_right=1.0)
    assert rig.kinds() == [("safe_torque_off", "immediate_stop")]
    assert "knee_right" in rig.sup.records[0].detail
    assert out[:4] == (0.0, 0.0, 0.0, 0.0)
    rig.tick(knee_sto_right=1.0, **{f"{j}_torque_{s}": 0.0 for j in ("hip", "knee")
                                    for s in ("left", "right")})
    assert rig.sup.in_safe_state
    assert "must not be resumed" in str(rig.sup.ack_refusal())


ANGLES = frozenset(f"{j}_angle_{s}" for j in ("hip", "knee") for s in ("left", "right"))


def test_a_quantised_joint_at_rest_repeats_without_a_stale_fault() -> None:
    """Encoder counts at standstill: the same angle, bit for bit, for 3 s."""
    rig = Rig(quantised=ANGLES)
    for _ in range(3000):
        rig.tick(hip_angle_left=0.1, hip_angle_right=0.1, knee_angle_left=0.3,
                 knee_angle_right=0.3, hip_velocity_left=0.0, knee_velocity_right=0.001)
    assert rig.sup.records == []
    assert not rig.sup.latched


def test_the_same_standstill_is_stale_on_a_noisy_channel() -> None:
    rig = Rig()  # nothing declared quantised: a repeat is a frozen sensor
    for _ in range(20):
        rig.tick(knee_angle_right=0.3)
    assert rig.kinds() == [("stale_signal", "immediate_stop")]


@pytest.mark.parametrize("velocity", [0.06, -0.5, 3.0])
def test_a_quantised_angle_that_holds_while_its_joint_moves_is_stale_within_20_ms(
        velocity: float) -> None:
    rig = Rig(quantised=ANGLES)
    q = 0.1
    for _ in range(50):  # moving: the counts change every tick
        q += velocity * 0.001
        rig.tick(hip_angle_left=q, hip_motor_angle_left=q, hip_velocity_left=velocity)
    start = rig.t
    for _ in range(30):  # the encoder freezes; the velocity reading goes on
        rig.tick(hip_angle_left=q, hip_motor_angle_left=q, hip_velocity_left=velocity)
        if rig.sup.latched:
            break
    rec = rig.sup.records[0]
    assert (rec.kind, rec.reaction) == (FaultKind.STALE_SIGNAL, Reaction.IMMEDIATE_STOP)
    assert rec.detected_at_s - start <= 0.020


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(angle=st.floats(-0.2, 0.6), speed=st.floats(0.0, 8.0), sign=st.sampled_from([-1.0, 1.0]),
       moving=st.floats(0.01, 0.5), ticks=st.integers(2, 40))
def test_a_held_quantised_angle_is_stale_exactly_when_its_velocity_says_it_moves(
        angle: float, speed: float, sign: float, moving: float, ticks: int) -> None:
    """Over the range a user may set (the moving bound, the stale ticks): an angle held bit for
    bit is stale within stale_ticks when its velocity reading stays at or above the bound,
    and never when it stays below (a joint at rest, whatever its velocity noise)."""
    lim = SafetyLimits.for_patient(75.0)
    lim = replace(lim, timing=replace(lim.timing, stale_moving_rad_s=moving, stale_ticks=ticks))
    rig = Rig(quantised=ANGLES)
    rig.sup = SafetySupervisor(lim, watch_overruns=False, quantised=ANGLES)
    w = sign * speed
    start = rig.t
    for _ in range(ticks + 5):
        rig.tick(hip_angle_left=angle, hip_motor_angle_left=angle, hip_velocity_left=w)
    stale = [r for r in rig.sup.records if r.kind is FaultKind.STALE_SIGNAL]
    if speed >= moving:
        assert stale, (speed, moving)
        assert stale[0].detected_at_s - start <= ticks * 0.001 + 1e-9
    else:
        assert stale == []


def test_quantised_channels_must_be_sample_channels() -> None:
    with pytest.raises(ValueError, match="hip_angel_left"):
        SafetySupervisor(SafetyLimits.for_patient(75.0), quantised=frozenset({"hip_angel_left"}))


def test_watchdog_and_missed_ticks() -> None:
    rig = Rig()
    rig.tick()
    rig.t = round(rig.t + 0.004, 6)  # four ticks never arrive
    rig.tick()
    assert rig.kinds() == [("missed_ticks", "controlled_stop")]
    rig2 = Rig()
    rig2.tick()
    for _ in range(3):
        rig2.t = round(rig2.t - 0.001, 6)  # the same sample time again
        rig2.tick()
    assert rig2.kinds()[0] == ("communication_loss", "immediate_stop")


def test_acknowledge_needs_the_cause_gone() -> None:
    rig = Rig()
    rig.tick(estop=1.0)
    assert rig.sup.state is SupervisorState.IMMEDIATE_STOP
    with pytest.raises(UserError, match="safe state"):
        rig.sup.acknowledge("therapist A", rig.t)
    rig.tick(estop=1.0)
    assert rig.sup.in_safe_state
    with pytest.raises(UserError, match="still present"):
        rig.sup.acknowledge("therapist A", rig.t)
    rig.tick()  # estop released
    rig.sup.acknowledge("therapist A", rig.t)
    assert rig.sup.state is SupervisorState.RUNNING
    assert rig.tick() is WALK  # commands pass again


def test_acknowledge_is_recorded_with_who() -> None:
    rig = Rig()
    with pytest.raises(UserError, match="no latched fault"):
        rig.sup.acknowledge("therapist A", 0.0)
    rig.tick(stop_button=1.0)
    for _ in range(60):
        rig.tick()
    assert rig.sup.in_safe_state  # legs and belt at rest: the controlled stop is done
    with pytest.raises(UserError, match="who"):
        rig.sup.acknowledge("  ", rig.t)
    rig.sup.acknowledge("therapist B", rig.t)
    events = rig.sup.drain_events()
    kinds = [e[1] for e in events]
    assert kinds == ["fault_detected", "safe_stop_started", "safe_state_reached",
                     "fault_acknowledged"]
    assert events[-1][2]["by"] == "therapist B"
    assert events[-1][2]["faults"] == ["stop_button"]


def test_controlled_stop_escalates_when_not_at_rest() -> None:
    rig = Rig()
    rig.tick(stop_button=1.0)
    for _ in range(5200):
        rig.tick(belt_speed_left=0.5, belt_speed_right=0.5)
        if rig.sup.state is SupervisorState.IMMEDIATE_STOP:
            break
    assert rig.sup.state is SupervisorState.IMMEDIATE_STOP
    assert 5.0 <= rig.t <= 5.1
    assert "safe_stop_escalated" in [e[1] for e in rig.sup.drain_events()]


def test_controlled_stop_brings_legs_to_standing_with_limited_torque() -> None:
    rig = Rig()
    bent = {"knee_angle_left": 1.0, "knee_motor_angle_left": 1.0}
    rig.tick(WALK._replace(belt_speed=0.3), **bent)
    rig.tick(stop_button=1.0, **bent)
    out = rig.tick(**bent)
    lim = rig.sup.limits.stop
    assert out.knee_torque_left == -lim.knee_torque  # toward standing, capped
    assert out.hip_torque_left == pytest.approx(-15.0, abs=0.1)  # hip 0.1 rad: back to 0
    assert out.harness_force == pytest.approx(220.0)


def test_harness_slack_is_judged_against_the_set_unloading() -> None:
    """A force loop whose command swings above the set point (a PI transient) does not make
    a harness that holds its set unloading look slack; one that holds far less is."""
    rig = Rig()
    wound_up = Command(5.0, -5.0, 10.0, -10.0, 500.0, 0.0, 220.0)  # command 500 N, set 220 N
    for _ in range(120):
        rig.tick(wound_up, harness_force=110.0 + rig.rng.normal())  # 22 % of the command
    assert rig.kinds() == []
    for _ in range(60):
        rig.tick(wound_up, harness_force=20.0 + rig.rng.normal())  # 9 % of the set point
    assert rig.kinds() == [("harness_slack", "controlled_stop")]


def test_low_support_tolerates_the_cable_going_slack_in_a_step() -> None:
    """At low support (set unloading under 25 % of body weight) the cable goes slack for up
    to ~80 ms after heel strikes at speed (docs/safety/harness_slack.md): no fault. A cable
    that stays slack is still a fault, within 200 ticks."""
    set_n = 0.12 * 75.0 * 9.81
    low = Command(5.0, -5.0, 10.0, -10.0, set_n, 0.0, set_n)
    rig = Rig()
    for _ in range(5):  # five steps, each with 120 ms of slack cable
        for _ in range(380):
            rig.tick(low, harness_force=set_n + rig.rng.normal())
        for _ in range(120):
            rig.tick(low, harness_force=abs(rig.rng.normal()))
    for _ in range(10):
        rig.tick(low, harness_force=set_n + rig.rng.normal())
    assert rig.kinds() == []
    ticks = 0
    while not rig.kinds() and ticks < 250:
        rig.tick(low, harness_force=abs(rig.rng.normal()))
        ticks += 1
    assert rig.kinds() == [("harness_slack", "controlled_stop")]
    assert ticks == rig.sup.limits.patient.harness_slack_ticks_low_support


def test_harness_slack_and_fall() -> None:
    rig = Rig()
    for _ in range(60):
        rig.tick(harness_force=10.0 + rig.rng.normal())
    assert rig.kinds() == [("harness_slack", "controlled_stop")]
    rig = Rig()
    for _ in range(15):
        rig.tick(grf_z_left=1.0, grf_z_right=2.0, harness_force=500.0 + rig.rng.normal())
    assert ("fall", "immediate_stop") in rig.kinds()


def test_a_flight_phase_under_high_support_is_not_a_fall() -> None:
    """At 60 % support and 3.2 km/h both feet leave the plates for a moment while the harness
    holds its set unloading and the force loop's command dips as the pelvis rises (the twin:
    a false `fall` before). The fall is judged against the set unloading; a harness loaded
    far beyond it with both plates empty is still a fall, at once (hazard H14)."""
    set_n = 0.6 * 75.0 * 9.81
    dipping = Command(5.0, -5.0, 10.0, -10.0, 0.65 * set_n, 0.0, set_n)
    rig = Rig()
    for _ in range(300):
        rig.tick(dipping, grf_z_left=1.0, grf_z_right=2.0,
                 harness_force=1.05 * set_n + rig.rng.normal())
    assert rig.kinds() == []
    ticks = 0
    while not rig.kinds() and ticks < 50:
        rig.tick(dipping, grf_z_left=1.0, grf_z_right=2.0,
                 harness_force=set_n + 0.35 * 75.0 * 9.81 + rig.rng.normal())
        ticks += 1
    assert ("fall", "immediate_stop") in rig.kinds()
    assert ticks == rig.sup.limits.patient.fall_ticks
