"""The device description of a CANopen station: a TOML file, read into typed, checked data.

It says which drive moves which joint (bus and node id), how counts become radians (gear
ratio, encoder counts per motor revolution, direction), how current becomes torque (torque
constant), what the drives may give (current limits), and the bus timing (loop rate, heartbeat,
PDO deadline). :meth:`StationConfig.limits` turns it into the device limits the safety layer
judges with (see ``gaitway.safety.station_limits``), so the supervisor and the drives work from
one set of numbers. Every refusal is one line that names the file, the entry and what to do.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from gaitway.errors import UserError
from gaitway.station.channels import DRIVEN_JOINTS, SIDES

#: the joints a station drives, in Command order
JOINT_NAMES: Final[tuple[str, ...]] = tuple(f"{j}_{s}" for j in DRIVEN_JOINTS for s in SIDES)
#: CANopen bit rates (CiA 301)
BITRATES: Final[frozenset[int]] = frozenset({10_000, 20_000, 50_000, 125_000, 250_000,
                                             500_000, 800_000, 1_000_000})
#: above this share of a bus's bit rate the PDOs' latency is no longer assured
MAX_BUS_LOAD: Final[float] = 0.8
MIN_LOOP_HZ: Final[float] = 250.0
MAX_LOOP_HZ: Final[float] = 1000.0


def frame_bits(data_bytes: int) -> int:
    """Worst-case length on the wire of a CAN 2.0A data frame with ``data_bytes`` of data:
    47 bits of frame (with the 3-bit interframe space) plus data, plus the stuff bits the
    34 + 8n stuffable bits may need."""
    stuffable = 34 + 8 * data_bytes
    return 47 + 8 * data_bytes + (stuffable - 1) // 4


@dataclass(frozen=True, slots=True)
class BusConfig:
    """One CAN bus: a python-can interface and channel (``socketcan``/``can0``; ``virtual``)."""

    name: str
    interface: str
    channel: str
    bitrate: int


@dataclass(frozen=True, slots=True)
class DriveConfig:
    """One CiA 402 drive and the joint it moves."""

    joint: str  # hip_left, hip_right, knee_left, knee_right
    bus: str
    node_id: int
    gear_ratio: float  # motor revolutions per joint revolution
    encoder_counts_per_rev: int  # motor-side increments per motor revolution
    torque_constant_nm_per_a: float  # at the motor
    rated_current_a: float
    current_limit_a: float
    direction: int = 1  # +1: rising counts are flexion; -1: the drive is mounted mirrored
    #: STO input and holding-brake state in the drive's digital inputs (60FDh)
    sto_input_bit: int = 16
    brake_input_bit: int = 17
    eds: Path | None = None

    @property
    def side(self) -> str:
        return self.joint.split("_", 1)[1]

    @property
    def kind(self) -> str:
        return self.joint.split("_", 1)[0]

    @property
    def rated_torque_nm(self) -> float:
        """Motor torque at rated current (6076h)."""
        return self.rated_current_a * self.torque_constant_nm_per_a

    @property
    def peak_torque_nm(self) -> float:
        """Joint torque at the current limit."""
        return self.current_limit_a * self.torque_constant_nm_per_a * self.gear_ratio

    @property
    def rad_per_count(self) -> float:
        """Joint radians per motor encoder increment (signed by direction)."""
        return self.direction * 2.0 * math.pi / (self.encoder_counts_per_rev * self.gear_ratio)

    @property
    def joint_nm_per_permille(self) -> float:
        """Joint torque per unit of 6071h/6077h (per mille of rated torque), signed."""
        return self.direction * self.rated_torque_nm * self.gear_ratio / 1000.0

    @property
    def amps_per_joint_nm(self) -> float:
        """Motor current per N*m at the joint."""
        return 1.0 / (self.torque_constant_nm_per_a * self.gear_ratio)


@dataclass(frozen=True, slots=True)
class StationLimits:
    """The limits a device config sets, in the safety layer's terms (SI, at the joints)."""

    dt_s: float
    hip_peak_torque_nm: float
    knee_peak_torque_nm: float
    hip_torque_soft_nm: float | None
    knee_torque_soft_nm: float | None
    current_hard_a: float | None
    hip_stop_rad: tuple[float, float] | None
    knee_stop_rad: tuple[float, float] | None
    #: the most motor current a joint torque needs, per N*m (the weakest drive of each kind)
    hip_amps_per_nm: float
    knee_amps_per_nm: float
    #: the coarsest encoder: its joint and its joint radians per count
    coarsest_encoder: tuple[str, float]


