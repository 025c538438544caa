"""A station whose hip and knee drives are CiA 402 drives on CANopen.

Start-up (:meth:`CanopenStation.start`): every bus up, NMT reset and every node's boot-up,
SDO checks and configuration (device type, cyclic synchronous torque 6060h = 10, torque
limit, quick stop option, heartbeats, PDO mapping), NMT start, then the start-up checks
(:attr:`CanopenStation.checks`: every node answers on its PDOs, no drive in fault, STO
released, brakes holding, joints inside their end stops). Only when every check passed are
the drives walked through the CiA 402 state machine to operation enabled; a drive that will
not enable leaves every drive torque-free and the start fails with its name and state.

Each tick (:meth:`CanopenStation.step`): one RPDO per drive (controlword, target torque),
SYNC on every bus, then the TPDOs (statusword, torque, position; velocity, digital inputs;
every 100th SYNC temperature and current) are awaited until the PDO deadline. The Sample
carries what came over CAN; the station's other devices (harness, belt, force plates, EMG,
stop buttons) come from its :class:`Peripherals`.

Bus faults are reported to the safety supervisor the way every station reports device
faults, in ``fault_word`` (the supervisor runs unchanged): a drive's heartbeat lost, its
PDOs missing or late (past the deadline) ``pdo_missed_ticks_fault`` ticks more often than on
time (a leaky count: one lost frame now and then is held over, a drive that keeps falling
behind is lost; without a SYNC counter in the PDOs a late frame is only seen as a gap), or
the controller
bus-off is ``COMMUNICATION`` (and every drive is switched torque-free at once, since a drive
that cannot be reached cannot be controlled); an EMCY is the fault its error code means
(:func:`~gaitway.station.canopen.cia402.emcy_meaning`), recorded with that meaning; an active
safe-torque-off input is ``SAFE_TORQUE_OFF`` (read from the drive's digital inputs, EMCY or
not), a drive in FAULT that named no cause ``DRIVE_FAULT``. The joint angles are encoder counts
that repeat at rest (:attr:`CanopenStation.quantised_channels`): their freshness is the PDOs'.
:meth:`quick_stop` is the drives' controlled stop (605Ah), :meth:`torque_off` the immediate one.
"""

from __future__ import annotations

import contextlib
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

import can
import canopen
import numpy as np
import numpy.typing as npt
from canopen.emcy import EmcyError

from gaitway.station.canopen import cia402 as c
from gaitway.station.canopen.cia402 import Controlword, DriveState, decode_statusword
from gaitway.station.canopen.config import JOINT_NAMES, BusConfig, DriveConfig, StationConfig
from gaitway.station.canopen.od import (
    RPDO1,
    TPDO1,
    TPDO2,
    TPDO3,
    TPDO3_EVERY_SYNCS,
    cia402_dictionary,
    mapping_entry,
)
from gaitway.station.channels import N_SAMPLE_CHANNELS, SAMPLE_CHANNEL_NAMES, SAMPLE_INDEX
from gaitway.station.interface import (
    Command,
    FaultBit,
    Sample,
    Station,
    StationError,
    StationEvent,
    TruthSource,
)

FloatArray = npt.NDArray[np.float64]
_I = SAMPLE_INDEX
_TPDO1 = struct.Struct("<HhI")
_TPDO1S = struct.Struct("<Hhi")
_TPDO2 = struct.Struct("<iI")
_TPDO3 = struct.Struct("<hh")
_RPDO1 = struct.Struct("<Hh")
#: how long start-up waits for boot-ups, and for each drive to reach a state
BOOT_TIMEOUT_S: Final[float] = 2.0
ENABLE_TIMEOUT_S: Final[float] = 0.5
#: how long an SDO answer may take: a drive answers in milliseconds, but a loaded host running
#: emulated drives may not (canopen's default, 0.3 s, failed start-ups under CI load)
SDO_TIMEOUT_S: Final[float] = 2.0
#: how long stop() lets the quick stop ramp the drives down before switching torque off
QUICK_STOP_TIMEOUT_S: Final[float] = 0.5
_DRIVE_BITS: Final[int] = int(FaultBit.DRIVE_OVERCURRENT | FaultBit.DRIVE_OVERTEMPERATURE
                              | FaultBit.ENCODER_MISMATCH | FaultBit.COMMUNICATION
                              | FaultBit.SAFE_TORQUE_OFF | FaultBit.DRIVE_FAULT)
