"""Which station a session runs on, when it is not the MuJoCo twin by itself.

A session always has its virtual patient in the twin (it is what a virtual patient is); a
:class:`StationChoice` puts another :class:`~gaitway.station.interface.Station` between the
loop and that twin (CANopen drives that move it), with the safety limits that station's
device description sets. Everything else about the session stays the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from gaitway.safety.limits import SafetyLimits
from gaitway.safety.station_limits import safety_limits
from gaitway.station.canopen.config import StationConfig
from gaitway.station.canopen.emulator import emulated_station
from gaitway.station.interface import Station
from gaitway.station.sim.twin import SimStation

#: headless emulation (as fast as the host goes): PDO deadline and heartbeat timeout in wall
#: time, widened so that a busy host falls behind instead of faking a bus fault
HEADLESS_PDO_DEADLINE_MS: Final[float] = 1000.0
HEADLESS_HEARTBEAT_CONSUMER_MS: Final[int] = 5000


@dataclass(frozen=True)
class StationChoice:
    """How to make the session's station around its twin, and what it is called."""

    transport: str  # "canopen"
    make: Callable[[SimStation], Station]
    limits: Callable[[float], SafetyLimits] | None = None  # body mass (kg) -> limits
    metadata: dict[str, Any] = field(default_factory=dict)


def unpaced_timing(config: StationConfig) -> StationConfig:
    """``config`` with its wall-time deadlines widened, for drives emulated in this process
    that a loop not paced on wall time drives (a headless session, the commissioning checks
    on emulated drives): the drives are threads of a host that may be busy, not a bus, and a
    busy host then falls behind instead of faking a bus fault. Real drives, and the bus fault
    tests, keep the configured deadlines."""
    return replace(config, pdo_deadline_ms=max(config.pdo_deadline_ms,
                                               HEADLESS_PDO_DEADLINE_MS),
                   heartbeat_consumer_ms=max(config.heartbeat_consumer_ms,
                                             HEADLESS_HEARTBEAT_CONSUMER_MS))


def emulated_canopen(config: StationConfig, *, headless: bool = True) -> StationChoice:
    """CiA 402 drives emulated on virtual CAN buses, moving the twin with its virtual patient;
    the supervisor judges with the limits the device config sets. ``headless``: the session
    runs on simulated time, so the bus's wall-time deadlines are widened (the bus fault
    tests keep the configured ones)."""
    limits = config.limits()
    if headless:
        config = unpaced_timing(config)
    return StationChoice(
        transport="canopen",
        make=lambda twin: emulated_station(config, twin)[0],
        limits=lambda mass: safety_limits(limits, mass),
        metadata={"kind": "canopen", "config": config.name,
                  "source": str(config.source) if config.source else None,
                  "emulated": True, "loop_rate_hz": config.loop_rate_hz,
                  "pdo_deadline_ms": config.pdo_deadline_ms,
                  "heartbeat_consumer_ms": config.heartbeat_consumer_ms,
                  "buses": [b.name for b in config.buses],
                  "drives": {d.joint: {"bus": d.bus, "node_id": d.node_id}
                             for d in config.drives}},
    )
