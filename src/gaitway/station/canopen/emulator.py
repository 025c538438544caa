"""Emulated CiA 402 drives on python-can virtual buses, for tests, demos and benchmarks.

One :class:`EmulatedDrive` per joint serves its object dictionary over SDO (``canopen``'s
:class:`~canopen.LocalNode`), answers NMT, produces its heartbeat, consumes the master's
heartbeat, runs the CiA 402 power state machine, decodes its RPDO and sends its TPDOs on each
SYNC from the mapping the master wrote into it, and sends EMCY messages on faults. All drives
share one :class:`~gaitway.station.canopen.mechanics.Mechanics`, advanced once per SYNC tick
after every bus's SYNC arrived, so the joints move by the torques that really came over CAN.

Faults for tests (each a method): stop the heartbeat, raise an EMCY (or fault without one),
drop or delay TPDOs, refuse to enable, assert the STO input, freeze the encoder;
:meth:`EmulatedController.go_bus_off` puts the master's own CAN controller bus-off.
"""

from __future__ import annotations

import contextlib
import struct
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

import can
import canopen
from canopen.objectdictionary import ObjectDictionary, ODVariable

from gaitway.station.canopen import cia402 as c
from gaitway.station.canopen.cia402 import Controlword, DriveState
from gaitway.station.canopen.config import (
    BusConfig,
    DriveConfig,
    StationConfig,
    with_virtual_buses,
)
from gaitway.station.canopen.mechanics import LegPendulums, Mechanics, TwinMechanics
from gaitway.station.canopen.od import cia402_dictionary
from gaitway.station.canopen.station import CanopenStation
from gaitway.station.sim.twin import SimStation

_FMT: Final[dict[int, str]] = {8: "b", 16: "h", 32: "i"}
_UFMT: Final[dict[int, str]] = {8: "B", 16: "H", 32: "I"}
_UNSIGNED: Final[frozenset[int]] = frozenset({c.STATUSWORD, c.CONTROLWORD, c.DIGITAL_INPUTS,
                                              c.ERROR_CODE})
#: how often the drives look at the master's heartbeat
_WATCH_S: Final[float] = 0.01
#: quick stop: braking torque per rad/s (per mille of rated torque) and rest velocity
_QS_GAIN: Final[float] = 400.0
_QS_REST: Final[float] = 0.05


class EmulatedController(can.BusABC):
    """The master's CAN controller on a virtual bus; :meth:`go_bus_off` makes it bus-off
    (every send fails, as on a controller whose transmit error counter passed 255)."""

    def __init__(self, channel: str, **kwargs: Any) -> None:
        self._inner = can.Bus(interface="virtual", channel=channel, receive_own_messages=False)
        self.bus_off = False
        self.channel_info = f"emulated controller on {channel}"
        super().__init__(channel=channel, **kwargs)

    def go_bus_off(self) -> None:
        self.bus_off = True

    def send(self, msg: can.Message, timeout: float | None = None) -> None:
        if self.bus_off:
            raise can.CanOperationError("bus-off: the controller left the bus")
        self._inner.send(msg, timeout)

    def _recv_internal(self, timeout: float | None) -> tuple[can.Message | None, bool]:
        msg = self._inner.recv(timeout)
        if self.bus_off:
            return None, False
        return msg, False

    @property
    def state(self) -> can.BusState:
        return can.BusState.ERROR if self.bus_off else can.BusState.ACTIVE

    @state.setter
    def state(self, new_state: can.BusState) -> None:
        raise NotImplementedError("an emulated controller's state follows its faults")

    def shutdown(self) -> None:
        self._inner.shutdown()
        super().shutdown()