@dataclass(frozen=True, slots=True)
class StationConfig:
    """A CANopen station's device description."""

    name: str
    source: Path | None
    loop_rate_hz: float
    heartbeat_producer_ms: int
    heartbeat_consumer_ms: int
    pdo_deadline_ms: float
    #: PDO deadlines missed in a row (any drive) before the bus counts as lost
    pdo_missed_ticks_fault: int
    master_node_id: int
    buses: tuple[BusConfig, ...]
    drives: tuple[DriveConfig, ...]
    limits_table: dict[str, Any]
    brake_release_check: bool = True

    @property
    def dt_s(self) -> float:
        return 1.0 / self.loop_rate_hz

    def drive(self, joint: str) -> DriveConfig:
        return next(d for d in self.drives if d.joint == joint)

    def bus_load(self, bus: str) -> float:
        """Share of ``bus``'s bit rate the cyclic traffic takes at the loop rate: SYNC, one
        4-byte RPDO and two 8-byte TPDOs per drive every tick (worst-case stuffing; the slow
        TPDO3 and the heartbeats add under 1 %)."""
        b = next(x for x in self.buses if x.name == bus)
        n = sum(1 for d in self.drives if d.bus == bus)
        bits = frame_bits(0) + n * (frame_bits(4) + 2 * frame_bits(8))
        return bits * self.loop_rate_hz / b.bitrate

    def limits(self) -> StationLimits:
        lt = self.limits_table

        def opt(name: str) -> float | None:
            v = lt.get(name)
            return None if v is None else float(v)

        def stop(name: str) -> tuple[float, float] | None:
            v = lt.get(name)
            return None if v is None else (float(v[0]), float(v[1]))

        hips = [d for d in self.drives if d.kind == "hip"]
        knees = [d for d in self.drives if d.kind == "knee"]
        return StationLimits(
            dt_s=self.dt_s,
            hip_peak_torque_nm=min(d.peak_torque_nm for d in hips),
            knee_peak_torque_nm=min(d.peak_torque_nm for d in knees),
            hip_torque_soft_nm=opt("hip_torque_soft_nm"),
            knee_torque_soft_nm=opt("knee_torque_soft_nm"),
            current_hard_a=opt("current_hard_a"),
            hip_stop_rad=stop("hip_stop_rad"),
            knee_stop_rad=stop("knee_stop_rad"),
            hip_amps_per_nm=max(d.amps_per_joint_nm for d in hips),
            knee_amps_per_nm=max(d.amps_per_joint_nm for d in knees),
            coarsest_encoder=max(((d.joint, abs(d.rad_per_count)) for d in self.drives),
                                 key=lambda x: x[1]),
        )


_LIMIT_KEYS: Final[dict[str, str]] = {
    "hip_torque_soft_nm": "number", "knee_torque_soft_nm": "number",
    "current_hard_a": "number", "hip_stop_rad": "pair", "knee_stop_rad": "pair",
}


