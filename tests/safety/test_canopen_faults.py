"""Bus faults of the CANopen station, each with the reaction its hazard requires.

The station reports every bus fault in ``fault_word`` (and switches the drives it can no
longer control torque-free itself); the unchanged supervisor turns that into its stop. Each
test drives the emulated drives into the fault, checks the station's own reaction, and feeds
the faulty Sample to a supervisor judging with the station's configured limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gaitway.safety.faults import FAULTS, FaultKind, Reaction
from gaitway.safety.session import SessionSafety
from gaitway.safety.station_limits import safety_limits
from gaitway.safety.supervisor import SafetySupervisor
from gaitway.station.canopen.cia402 import DriveState
from gaitway.station.canopen.config import StationConfig, load_config
from gaitway.station.canopen.emulator import EmulatedDrives, emulated_config
from gaitway.station.canopen.mechanics import LegPendulums
from gaitway.station.canopen.station import CanopenStation
from gaitway.station.interface import Command, FaultBit, Sample, StationError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "exo4_canopen.toml"
#: the PDO deadline of these tests: long enough that a loaded CI host does not miss it
DEADLINE_S = 0.1
PUSH = Command(hip_torque_left=10.0, hip_torque_right=10.0, knee_torque_left=5.0,
               knee_torque_right=5.0)


@pytest.fixture
def cfg() -> StationConfig:
    return emulated_config(load_config(EXAMPLE))


@pytest.fixture
def rig(cfg: StationConfig) -> Iterator[EmulatedDrives]:
    with EmulatedDrives(cfg, LegPendulums()) as r:
        yield r


@pytest.fixture
def station(cfg: StationConfig, rig: EmulatedDrives) -> Iterator[CanopenStation]:
    st = CanopenStation(cfg, bus_factory=rig.controller, deadline_s=DEADLINE_S)
    st.start()
    for _ in range(20):
        st.step(PUSH)
    yield st
    st.stop()


def _until(station: CanopenStation, bit: FaultBit, wall_s: float) -> tuple[Sample, float]:
    """Step until ``bit`` shows in fault_word; the Sample and the wall time it took."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < wall_s:
        s = station.step(PUSH)
        if s.fault_word & bit:
            return s, time.monotonic() - t0
    raise AssertionError(f"{bit!r} never reported within {wall_s} s")


def _judged(cfg: StationConfig, sample: Sample) -> tuple[FaultKind, Reaction, Command]:
    sup = SafetySupervisor(safety_limits(cfg.limits(), body_mass_kg=75.0))
    cmd = sup.check(sample, PUSH)
    stops = [r for r in sup.records if r.reaction >= Reaction.CONTROLLED_STOP]
    assert stops, f"no stop for {sample.fault_word!r}"
    return stops[0].kind, stops[0].reaction, cmd


def _torque_free(rig: EmulatedDrives, joints: list[str] | None = None) -> bool:
    return all(not d.state.torque_on for j, d in rig.drives.items()
               if joints is None or j in joints)