class EmulatedDrive:
    """One CiA 402 torque drive on an emulated bus."""

    def __init__(self, cfg: DriveConfig, k: int, rig: EmulatedDrives) -> None:
        self.cfg = cfg
        self.k = k  # index in Command order
        self.rig = rig
        rated_mnm = round(cfg.rated_torque_nm * 1000.0)
        self.od: ObjectDictionary = cia402_dictionary(
            cfg.node_id, rated_torque_mnm=rated_mnm,
            rated_current_ma=round(cfg.rated_current_a * 1000.0),
            encoder_increments=cfg.encoder_counts_per_rev)
        self.node = canopen.LocalNode(cfg.node_id, self.od)
        self.node.add_read_callback(self._on_read)  # type: ignore[no-untyped-call]
        self.node.add_write_callback(self._on_write)  # type: ignore[no-untyped-call]
        self.state = DriveState.SWITCH_ON_DISABLED
        self.mode = 0
        self.target_permille = 0
        self.controlword = 0
        self.error_code = 0
        self.torque_permille = 0.0  # applied
        self.max_torque = 1000  # 6072h, per mille of rated torque
        self.sto = False
        self.highest_state = DriveState.SWITCH_ON_DISABLED
        self.enabled_count = 0  # times operation was enabled
        self._offset_counts = 0.0
        self._mapping_dirty = True
        self._rx: tuple[struct.Struct, tuple[int, ...]] | None = None
        self._tx: list[tuple[int, int, struct.Struct, tuple[int, ...]]] = []
        self._syncs = 0
        self._master_seen = time.monotonic()
        # faults for tests
        self.heartbeat_stopped = False
        self.silent = False
        self.refuse_enable = False
        self.drop_tpdos = 0  # SYNCs left without TPDOs
        self.tpdo_delay_s = 0.0
        self.frozen_counts: int | None = None
        self.state_log: list[DriveState] = [self.state]

    # -- object dictionary --------------------------------------------------------------------
    def _on_read(self, index: int, subindex: int, od: Any) -> int | None:
        if index == c.STATUSWORD:
            return self.statusword
        if index == c.MODES_DISPLAY:
            return self.mode
        if index == c.POSITION_ACTUAL:
            return self._position_counts()
        if index == c.VELOCITY_ACTUAL:
            return self._velocity_counts()
        if index == c.TORQUE_ACTUAL:
            return round(self.torque_permille)
        if index == c.ERROR_CODE:
            return self.error_code
        if index == c.DIGITAL_INPUTS:
            return self.digital_inputs
        if index == c.WINDING_TEMPERATURE:
            return round(self.rig.mechanics.temperature(self.k) * 10.0)
        if index == c.CURRENT_ACTUAL:
            return round(self.torque_permille)  # current tracks torque (per mille of rated)
        return None

    def _on_write(self, index: int, subindex: int, od: Any, data: bytes) -> None:
        if index == c.CONTROLWORD:
            self.command(struct.unpack("<H", data)[0])
        elif index == c.MODES_OF_OPERATION:
            self.mode = struct.unpack("<b", data)[0]
        elif index == c.TARGET_TORQUE:
            self.target_permille = struct.unpack("<h", data)[0]
        elif index == c.MAX_TORQUE:
            self.max_torque = struct.unpack("<H", data)[0]
        elif 0x1400 <= index <= 0x1BFF:
            self._mapping_dirty = True

    def _param(self, index: int, sub: int = 0) -> int:
        obj = self.od[index]
        if not isinstance(obj, ODVariable):
            obj = obj[sub]
        return int(obj.decode_raw(self.node.get_data(index, sub)))

    # -- state machine ------------------------------------------------------------------------
    @property
    def statusword(self) -> int:
        word = c.STATE_BITS[self.state] | c.SW_REMOTE
        if self.state in (DriveState.READY_TO_SWITCH_ON, DriveState.SWITCHED_ON,
                          DriveState.OPERATION_ENABLED, DriveState.QUICK_STOP_ACTIVE):
            word |= c.SW_VOLTAGE_ENABLED
        return word

    @property
    def brake_engaged(self) -> bool:
        """The holding brake holds whenever the drive gives no torque."""
        return not self.state.torque_on

    @property
    def digital_inputs(self) -> int:
        word = 0
        if self.sto:
            word |= 1 << self.cfg.sto_input_bit
        if self.brake_engaged:
            word |= 1 << self.cfg.brake_input_bit
        return word

    def _set(self, state: DriveState) -> None:
        if state is not self.state:
            self.state = state
            self.state_log.append(state)
            if state is DriveState.OPERATION_ENABLED:
                self.enabled_count += 1
                self.highest_state = state

    def command(self, word: int) -> None:
        """Apply a controlword (CiA 402-2 state transitions)."""
        prev, self.controlword = self.controlword, word
        st = self.state
        if st is DriveState.FAULT:
            if word & 0x80 and not prev & 0x80 and not self.sto:
                self.error_code = 0
                self._set(DriveState.SWITCH_ON_DISABLED)
            return
        if not word & 0x02:  # disable voltage: torque off at once
            self._set(DriveState.SWITCH_ON_DISABLED)
            return
        if not word & 0x04:  # quick stop
            if st is DriveState.OPERATION_ENABLED:
                self._set(DriveState.QUICK_STOP_ACTIVE)
            elif st is not DriveState.QUICK_STOP_ACTIVE:
                self._set(DriveState.SWITCH_ON_DISABLED)
            return
        low = word & 0x0F
        if low == Controlword.SHUTDOWN and st in (DriveState.SWITCH_ON_DISABLED,
                                                  DriveState.SWITCHED_ON,
                                                  DriveState.OPERATION_ENABLED):
            self._set(DriveState.READY_TO_SWITCH_ON)
        elif low == Controlword.SWITCH_ON and st in (DriveState.READY_TO_SWITCH_ON,
                                                     DriveState.OPERATION_ENABLED):
            self._set(DriveState.SWITCHED_ON)
        elif low == Controlword.ENABLE_OPERATION and st in (DriveState.SWITCHED_ON,
                                                            DriveState.READY_TO_SWITCH_ON):
            if st is DriveState.READY_TO_SWITCH_ON:
                self._set(DriveState.SWITCHED_ON)
            if self.refuse_enable:
                return  # e.g. no DC link: stays switched on
            if self.sto:
                self.fault(c.STO_EMCY_CODE)
                return
            self._set(DriveState.OPERATION_ENABLED)

    def fault(self, code: int, *, emcy: bool = True) -> None:
        """Go to FAULT (torque off) and send an EMCY with ``code`` (``emcy`` False: the
        message is lost, the master sees only the statusword)."""
        self.error_code = code
        self._set(DriveState.FAULT)
        self.torque_permille = 0.0
        if emcy:
            with contextlib.suppress(can.CanError):
                self.node.emcy.send(code, register=0x01)

    # -- faults for tests ---------------------------------------------------------------------
    def stop_heartbeat(self) -> None:
        """The node falls silent on heartbeats (a cut cable to its heartbeat, a hung node)."""
        self.heartbeat_stopped = True
        self.node.nmt.stop_heartbeat()  # type: ignore[no-untyped-call]

    def power_off(self) -> None:
        """The node goes silent: no heartbeat, no boot-up, no SDO, no PDO (power or cable)."""
        self.silent = True
        self.stop_heartbeat()
        self.node.network.unsubscribe(self.node.sdo.rx_cobid, self.node.sdo.on_request)

    def freeze_encoder(self) -> None:
        """The position reading sticks at its last count while the joint moves on (a broken
        encoder track); the velocity reading, from the motor's other sensor, goes on."""
        self.frozen_counts = self._position_counts()

    def set_sto(self, active: bool) -> None:
        """Assert or release the safe-torque-off input: an enabled drive faults at once."""
        self.sto = active
        if active and self.state.torque_on:
            self.fault(c.STO_EMCY_CODE)

    # -- per tick -----------------------------------------------------------------------------
    def on_rpdo(self, data: bytes) -> None:
        if self._mapping_dirty or self._rx is None:
            self._build_mapping()
        if self._rx is None:
            return
        fmt, objs = self._rx
        for obj, value in zip(objs, fmt.unpack_from(data), strict=True):
            if obj == c.CONTROLWORD:
                if value != self.controlword:
                    self.command(value)
            elif obj == c.TARGET_TORQUE:
                self.target_permille = value

    def applied_torque_nm(self) -> float:
        """Joint torque this tick, from the state, the mode, the target and the limits."""
        st = self.state
        if st is DriveState.OPERATION_ENABLED and self.mode == c.MODE_CST:
            lim = self.max_torque
            self.torque_permille = float(max(-lim, min(lim, self.target_permille)))
        elif st is DriveState.QUICK_STOP_ACTIVE:
            w = self.rig.mechanics.velocity(self.k) * self.cfg.direction
            if abs(w) < _QS_REST:
                self.torque_permille = 0.0
                self._set(DriveState.SWITCH_ON_DISABLED)
            else:
                lim = self.max_torque
                self.torque_permille = max(-lim, min(lim, -_QS_GAIN * w))
        else:
            self.torque_permille = 0.0
        return self.torque_permille * self.cfg.joint_nm_per_permille

    def _position_counts(self) -> int:
        if self.frozen_counts is not None:
            return self.frozen_counts
        return round(self.rig.mechanics.angle(self.k) / self.cfg.rad_per_count)

    def _velocity_counts(self) -> int:
        return round(self.rig.mechanics.velocity(self.k) / self.cfg.rad_per_count)

    def _build_mapping(self) -> None:
        self._mapping_dirty = False
        self._rx = self._read_map(c.RPDO_COMM, c.RPDO_MAP, 0)
        self._tx = []
        for k in range(4):
            m = self._read_map(c.TPDO_COMM, c.TPDO_MAP, k)
            if m is not None:
                cob = self._param(c.TPDO_COMM + k, 1)
                ttype = self._param(c.TPDO_COMM + k, 2)
                self._tx.append((cob & 0x7FF, max(1, min(240, ttype)), m[0], m[1]))

    def _read_map(self, comm: int, mapping: int, k: int
                  ) -> tuple[struct.Struct, tuple[int, ...]] | None:
        if self._param(comm + k, 1) & 0x8000_0000:
            return None  # PDO not valid
        n = self._param(mapping + k, 0)
        fmt, objs = "<", []
        for s in range(1, n + 1):
            entry = self._param(mapping + k, s)
            index, bits = entry >> 16, entry & 0xFF
            fmt += (_UFMT if index in _UNSIGNED else _FMT)[bits]
            objs.append(index)
        return (struct.Struct(fmt), tuple(objs)) if objs else None

    def tpdos(self) -> list[can.Message]:
        """The TPDOs due at this SYNC (none while not operational or dropped)."""
        self._syncs += 1
        if self.silent or self.node.nmt.state != "OPERATIONAL":
            return []
        if self._mapping_dirty:
            self._build_mapping()
        if self.drop_tpdos > 0:
            self.drop_tpdos -= 1
            return []
        out = []
        for cob, every, fmt, objs in self._tx:
            if self._syncs % every:
                continue
            values = [self._on_read(o, 0, None) for o in objs]
            out.append(can.Message(arbitration_id=cob, data=fmt.pack(*values),
                                   is_extended_id=False))
        return out

    def watch_master(self, now: float) -> None:
        """The heartbeat consumer (1016h): the master silent too long -> fault, torque off."""
        entry = self._param(c.CONSUMER_HEARTBEAT, 1)
        period_ms = entry & 0xFFFF
        if period_ms and self.state.torque_on and now - self._master_seen > period_ms / 1000.0:
            self.fault(0x8130)

    def on_master_heartbeat(self) -> None:
        self._master_seen = time.monotonic()