_NAN: Final[float] = float("nan")
#: what the drives measure in encoder counts: at rest these repeat bit for bit
_QUANTISED: Final[frozenset[str]] = frozenset(
    f"{j}_{q}_{s}" for j in ("hip", "knee") for s in ("left", "right")
    for q in ("angle", "motor_angle", "velocity"))


class Peripherals(Protocol):
    """The station's devices that are not CiA 402 drives on the bus: harness winch, belt,
    force plates, EMG, IMU, emergency stop and the patient's button. ``sample`` carries
    their channels (the drive channels in it are overwritten by what came over CAN)."""

    simulated: bool
    #: their channels that repeat bit for bit at rest (see Station.quantised_channels)
    quantised_channels: frozenset[str]

    def start(self) -> Sample: ...

    def command(self, harness_force: float, belt_speed: float) -> None: ...

    @property
    def sample(self) -> Sample: ...

    def engage_belt_brake(self) -> None: ...

    def release_belt_brake(self) -> None: ...

    def stop(self) -> None: ...

    @property
    def body_mass_kg(self) -> float: ...

    def truth_source(self) -> TruthSource | None:
        """Who knows the ground truth behind ``sample`` (a simulation), or None."""

    def drain_events(self) -> Sequence[StationEvent]:
        """What the devices reported since the last call (a virtual patient's button)."""