class _Reader:
    """Typed access to one TOML table with errors that say where."""

    def __init__(self, where: str, table: Any) -> None:
        if not isinstance(table, dict):
            raise UserError(f"{where} must be a table")
        self.where = where
        self.t: dict[str, Any] = table
        self.used: set[str] = set()

    def _get(self, key: str, default: Any) -> Any:
        self.used.add(key)
        if key not in self.t:
            if default is _REQUIRED:
                raise UserError(f"{self.where}: {key} is missing")
            return default
        return self.t[key]

    def text(self, key: str, default: Any = None) -> str:
        v = self._get(key, _REQUIRED if default is None else default)
        if not isinstance(v, str) or not v.strip():
            raise UserError(f"{self.where}: {key} must be a non-empty text, got {v!r}")
        return v

    def integer(self, key: str, low: int, high: int, default: Any = None) -> int:
        v = self._get(key, _REQUIRED if default is None else default)
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise UserError(f"{self.where}: {key} must be a whole number {low}-{high}, "
                            f"got {v!r}")
        return v

    def number(self, key: str, low: float, high: float, default: Any = None) -> float:
        v = self._get(key, _REQUIRED if default is None else default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not (
                math.isfinite(v) and low <= v <= high):
            raise UserError(f"{self.where}: {key} must be a number {low:g}-{high:g}, got {v!r}")
        return float(v)

    def done(self) -> None:
        extra = sorted(set(self.t) - self.used)
        if extra:
            raise UserError(f"{self.where}: unknown key {extra[0]!r} (a typo?)")


_REQUIRED: Final = object()


def _bus(i: int, t: Any) -> BusConfig:
    r = _Reader(f"[[bus]] #{i}", t)
    b = BusConfig(name=r.text("name"), interface=r.text("interface"),
                  channel=r.text("channel"),
                  bitrate=r.integer("bitrate", 10_000, 1_000_000, 1_000_000))
    r.done()
    if b.bitrate not in BITRATES:
        raise UserError(f"[[bus]] {b.name}: bitrate {b.bitrate} is not a CANopen bit rate; "
                        f"use one of {', '.join(str(x) for x in sorted(BITRATES))}")
    return b


def _drive(i: int, t: Any, base: Path | None) -> DriveConfig:
    r = _Reader(f"[[drive]] #{i}", t)
    joint = r.text("joint")
    if joint not in JOINT_NAMES:
        raise UserError(f"[[drive]] #{i}: joint {joint!r} is not one of {', '.join(JOINT_NAMES)}")
    r.where = f"[[drive]] {joint}"
    eds_text = r.t.get("eds")
    r.used.add("eds")
    eds: Path | None = None
    if eds_text is not None:
        if not isinstance(eds_text, str):
            raise UserError(f"{r.where}: eds must be a file name")
        eds = Path(eds_text) if base is None else base / eds_text
        if not eds.is_file():
            raise UserError(f"{r.where}: EDS file {eds} does not exist")
    d = DriveConfig(
        joint=joint, bus=r.text("bus"), node_id=r.integer("node_id", 1, 127),
        gear_ratio=r.number("gear_ratio", 1.0, 1000.0),
        encoder_counts_per_rev=r.integer("encoder_counts_per_rev", 16, 1 << 24),
        torque_constant_nm_per_a=r.number("torque_constant_nm_per_a", 1e-3, 10.0),
        rated_current_a=r.number("rated_current_a", 0.01, 500.0),
        current_limit_a=r.number("current_limit_a", 0.01, 500.0),
        direction=r.integer("direction", -1, 1, 1),
        sto_input_bit=r.integer("sto_input_bit", 16, 31, 16),
        brake_input_bit=r.integer("brake_input_bit", 16, 31, 17),
        eds=eds,
    )
    r.done()
    if d.direction == 0:
        raise UserError(f"{r.where}: direction must be 1 or -1")
    if d.sto_input_bit == d.brake_input_bit:
        raise UserError(f"{r.where}: sto_input_bit and brake_input_bit must differ")
    if d.current_limit_a > 3.0 * d.rated_current_a:
        raise UserError(f"{r.where}: current_limit_a {d.current_limit_a:g} A is more than 3x "
                        f"the rated {d.rated_current_a:g} A (6073h holds at most 3000 per mille)")
    return d


def parse_config(raw: dict[str, Any], source: Path | None = None) -> StationConfig:
    """Check a parsed TOML document and build the config (UserError on any contradiction)."""
    top = _Reader("the config", raw)
    st = _Reader("[station]", top._get("station", _REQUIRED))
    buses_raw = top._get("bus", _REQUIRED)
    drives_raw = top._get("drive", _REQUIRED)
    limits_raw = top._get("limits", {})
    top.done()
    if not isinstance(buses_raw, list) or not buses_raw:
        raise UserError("the config needs at least one [[bus]]")
    if not isinstance(drives_raw, list):
        raise UserError("the config needs one [[drive]] per joint")
    base = source.parent if source is not None else None
    buses = tuple(_bus(i, b) for i, b in enumerate(buses_raw, 1))
    drives = tuple(_drive(i, d, base) for i, d in enumerate(drives_raw, 1))
    cfg = StationConfig(
        name=st.text("name"),
        source=source,
        loop_rate_hz=st.number("loop_rate_hz", MIN_LOOP_HZ, MAX_LOOP_HZ, 1000.0),
        heartbeat_producer_ms=st.integer("heartbeat_producer_ms", 10, 1000, 100),
        heartbeat_consumer_ms=st.integer("heartbeat_consumer_ms", 20, 5000, 300),
        pdo_deadline_ms=st.number("pdo_deadline_ms", 0.1, 500.0, 50.0),
        pdo_missed_ticks_fault=st.integer("pdo_missed_ticks_fault", 1, 50, 3),
        master_node_id=st.integer("master_node_id", 1, 127, 127),
        buses=buses,
        drives=drives,
        limits_table={},
        brake_release_check=bool(st._get("brake_release_check", True)),
    )
    st.done()
    lim = _Reader("[limits]", limits_raw)
    table: dict[str, Any] = {}
    for key, kind in _LIMIT_KEYS.items():
        if key not in lim.t:
            continue
        if kind == "pair":
            v = lim._get(key, _REQUIRED)
            if (not isinstance(v, list) or len(v) != 2
                    or not all(isinstance(x, int | float) and math.isfinite(x) for x in v)
                    or not v[0] < v[1]):
                raise UserError(f"[limits]: {key} must be [low, high] in rad, got {v!r}")
            table[key] = (float(v[0]), float(v[1]))
        else:
            table[key] = lim.number(key, 1e-3, 1e4)
    lim.done()
    cfg = replace(cfg, limits_table=table)
    _check(cfg)
    return cfg


def _check(cfg: StationConfig) -> None:
    joints = [d.joint for d in cfg.drives]
    for j in JOINT_NAMES:
        if joints.count(j) != 1:
            raise UserError(f"the config needs exactly one [[drive]] for {j}, found "
                            f"{joints.count(j)}")
    names = [b.name for b in cfg.buses]
    if len(set(names)) != len(names):
        raise UserError("each [[bus]] needs its own name")
    for d in cfg.drives:
        if d.bus not in names:
            raise UserError(f"[[drive]] {d.joint}: bus {d.bus!r} is not a [[bus]] name "
                            f"({', '.join(names)})")
    for b in cfg.buses:
        ids = [d.node_id for d in cfg.drives if d.bus == b.name]
        if len(set(ids)) != len(ids):
            raise UserError(f"[[bus]] {b.name}: two drives share a node id ({sorted(ids)})")
        if cfg.master_node_id in ids:
            raise UserError(f"[station] master_node_id {cfg.master_node_id} is also a drive's "
                            f"node id on bus {b.name}")
        load = cfg.bus_load(b.name)
        if load > MAX_BUS_LOAD:
            raise UserError(
                f"[[bus]] {b.name}: its drives need {load:.0%} of {b.bitrate} bit/s at "
                f"{cfg.loop_rate_hz:g} Hz (most: {MAX_BUS_LOAD:.0%}); move drives to another "
                "bus or lower loop_rate_hz")
    if cfg.heartbeat_consumer_ms < 2 * cfg.heartbeat_producer_ms:
        raise UserError(
            f"[station] heartbeat_consumer_ms ({cfg.heartbeat_consumer_ms}) must be at least "
            f"twice heartbeat_producer_ms ({cfg.heartbeat_producer_ms}): one late heartbeat "
            "must not stop a session")
    if cfg.pdo_deadline_ms * cfg.pdo_missed_ticks_fault >= cfg.heartbeat_consumer_ms:
        raise UserError("[station] pdo_deadline_ms x pdo_missed_ticks_fault must be shorter "
                        "than heartbeat_consumer_ms, so a silent drive is caught by its PDOs "
                        "first")


def load_config(path: Path) -> StationConfig:
    """Read a device config file (UserError when it is missing, not TOML or contradictory)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise UserError(f"cannot read device config {path}: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"device config {path} is not valid TOML: {exc}") from None
    try:
        return parse_config(raw, source=path)
    except UserError as exc:
        raise UserError(f"device config {path}: {exc}") from None


def with_virtual_buses(cfg: StationConfig, prefix: str) -> StationConfig:
    """The same station on python-can virtual buses (one channel per bus, named from
    ``prefix``), for emulated drives."""
    buses = tuple(replace(b, interface="virtual", channel=f"{prefix}-{b.name}")
                  for b in cfg.buses)
    return replace(cfg, buses=buses)