class _BusSide:
    """The emulated drives of one bus: their canopen network and message handlers."""

    def __init__(self, bus: BusConfig, drives: list[EmulatedDrive], rig: EmulatedDrives) -> None:
        self.cfg = bus
        self.drives = drives
        self.rig = rig
        self.network = canopen.Network()
        self.network.connect(interface="virtual", channel=bus.channel,
                             receive_own_messages=False)
        for d in drives:
            self.network.add_node(d.node)
            self.network.subscribe(0x200 + d.cfg.node_id, self._rpdo_handler(d))
            self.network.subscribe(0, self._nmt_handler(d))
        self.network.subscribe(0x80, self._on_sync)
        self.network.subscribe(0x700 + rig.config.master_node_id, self._on_master_hb)
        self.syncs = 0

    @staticmethod
    def _rpdo_handler(d: EmulatedDrive) -> Callable[[int, bytearray, float], None]:
        def on(can_id: int, data: bytearray, ts: float) -> None:
            d.on_rpdo(bytes(data))
        return on

    @staticmethod
    def _nmt_handler(d: EmulatedDrive) -> Callable[[int, bytearray, float], None]:
        def on(can_id: int, data: bytearray, ts: float) -> None:
            cmd, node = data[0], data[1]
            if node not in (0, d.cfg.node_id) or d.silent:
                return
            if cmd in (0x81, 0x82):  # reset: boot-up, then pre-operational with heartbeat
                d.command(Controlword.DISABLE_VOLTAGE)
                d.node.nmt.send_command(0x81)
                if not d.heartbeat_stopped:
                    d.node.nmt.send_command(0x80)
        return on

    def _on_master_hb(self, can_id: int, data: bytearray, ts: float) -> None:
        for d in self.drives:
            d.on_master_heartbeat()

    def _on_sync(self, can_id: int, data: bytearray, ts: float) -> None:
        self.syncs += 1
        self.rig.sync_arrived(self)

    def send_tpdos(self) -> None:
        for d in self.drives:
            msgs = d.tpdos()
            if msgs and d.tpdo_delay_s > 0.0:
                time.sleep(d.tpdo_delay_s)
            bus = self.network.bus
            for m in msgs:
                try:
                    if bus is not None:
                        bus.send(m)
                except can.CanError:
                    return

    def close(self) -> None:
        for d in self.drives:
            d.node.nmt.stop_heartbeat()  # type: ignore[no-untyped-call]
        self.network.disconnect()