class NoPeripherals:
    """Drives only (commissioning, benchmarks): every other channel reads 0."""

    simulated = False
    body_mass_kg = 75.0
    #: no device: every channel reads a constant 0, which is no frozen sensor
    quantised_channels: frozenset[str] = frozenset(SAMPLE_CHANNEL_NAMES[1:])

    def __init__(self) -> None:
        self._sample = Sample(np.zeros(N_SAMPLE_CHANNELS))

    def start(self) -> Sample:
        return self._sample

    def command(self, harness_force: float, belt_speed: float) -> None:
        pass

    @property
    def sample(self) -> Sample:
        return self._sample

    def engage_belt_brake(self) -> None:
        pass

    def release_belt_brake(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def truth_source(self) -> None:
        return None

    def drain_events(self) -> tuple[()]:
        return ()


@dataclass(frozen=True, slots=True)
class StartupCheck:
    """One commissioning / start-up check and its result."""

    name: str
    joint: str  # "" for the whole station
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class BusEvent:
    """Something the bus reported (an EMCY, a lost heartbeat, missing PDOs, bus-off)."""

    time_s: float
    kind: str
    details: str
    source: str = "station"


BusFactory = Callable[[BusConfig], can.BusABC]


def open_bus(bus: BusConfig) -> can.BusABC:
    """A python-can bus for a configured bus (socketcan, pcan, kvaser, virtual, ...)."""
    kwargs: dict[str, Any] = {"interface": bus.interface, "channel": bus.channel}
    if bus.interface != "virtual":
        kwargs["bitrate"] = bus.bitrate
    else:
        kwargs["receive_own_messages"] = False
    try:
        return can.Bus(**kwargs)
    except (can.CanError, OSError, ValueError, ImportError) as exc:
        raise StationError(f"CAN bus {bus.name} ({bus.interface} {bus.channel}) is not "
                           f"available: {exc}") from None


class _Drive:
    """The master's view of one drive: its node, and what its last PDOs said."""

    def __init__(self, cfg: DriveConfig, k: int, network: canopen.Network) -> None:
        self.cfg = cfg
        self.k = k
        self.network = network
        od = (canopen.import_od(str(cfg.eds), cfg.node_id) if cfg.eds is not None
              else cia402_dictionary(cfg.node_id))
        self.node = canopen.RemoteNode(cfg.node_id, od)
        self.node.sdo.RESPONSE_TIMEOUT = SDO_TIMEOUT_S
        network.add_node(self.node)
        self.statusword = 0
        self.torque_permille = 0
        self.position_counts = 0
        self.velocity_counts = 0
        self.inputs = 0
        self.temperature_c = float("nan")
        self.current_permille = 0
        self.heartbeat_at = time.monotonic()
        self.nmt_state = -1
        self.booted = threading.Event()
        self.seen_tpdo1 = False
        self.seen_tpdo2 = False
        self.missed = 0
        self.missed_total = 0
        self.emcy_bits = 0
        self.controlword = int(Controlword.DISABLE_VOLTAGE)
        self.lock_out = False  # torque off for good (unreachable drive)

    @property
    def state(self) -> DriveState:
        return decode_statusword(self.statusword)

    @property
    def sto(self) -> bool:
        return bool(self.inputs >> self.cfg.sto_input_bit & 1)

    @property
    def brake(self) -> bool:
        return bool(self.inputs >> self.cfg.brake_input_bit & 1)

    @property
    def name(self) -> str:
        return f"{self.cfg.joint} (node {self.cfg.node_id} on bus {self.cfg.bus})"


class CanopenStation(Station):
    """Hip and knee drives on CANopen (CiA 402, cyclic synchronous torque) behind the
    :class:`Station` interface; see the module docstring for the sequence and the faults."""

    def __init__(self, config: StationConfig, peripherals: Peripherals | None = None, *,
                 bus_factory: BusFactory = open_bus, deadline_s: float | None = None,
                 on_close: Callable[[], None] | None = None) -> None:
        """``on_close``: called last by :meth:`stop` (emulated drives shut down with it)."""
        super().__init__()
        self.config = config
        self._on_close = on_close
        self.peripherals: Peripherals = peripherals or NoPeripherals()
        self.simulated = self.peripherals.simulated
        self.dt = config.dt_s
        self._bus_factory = bus_factory
        self.deadline_s = deadline_s if deadline_s is not None else config.pdo_deadline_ms / 1e3
        self._networks: dict[str, canopen.Network] = {}
        self._drives: list[_Drive] = []
        self._cond = threading.Condition()
        self._expected = 0
        self._arrived = 0
        self._bus_off: set[str] = set()
        self._events: list[BusEvent] = []
        self._fault_bits = 0
        self._ticks = 0
        self._stopped = False
        self._master_hb: dict[str, Any] = {}
        self.checks: list[StartupCheck] = []
        self.round_trips_s: list[float] = []
        self.record_round_trips = False
        self._torque_on = False
        self._t_scale = [0.0] * 4
        self._tq_limit = [0] * 4
        self._idx = {name: [_I[f"{j}_{name}_{s}"] for j in ("hip", "knee")
                            for s in ("left", "right")]
                     for name in ("angle", "velocity", "torque", "motor_angle", "drive_current",
                                  "drive_temperature", "sto", "brake")}

    # -- Station -----------------------------------------------------------------------------
    @property
    def quantised_channels(self) -> frozenset[str]:
        """The joint angles and velocities: encoder counts, which repeat at rest; their
        freshness is the PDOs' arrival, counted each SYNC (``pdo_missed_ticks_fault``); and
        the peripherals' own."""
        return _QUANTISED | self.peripherals.quantised_channels

    @property
    def body_mass_kg(self) -> float:
        return self.peripherals.body_mass_kg

    def truth_source(self) -> TruthSource | None:
        """The peripherals' simulation (the twin's truth), if they are one."""
        return self.peripherals.truth_source()

    def drain_events(self) -> list[StationEvent]:
        """Bus events and the peripherals' events (the virtual patient's) since last call."""
        out: list[StationEvent] = list(self._events)
        self._events.clear()
        out.extend(self.peripherals.drain_events())
        return out

    def engage_belt_brake(self) -> None:
        self.peripherals.engage_belt_brake()

    def release_belt_brake(self) -> None:
        self.peripherals.release_belt_brake()

    def start(self) -> Sample:
        if self._stopped:
            raise StationError("this station was stopped; create a new one for a new session")
        if self._running:
            raise StationError("station already started")
        try:
            self.commission()
            return self.enable()
        except BaseException:
            self._shutdown()
            raise

    def enable(self) -> Sample:
        """Enable the drives of a commissioned station, only if every check passed (what
        :meth:`start` does after :meth:`commission`); returns the first Sample."""
        failed = [ch for ch in self.checks if not ch.passed]
        if failed or not self.checks:
            why = (f"{failed[0].name} {failed[0].joint}: {failed[0].detail}".replace("  ", " ")
                   if failed else "the station was not commissioned")
            raise StationError(f"start-up check failed, no drive enabled: {why}")
        self._enable_all()
        self._running = True
        self._ticks = 0
        for d in self._drives:  # count PDO misses of the session, not of the start-up
            d.missed_total = 0
        self._last = self._compose(self.peripherals.start())
        return self._last

    def commission(self) -> list[StartupCheck]:
        """Bus up, nodes booted and configured, PDOs running with every drive torque-free;
        then the start-up checks (stored in :attr:`checks` and returned)."""
        cfg = self.config
        self.checks = []
        order = {j: k for k, j in enumerate(JOINT_NAMES)}
        for b in cfg.buses:
            net = canopen.Network(self._bus_factory(b))
            net.connect()
            self._networks[b.name] = net
        self.checks.append(StartupCheck("bus up", "", True,
                                        ", ".join(f"{b.name}: {b.interface} {b.channel}, "
                                                  f"{cfg.bus_load(b.name):.0%} load"
                                                  for b in cfg.buses)))
        self._drives = sorted((_Drive(d, order[d.joint], self._networks[d.bus])
                               for d in cfg.drives), key=lambda x: x.k)
        for d in self._drives:
            d.node.nmt.add_heartbeat_callback(self._heartbeat_cb(d))
            d.node.emcy.add_callback(self._emcy_cb(d))
        for d in self._drives:  # reset communication, then wait for every boot-up
            d.booted.clear()
            d.node.nmt.send_command(0x82)
        end = time.monotonic() + BOOT_TIMEOUT_S
        for d in self._drives:
            ok = d.booted.wait(max(end - time.monotonic(), 0.0))
            why = "boot-up received" if ok else (f"no boot-up within {BOOT_TIMEOUT_S:g} s: "
                                                 "check power, wiring, node id and bit rate")
            self.checks.append(StartupCheck("node answers", d.cfg.joint, ok, why))
        if not all(ch.passed for ch in self.checks):
            return self.checks
        for d in self._drives:
            self.checks.extend(self._configure(d))
        if not all(ch.passed for ch in self.checks):
            return self.checks
        for name, net in self._networks.items():
            self._master_hb[name] = net.send_periodic(0x700 + cfg.master_node_id, b"\x05",
                                                   cfg.heartbeat_producer_ms / 1000.0)
        for d in self._drives:
            for n, cob in ((1, 0x180), (2, 0x280), (3, 0x380)):
                d.network.subscribe(cob + d.cfg.node_id, self._tpdo_handler(d, n))
            d.node.nmt.send_command(0x01)  # operational
        time.sleep(0.01)
        ok = self._cycle(Command(), enable=False)
        self.checks.append(StartupCheck("PDOs answer", "", ok,
                                        "every drive answers each SYNC" if ok else
                                        "some drives did not answer SYNC within the deadline: "
                                        + ", ".join(d.cfg.joint for d in self._drives
                                                    if not (d.seen_tpdo1 and d.seen_tpdo2))))
        self.checks.extend(self._state_checks())
        return self.checks

    # -- configuration by SDO ---------------------------------------------------------------
    def _configure(self, d: _Drive) -> list[StartupCheck]:
        cfg, sdo, j = d.cfg, d.node.sdo, d.cfg.joint
        out: list[StartupCheck] = []
        try:
            dev = int(sdo[c.DEVICE_TYPE].raw)
            if dev & 0xFFFF != 0x0192:
                return [StartupCheck("CiA 402 drive", j, False,
                                     f"device type 0x{dev:08X} is not a CiA 402 drive")]
            modes = int(sdo[c.SUPPORTED_MODES].raw)
            if not modes & c.SUPPORTS_CST:
                return [StartupCheck("CiA 402 drive", j, False,
                                     "the drive does not support cyclic synchronous torque")]
            out.append(StartupCheck("CiA 402 drive", j, True,
                                    f"device type 0x{dev:08X}, cyclic synchronous torque"))
            rated = int(sdo[c.RATED_TORQUE].raw)
            want = round(cfg.rated_torque_nm * 1000.0)
            enc = int(sdo[c.ENCODER_RESOLUTION][1].raw)
            if abs(rated - want) > max(1, want // 100) or enc != cfg.encoder_counts_per_rev:
                out.append(StartupCheck(
                    "drive matches config", j, False,
                    f"drive says rated torque {rated} mN*m and {enc} counts/rev, the config "
                    f"{want} mN*m and {cfg.encoder_counts_per_rev}: correct the config"))
                return out
            out.append(StartupCheck("drive matches config", j, True,
                                    f"rated torque {rated} mN*m, {enc} counts/rev"))
            limit = round(1000.0 * cfg.current_limit_a / cfg.rated_current_a)
            sdo[c.MAX_TORQUE].raw = limit
            sdo[c.QUICK_STOP_OPTION].raw = c.QUICK_STOP_RAMP_THEN_DISABLE
            sdo[c.MODES_OF_OPERATION].raw = c.MODE_CST
            sdo[c.COMM_CYCLE_PERIOD].raw = round(self.dt * 1e6)
            sdo[c.PRODUCER_HEARTBEAT].raw = self.config.heartbeat_producer_ms
            sdo[c.CONSUMER_HEARTBEAT][1].raw = ((self.config.master_node_id << 16)
                                                | self.config.heartbeat_consumer_ms)
            self._map(d, c.RPDO_COMM, c.RPDO_MAP, 0, 0x200, RPDO1, 1)
            self._map(d, c.TPDO_COMM, c.TPDO_MAP, 0, 0x180, TPDO1, 1)
            self._map(d, c.TPDO_COMM, c.TPDO_MAP, 1, 0x280, TPDO2, 1)
            self._map(d, c.TPDO_COMM, c.TPDO_MAP, 2, 0x380, TPDO3, TPDO3_EVERY_SYNCS)
            for k in (1, 2, 3):
                sdo[c.RPDO_COMM + k][1].raw = 0x8000_0000 | ((0x200 + 0x100 * k) + cfg.node_id)
            sdo[c.TPDO_COMM + 3][1].raw = 0x8000_0000 | (0x480 + cfg.node_id)
            mode = int(sdo[c.MODES_DISPLAY].raw)
            out.append(StartupCheck("cyclic synchronous torque", j, mode == c.MODE_CST,
                                    f"6061h reads {mode}"))
        except (canopen.SdoCommunicationError, canopen.SdoAbortedError) as exc:
            out.append(StartupCheck("SDO configuration", j, False, f"{exc}"))
            return out
        self._t_scale[d.k] = 1.0 / cfg.joint_nm_per_permille
        self._tq_limit[d.k] = limit
        out.append(StartupCheck("SDO configuration", j, True,
                                f"torque limit {cfg.peak_torque_nm:.0f} N*m, heartbeat "
                                f"{self.config.heartbeat_producer_ms} ms, PDOs mapped"))
        return out

    @staticmethod
    def _map(d: _Drive, comm: int, mapping: int, k: int, base: int,
             objects: tuple[tuple[int, int], ...], every: int) -> None:
        sdo = d.node.sdo
        cob = base + d.cfg.node_id
        sdo[comm + k][1].raw = 0x8000_0000 | cob  # invalid while it changes (CiA 301)
        sdo[mapping + k][0].raw = 0
        for s, (index, bits) in enumerate(objects, 1):
            sdo[mapping + k][s].raw = mapping_entry(index, 0, bits)
        sdo[mapping + k][0].raw = len(objects)
        sdo[comm + k][2].raw = every
        sdo[comm + k][1].raw = cob

    def _state_checks(self) -> list[StartupCheck]:
        out = []
        limits = self.config.limits()
        for d in self._drives:
            j, st = d.cfg.joint, d.state
            why = f"state {st.value}"
            if st is DriveState.FAULT:
                why += f", error 0x{int(d.node.sdo[c.ERROR_CODE].raw):04X}: reset it on the drive"
            out.append(StartupCheck("no drive fault", j, st is not DriveState.FAULT, why))
            out.append(StartupCheck("STO released", j, not d.sto,
                                    "safe-torque-off input active: release the STO circuit"
                                    if d.sto else "STO input inactive"))
            out.append(StartupCheck("brake holds while disabled", j, d.brake,
                                    "holding brake engaged" if d.brake else
                                    "the brake reads released while the drive is disabled"))
            angle = d.position_counts * d.cfg.rad_per_count
            stop = limits.hip_stop_rad if d.cfg.kind == "hip" else limits.knee_stop_rad
            if stop is not None:
                inside = stop[0] <= angle <= stop[1]
                out.append(StartupCheck("inside end stops", j, inside,
                                        f"{angle:+.3f} rad, end stops {stop[0]:+.2f}.."
                                        f"{stop[1]:+.2f} rad" + ("" if inside else
                                                                 ": check the direction sign "
                                                                 "and the zero")))
        return out

    # -- enabling ----------------------------------------------------------------------------
    def _enable_all(self) -> None:
        """Walk every drive to operation enabled (after the checks passed); any that will not
        get there within ENABLE_TIMEOUT_S leaves every drive torque-free."""
        end = time.monotonic() + ENABLE_TIMEOUT_S
        while True:
            states = [d.state for d in self._drives]
            if all(s is DriveState.OPERATION_ENABLED for s in states):
                break
            if time.monotonic() > end:
                stuck = [d for d in self._drives if d.state is not DriveState.OPERATION_ENABLED]
                where = stuck[0].state.value
                self.torque_off()
                self._cycle(Command(), enable=False)
                raise StationError(
                    f"drive {stuck[0].name} refused to enable: it stays in {where}; every "
                    "drive was left torque-free")
            for d in self._drives:
                step = c.ENABLE_PATH.get(d.state)
                d.controlword = int(step) if step is not None else d.controlword
                if d.state is DriveState.FAULT:  # fault reset needs a rising edge
                    d.controlword = (int(Controlword.FAULT_RESET)
                                     if d.controlword != Controlword.FAULT_RESET
                                     else int(Controlword.DISABLE_VOLTAGE))
            self._cycle(Command(), enable=None)
        self._torque_on = True
        for d in self._drives:
            d.controlword = int(Controlword.ENABLE_OPERATION)
        for b in self._networks:
            self._events.append(BusEvent(self._ticks * self.dt, "drives_enabled", f"bus {b}"))

    def drives_torque_off(self) -> None:
        """The supervisor's immediate stop: :meth:`torque_off`."""
        self.torque_off()

    def drives_enable(self) -> None:
        """After an acknowledged stop: walk the drives back to operation enabled (a drive
        that will not leaves every drive torque-free and raises StationError)."""
        if self._running and not self._torque_on:
            self._enable_all()

    def torque_off(self) -> None:
        """Immediate stop at the drives: disable voltage, torque gone at once, brakes hold."""
        self._torque_on = False
        for d in self._drives:
            d.controlword = int(Controlword.DISABLE_VOLTAGE)
        self._send_controlwords()

    def quick_stop(self) -> None:
        """Controlled stop at the drives: each ramps down on its quick stop ramp (605Ah = 2)
        and then disables."""
        self._torque_on = False
        for d in self._drives:
            d.controlword = int(Controlword.QUICK_STOP)
        self._send_controlwords()

    def _send_controlwords(self) -> None:
        for d in self._drives:
            if d.cfg.bus in self._bus_off:
                continue
            try:
                d.network.send_message(0x200 + d.cfg.node_id, _RPDO1.pack(d.controlword, 0))
            except can.CanError:
                self._bus_is_off(d.cfg.bus)

    # -- per tick ----------------------------------------------------------------------------
    def step(self, command: Command) -> Sample:
        if not self._running:
            raise StationError("station is not running: use it as 'with station:' or call start()")
        self.peripherals.command(command.harness_force, command.belt_speed)
        self._cycle(command, enable=True)
        self._ticks += 1
        self._check_heartbeats()
        self._last = self._compose(self.peripherals.sample)
        return self._last

    def _cycle(self, command: Command, *, enable: bool | None) -> bool:
        """One SYNC round: RPDOs out, SYNC out, TPDOs in until the deadline. ``enable``:
        True sends the command's torques, False torque-free controlwords, None the drives'
        current controlwords with zero torque. Returns whether every drive answered."""
        drives = self._drives
        with self._cond:
            self._arrived = 0
            self._expected = 0
            for d in drives:
                d.seen_tpdo1 = d.seen_tpdo2 = False
                if d.cfg.bus not in self._bus_off and not d.lock_out:
                    self._expected += 2  # a lost drive is not waited for each tick
        t0 = time.perf_counter()
        for d in drives:
            if d.cfg.bus in self._bus_off:
                continue
            if enable is True and self._torque_on and not d.lock_out:
                tq = command[d.k]
                if tq != tq:
                    tq = 0.0
                lim = self._tq_limit[d.k]
                target = round(tq * self._t_scale[d.k])
                target = lim if target > lim else (-lim if target < -lim else target)
                cw = d.controlword
            elif enable is False:
                target, cw = 0, int(Controlword.DISABLE_VOLTAGE)
            else:
                target, cw = 0, d.controlword
            try:
                d.network.send_message(0x200 + d.cfg.node_id, _RPDO1.pack(cw, target))
            except can.CanError:
                self._bus_is_off(d.cfg.bus)
        for name, net in self._networks.items():
            if name in self._bus_off:
                continue
            try:
                net.send_message(0x80, b"")
            except can.CanError:
                self._bus_is_off(name)
        with self._cond:
            if self._arrived < self._expected:
                self._cond.wait_for(lambda: self._arrived >= self._expected, self.deadline_s)
            complete = self._arrived >= self._expected
        if self.record_round_trips:
            self.round_trips_s.append(time.perf_counter() - t0)
        if not complete:
            self._count_missing()
        else:
            for d in drives:
                if d.missed:
                    d.missed -= 1
        return complete and not self._bus_off

    def _tpdo_handler(self, d: _Drive, n: int) -> Callable[[int, bytearray, float], None]:
        def on(can_id: int, data: bytearray, ts: float) -> None:
            self._on_tpdo(d, n, data)
        return on

    def _on_tpdo(self, d: _Drive, n: int, data: bytearray) -> None:
        if n == 1:
            d.statusword, d.torque_permille, d.position_counts = _TPDO1S.unpack_from(data)
            first = not d.seen_tpdo1
            d.seen_tpdo1 = True
        elif n == 2:
            d.velocity_counts, d.inputs = _TPDO2.unpack_from(data)
            first = not d.seen_tpdo2
            d.seen_tpdo2 = True
        else:
            temp, d.current_permille = _TPDO3.unpack_from(data)
            d.temperature_c = temp / 10.0
            return
        if first:
            with self._cond:
                self._arrived += 1
                if self._arrived >= self._expected:
                    self._cond.notify()

    def _count_missing(self) -> None:
        limit = self.config.pdo_missed_ticks_fault
        t = self._ticks * self.dt
        for d in self._drives:
            if d.seen_tpdo1 and d.seen_tpdo2:
                if d.missed:
                    d.missed -= 1
                continue
            d.missed += 1
            d.missed_total += 1
            if d.missed == 1:
                self._events.append(BusEvent(t, "pdo_late", f"{d.name}: no TPDO within "
                                             f"{self.deadline_s * 1e3:.1f} ms; last values "
                                             "held"))
            if d.missed >= limit and not d.lock_out:
                self._lose(d, t, f"{d.name}: PDOs missing or late {limit} ticks more than on "
                           "time")

    def _lose(self, d: _Drive, t: float, why: str) -> None:
        """A drive that cannot be reached: communication fault, every drive torque-free."""
        d.lock_out = True
        self._fault_bits |= int(FaultBit.COMMUNICATION)
        self._events.append(BusEvent(t, "communication_lost", why))
        if self._running:
            self.torque_off()

    def _bus_is_off(self, bus: str) -> None:
        if bus in self._bus_off:
            return
        self._bus_off.add(bus)
        task = self._master_hb.pop(bus, None)
        if task is not None:
            task.stop()
        t = self._ticks * self.dt
        self._fault_bits |= int(FaultBit.COMMUNICATION)
        self._events.append(BusEvent(t, "bus_off", f"CAN controller of bus {bus} is bus-off; "
                                     "its drives stop on losing the master's heartbeat"))
        for d in self._drives:
            if d.cfg.bus == bus:
                d.lock_out = True
        if self._running:
            self.torque_off()

    def _heartbeat_cb(self, d: _Drive) -> Callable[[int], None]:
        def on(state: int) -> None:
            d.heartbeat_at = time.monotonic()
            d.nmt_state = state
            if state == 0:
                d.booted.set()
        return on

    def _emcy_cb(self, d: _Drive) -> Callable[[EmcyError], None]:
        def on(err: EmcyError) -> None:
            meaning, bit = c.emcy_meaning(err.code)
            # 0000h: the drive's errors were reset (CiA 301); any other code adds its fault
            d.emcy_bits = 0 if err.code == 0 else d.emcy_bits | int(bit)
            self._events.append(BusEvent(self._ticks * self.dt, "emcy",
                                         f"{d.name}: EMCY 0x{err.code:04X} {meaning}"))
        return on

    def _check_heartbeats(self) -> None:
        if self._ticks % 10:
            return
        now = time.monotonic()
        timeout = self.config.heartbeat_consumer_ms / 1000.0
        for d in self._drives:
            if not d.lock_out and now - d.heartbeat_at > timeout:
                self._lose(d, self._ticks * self.dt, f"{d.name}: no heartbeat for "
                           f"{(now - d.heartbeat_at) * 1e3:.0f} ms")

    def _compose(self, base: Sample) -> Sample:
        v = base.values.copy()
        ix = self._idx
        bits = self._fault_bits
        for d in self._drives:
            k, cfg = d.k, d.cfg
            if d.lock_out:  # lost: what it last said is no reading (NaN: a signal lost)
                for name in ("angle", "motor_angle", "velocity", "torque", "drive_current",
                             "drive_temperature"):
                    v[ix[name][k]] = _NAN
                continue
            ang = d.position_counts * cfg.rad_per_count
            tq = d.torque_permille * cfg.joint_nm_per_permille
            v[ix["angle"][k]] = ang
            v[ix["motor_angle"][k]] = ang
            v[ix["velocity"][k]] = d.velocity_counts * cfg.rad_per_count
            v[ix["torque"][k]] = tq
            v[ix["drive_current"][k]] = abs(tq) * cfg.amps_per_joint_nm
            if d.temperature_c == d.temperature_c:
                v[ix["drive_temperature"][k]] = d.temperature_c
            v[ix["sto"][k]] = 1.0 if d.sto else 0.0
            v[ix["brake"][k]] = 1.0 if d.brake else 0.0
            if d.sto:  # the input itself: named whether or not the drive sent its EMCY
                bits |= int(FaultBit.SAFE_TORQUE_OFF)
            if d.state is DriveState.FAULT:  # named by its EMCY; an unnamed drive fault if none
                bits |= d.emcy_bits or int(FaultBit.SAFE_TORQUE_OFF if d.sto
                                           else FaultBit.DRIVE_FAULT)
        fw = _I["fault_word"]
        v[fw] = float(bits | (int(v[fw]) & ~_DRIVE_BITS)) if (bits or v[fw]) else 0.0
        v[0] = self._ticks * self.dt
        return Sample.trusted(v)

    # -- stop --------------------------------------------------------------------------------
    def stop(self) -> None:
        """A quick stop if the drives are enabled and reachable, then torque off, NMT
        pre-operational, heartbeats stopped, buses closed; the peripherals' safe stop."""
        if self._stopped:
            return
        try:
            if self._running and self._torque_on and not self._bus_off:
                self.quick_stop()
                end = time.monotonic() + QUICK_STOP_TIMEOUT_S
                while time.monotonic() < end:
                    self._cycle(Command(), enable=None)
                    if all(not d.state.torque_on for d in self._drives):
                        break
            if self._drives and self._networks:
                self.torque_off()
                self._cycle(Command(), enable=False)
        finally:
            self._running = False
            self._stopped = True
            self._shutdown()
            self.peripherals.stop()
            if self._on_close is not None:
                self._on_close()
                self._on_close = None

    def _shutdown(self) -> None:
        for task in self._master_hb.values():
            task.stop()
        self._master_hb = {}
        for d in self._drives:
            if d.cfg.bus not in self._bus_off:
                with contextlib.suppress(can.CanError):
                    d.node.nmt.send_command(0x80)
        for net in self._networks.values():
            net.disconnect()
        self._networks = {}

    # -- results -----------------------------------------------------------------------------
    def drive_states(self) -> dict[str, DriveState]:
        return {d.cfg.joint: d.state for d in self._drives}

    def object_dictionaries(self) -> dict[str, canopen.ObjectDictionary]:
        """Each drive's object dictionary as the master uses it (its EDS file's, or the
        CiA 402 one built in)."""
        return {d.cfg.joint: d.node.object_dictionary for d in self._drives}

    def pdo_misses(self) -> dict[str, int]:
        return {d.cfg.joint: d.missed_total for d in self._drives}