def test_heartbeat_loss_is_communication_loss_and_torque_off(
        cfg: StationConfig, rig: EmulatedDrives, station: CanopenStation) -> None:
    rig.drive("knee_left").stop_heartbeat()
    s, took = _until(station, FaultBit.COMMUNICATION, wall_s=3.0)
    assert took < cfg.heartbeat_consumer_ms / 1000.0 + 0.5
    station.step(PUSH)
    assert _torque_free(rig)  # every drive switched torque-free by the station
    assert any(e.kind == "communication_lost" and "knee_left" in e.details
               for e in station.drain_events())
    kind, reaction, cmd = _judged(cfg, s)
    assert (kind, reaction) == (FaultKind.COMMUNICATION_LOSS, Reaction.IMMEDIATE_STOP)
    assert cmd[:4] == (0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize(("code", "meaning", "bit", "kind", "reaction"), [
    (0x2310, "continuous over-current", FaultBit.DRIVE_OVERCURRENT,
     FaultKind.DRIVE_OVERCURRENT, Reaction.IMMEDIATE_STOP),
    (0x4310, "excess temperature of the drive", FaultBit.DRIVE_OVERTEMPERATURE,
     FaultKind.DRIVE_OVERTEMPERATURE, Reaction.CONTROLLED_STOP),
    (0x7305, "incremental sensor 1 fault", FaultBit.ENCODER_MISMATCH,
     FaultKind.ENCODER_MISMATCH, Reaction.IMMEDIATE_STOP),
    (0x3220, "DC link under-voltage", FaultBit.DRIVE_FAULT,
     FaultKind.DRIVE_FAULT, Reaction.IMMEDIATE_STOP),
])
def test_emcy_is_the_drive_fault_its_code_means(
        cfg: StationConfig, rig: EmulatedDrives, station: CanopenStation, code: int,
        meaning: str, bit: FaultBit, kind: FaultKind, reaction: Reaction) -> None:
    rig.drive("hip_right").fault(code)
    s, _ = _until(station, bit, wall_s=2.0)
    assert station.drive_states()["hip_right"] is DriveState.FAULT
    assert rig.drive("hip_right").torque_permille == 0.0  # the drive's own torque off
    events = [e for e in station.drain_events() if e.kind == "emcy"]
    assert events
    assert f"0x{code:04X}" in events[0].details
    assert meaning in events[0].details
    assert _judged(cfg, s)[:2] == (kind, reaction)


def _closed_loop(cfg: StationConfig, station: CanopenStation, command: Command = PUSH,
                 *, until: Callable[[SafetySupervisor], bool], wall_s: float = 10.0,
                 noisy: bool = False) -> SafetySupervisor:
    """The session's safety (supervisor, belt brake, the drives' torque off) judging every
    tick and its command going to the drives, until ``until`` holds (AssertionError after
    ``wall_s`` of wall time). ``noisy``: a bare supervisor that takes every channel for a
    noisy one (what it did before stations declared their quantised channels)."""
    limits = safety_limits(cfg.limits(), body_mass_kg=75.0)
    safety = SessionSafety(station, limits=limits, watch_overruns=False)
    sup = SafetySupervisor(limits, watch_overruns=False) if noisy else safety.supervisor
    judge = sup.check if noisy else safety.judge
    t0 = time.monotonic()
    s = station.last_sample
    while not until(sup):
        assert time.monotonic() - t0 < wall_s, f"not reached in {wall_s} s: {sup.records}"
        s = station.step(judge(s, command))
    return sup


def _safe(sup: SafetySupervisor) -> bool:
    return sup.in_safe_state


def test_sto_while_enabled_is_safe_torque_off_and_ends_in_the_safe_state(
        cfg: StationConfig, rig: EmulatedDrives, station: CanopenStation) -> None:
    rig.drive("knee_right").set_sto(True)
    s, _ = _until(station, FaultBit.SAFE_TORQUE_OFF, wall_s=2.0)
    assert not s.fault_word & (FaultBit.DRIVE_OVERCURRENT | FaultBit.DRIVE_FAULT)
    assert s["knee_sto_right"] == 1.0
    assert s["knee_brake_right"] == 1.0
    assert any("safe torque off" in e.details for e in station.drain_events())
    assert _judged(cfg, s)[:2] == (FaultKind.SAFE_TORQUE_OFF, Reaction.IMMEDIATE_STOP)
    sup = _closed_loop(cfg, station, until=_safe)
    assert [str(r.kind) for r in sup.records if r.reaction > Reaction.WARN] == [
        "safe_torque_off"]
    assert _torque_free(rig)
    assert "must not be resumed" in str(sup.ack_refusal())


@pytest.mark.parametrize("emcy", [False, True], ids=["no EMCY", "unnamed EMCY"])
def test_a_drive_fault_without_a_known_cause_is_drive_fault_and_ends_in_the_safe_state(
        cfg: StationConfig, rig: EmulatedDrives, station: CanopenStation, emcy: bool) -> None:
    rig.drive("hip_left").fault(0xFF42, emcy=emcy)  # device specific: no meaning known
    s, _ = _until(station, FaultBit.DRIVE_FAULT, wall_s=2.0)
    assert not s.fault_word & FaultBit.DRIVE_OVERCURRENT
    assert _judged(cfg, s)[:2] == (FaultKind.DRIVE_FAULT, Reaction.IMMEDIATE_STOP)
    sup = _closed_loop(cfg, station, until=_safe)
    assert _torque_free(rig)
    assert "must not be resumed" in str(sup.ack_refusal())


@pytest.mark.parametrize("fault", ["heartbeat", "emcy", "pdos", "bus_off"])
def test_every_bus_fault_ends_in_the_safe_state_in_a_closed_loop(
        cfg: StationConfig, rig: EmulatedDrives, station: CanopenStation, fault: str) -> None:
    """The station's reaction and the supervisor's stop together: the drives end torque-free
    and the supervisor confirms its safe state. A drive the station lost reads NaN: its
    torque-off is commanded (and its own heartbeat watchdog's), not confirmed."""
    knee = rig.drive("knee_left")
    if fault == "bus_off":
        rig.controllers["left"].go_bus_off()
    elif fault == "heartbeat":
        knee.stop_heartbeat()
    elif fault == "emcy":
        knee.fault(0x2310)
    else:
        knee.drop_tpdos = 10_000
    sup = _closed_loop(cfg, station, until=_safe)
    kind = {"heartbeat": FaultKind.COMMUNICATION_LOSS, "emcy": FaultKind.DRIVE_OVERCURRENT,
            "pdos": FaultKind.COMMUNICATION_LOSS, "bus_off": FaultKind.COMMUNICATION_LOSS}[fault]
    assert next(r.kind for r in sup.records if r.reaction > Reaction.WARN) is kind, sup.records
    t0 = time.monotonic()
    while not _torque_free(rig) and time.monotonic() - t0 < 3.0:
        station.step(Command())
    assert _torque_free(rig)


def test_pdos_that_stop_arriving_are_communication_loss_within_its_goal(
        cfg: StationConfig, rig: EmulatedDrives, station: CanopenStation) -> None:
    rig.drive("hip_right").drop_tpdos = 10_000
    t_last = station.last_sample.time
    sup = _closed_loop(cfg, station, until=lambda s: s.latched)
    rec = sup.records[0]
    assert (rec.kind, rec.reaction) == (FaultKind.COMMUNICATION_LOSS, Reaction.IMMEDIATE_STOP)
    assert rec.detected_at_s - t_last <= FAULTS[FaultKind.COMMUNICATION_LOSS].max_detection_s


def test_joints_resting_with_identical_counts_for_seconds_do_not_fault(cfg: StationConfig) -> None:
    """Legs hanging still, drives enabled with zero torque: the encoder counts repeat bit for
    bit for 3 s of session time. No false stop; the same samples judged as noisy channels
    would have been a stale signal within 10 ms."""
    with EmulatedDrives(cfg, LegPendulums()) as rig:
        st = CanopenStation(cfg, bus_factory=rig.controller, deadline_s=DEADLINE_S)
        with st:
            angles: list[tuple[float, ...]] = []

            def three_seconds(sup: SafetySupervisor) -> bool:
                angles.append(tuple(st.last_sample.joint_angle(j, s) for j in ("hip", "knee")
                                    for s in ("left", "right")))
                return st.last_sample.time >= 3.0
            sup = _closed_loop(cfg, st, Command(), until=three_seconds, wall_s=120.0)
            assert sup.records == []
            assert len(set(angles)) == 1  # identical counts throughout
            noisy = _closed_loop(cfg, st, Command(), until=lambda s: s.latched, noisy=True)
            assert noisy.records[0].kind is FaultKind.STALE_SIGNAL


def test_a_frozen_encoder_on_a_moving_joint_is_stale_within_its_goal(
        cfg: StationConfig, rig: EmulatedDrives, station: CanopenStation) -> None:
    t0 = time.monotonic()
    while abs(station.step(PUSH)["hip_velocity_left"]) < 0.2:
        assert time.monotonic() - t0 < 5.0
    rig.drive("hip_left").freeze_encoder()
    t_frozen = station.last_sample.time
    sup = _closed_loop(cfg, station, until=lambda s: s.latched)
    rec = sup.records[0]
    assert (rec.kind, rec.reaction) == (FaultKind.STALE_SIGNAL, Reaction.IMMEDIATE_STOP)
    assert "hip_left" in rec.detail
    assert rec.detected_at_s - t_frozen <= FAULTS[FaultKind.STALE_SIGNAL].max_detection_s


def test_bus_off_is_communication_loss_and_every_drive_stops(
        cfg: StationConfig, rig: EmulatedDrives, station: CanopenStation) -> None:
    rig.controllers["left"].go_bus_off()
    s, _ = _until(station, FaultBit.COMMUNICATION, wall_s=1.0)
    assert any(e.kind == "bus_off" for e in station.drain_events())
    assert _torque_free(rig, ["hip_right", "knee_right"])  # torque off from the station
    # the left drives cannot be told: they stop on losing the master's heartbeat
    t0 = time.monotonic()
    while not _torque_free(rig, ["hip_left", "knee_left"]) and time.monotonic() - t0 < 2.0:
        station.step(PUSH)
    assert _torque_free(rig, ["hip_left", "knee_left"])
    assert time.monotonic() - t0 < cfg.heartbeat_consumer_ms / 1000.0 + 0.5
    assert rig.drive("hip_left").error_code == 0x8130  # heartbeat error, by EMCY
    assert _judged(cfg, s)[:2] == (FaultKind.COMMUNICATION_LOSS, Reaction.IMMEDIATE_STOP)


def test_one_missing_pdo_holds_the_last_values_without_a_stop(
        rig: EmulatedDrives, station: CanopenStation) -> None:
    before = station.last_sample["knee_angle_left"]
    rig.drive("knee_left").drop_tpdos = 1
    s = station.step(PUSH)
    assert s["knee_angle_left"] == before  # held, not invented
    s = station.step(PUSH)
    assert not s.fault_word & FaultBit.COMMUNICATION
    assert station.pdo_misses()["knee_left"] >= 1
    assert any(e.kind == "pdo_late" and "knee_left" in e.details
               for e in station.drain_events())
    assert not _torque_free(rig)


@pytest.mark.parametrize("fault", ["missing", "late"])
def test_pdos_missing_or_late_in_a_row_are_communication_loss(
        cfg: StationConfig, rig: EmulatedDrives, station: CanopenStation, fault: str) -> None:
    knee = rig.drive("knee_left")
    if fault == "missing":
        knee.drop_tpdos = 10
    else:
        knee.tpdo_delay_s = 2.5 * DEADLINE_S  # later than the deadline, every tick
    s, _ = _until(station, FaultBit.COMMUNICATION, wall_s=5.0)
    knee.tpdo_delay_s = 0.0
    assert station.pdo_misses()["knee_left"] >= cfg.pdo_missed_ticks_fault
    t0 = time.monotonic()  # a late drive also takes its torque-off late
    while not _torque_free(rig) and time.monotonic() - t0 < 3.0:
        station.step(PUSH)
    assert _torque_free(rig)
    assert _judged(cfg, s)[:2] == (FaultKind.COMMUNICATION_LOSS, Reaction.IMMEDIATE_STOP)


def test_a_drive_refusing_to_enable_leaves_every_drive_torque_free(
        cfg: StationConfig, rig: EmulatedDrives) -> None:
    rig.drive("knee_right").refuse_enable = True
    st = CanopenStation(cfg, bus_factory=rig.controller)
    with pytest.raises(StationError, match=r"knee_right .* refused to enable: it stays in "
                                           r"switched_on"):
        st.start()
    time.sleep(0.05)
    assert _torque_free(rig)
    assert not st.running


def test_sto_active_at_start_refuses_and_enables_no_drive(cfg: StationConfig,
                                                          rig: EmulatedDrives) -> None:
    rig.drive("hip_right").sto = True
    st = CanopenStation(cfg, bus_factory=rig.controller)
    with pytest.raises(StationError, match="STO released hip_right"):
        st.start()
    assert all(d.enabled_count == 0 for d in rig.drives.values())


def test_a_joint_outside_its_end_stops_refuses_to_start(cfg: StationConfig) -> None:
    mech = LegPendulums(angles_rad=(0.0, 0.0, 2.0, 0.0))  # left knee beyond its stop
    with EmulatedDrives(cfg, mech) as rig:
        st = CanopenStation(cfg, bus_factory=rig.controller)
        with pytest.raises(StationError, match="inside end stops knee_left"):
            st.start()
        assert all(d.enabled_count == 0 for d in rig.drives.values())


def test_a_silent_node_fails_the_start(cfg: StationConfig, rig: EmulatedDrives) -> None:
    rig.drive("knee_right").power_off()
    st = CanopenStation(cfg, bus_factory=rig.controller)
    with pytest.raises(StationError, match="node answers knee_right"):
        st.start()