class EmulatedDrives:
    """Emulated drives for every drive of a station config, on virtual buses, around one
    mechanical model. Use as a context manager; give :meth:`controller` to the station as
    its bus factory so that tests can put the master's controller bus-off."""

    def __init__(self, config: StationConfig, mechanics: Mechanics) -> None:
        self.config = config
        self.mechanics = mechanics
        self.drives: dict[str, EmulatedDrive] = {}
        order = {j: k for k, j in enumerate(("hip_left", "hip_right", "knee_left",
                                             "knee_right"))}
        for d in config.drives:
            self.drives[d.joint] = EmulatedDrive(d, order[d.joint], self)
        self._sides: list[_BusSide] = []
        self.controllers: dict[str, EmulatedController] = {}
        self._lock = threading.Lock()
        self._tick_syncs = 0
        self.ticks = 0
        self._watch: threading.Thread | None = None
        self._stop = threading.Event()
        self._torques = [0.0] * 4
        self._brakes = [True] * 4

    def drive(self, joint: str) -> EmulatedDrive:
        return self.drives[joint]

    def start(self) -> EmulatedDrives:
        for b in self.config.buses:
            drives = [d for d in self.drives.values() if d.cfg.bus == b.name]
            self._sides.append(_BusSide(b, drives, self))
        for side in self._sides:  # power on: boot-up, pre-operational, heartbeat
            for d in side.drives:
                d.node.nmt.send_command(0x81)
                d.node.nmt.send_command(0x80)
        self._watch = threading.Thread(target=self._watch_masters, name="emulated-drives",
                                       daemon=True)
        self._watch.start()
        return self

    def __enter__(self) -> EmulatedDrives:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.join(timeout=1.0)
        for side in self._sides:
            side.close()
        self._sides = []

    def controller(self, bus: BusConfig) -> EmulatedController:
        """The master's CAN controller for ``bus`` (the station's bus factory)."""
        ctl = EmulatedController(bus.channel)
        self.controllers[bus.name] = ctl
        return ctl

    def sync_arrived(self, side: _BusSide) -> None:
        """Every bus's SYNC of a tick in: advance the mechanics once, then every bus's
        drives answer with their TPDOs. A bus whose master controller is bus-off sends no
        SYNC and is not waited for."""
        with self._lock:
            self._tick_syncs += 1
            live = sum(1 for s in self._sides
                       if not (s.cfg.name in self.controllers
                               and self.controllers[s.cfg.name].bus_off))
            if self._tick_syncs < live:
                return
            self._tick_syncs = 0
            torques, brakes = self._torques, self._brakes
            for d in self.drives.values():
                torques[d.k] = d.applied_torque_nm()
                brakes[d.k] = d.brake_engaged
            self.mechanics.advance(torques, brakes)
            self.ticks += 1
            for s in self._sides:
                s.send_tpdos()

    def _watch_masters(self) -> None:
        while not self._stop.wait(_WATCH_S):
            now = time.monotonic()
            with self._lock:
                for d in self.drives.values():
                    d.watch_master(now)


def emulated_config(config: StationConfig) -> StationConfig:
    """The config on virtual buses of their own (a fresh channel name per call, so that
    emulations running side by side never hear each other)."""
    return with_virtual_buses(config, f"gaitway-{uuid.uuid4().hex[:12]}")


def emulated_station(config: StationConfig, twin: SimStation | None = None
                     ) -> tuple[CanopenStation, EmulatedDrives]:
    """A CANopen station over emulated drives started here (closed with the station).

    With ``twin``, the drives move the MuJoCo twin and its virtual patient, which also stands
    in for the station's other devices; without, they move :class:`LegPendulums`."""
    cfg = emulated_config(config)
    mech: TwinMechanics | LegPendulums = (TwinMechanics(twin) if twin is not None
                                          else LegPendulums(cfg.dt_s))
    rig = EmulatedDrives(cfg, mech).start()
    station = CanopenStation(cfg, peripherals=mech if isinstance(mech, TwinMechanics) else None,
                             bus_factory=rig.controller, on_close=rig.close)
    return station, rig
