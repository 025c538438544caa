"""CANopen benchmarks: the CAN round trip per tick, ticks per second with four drives, and
loop jitter over CAN against the twin alone.

Run through bench/run.py, or alone: ``python bench/bench_canopen.py [--quick]``. Everything
runs on python-can virtual buses with the emulated CiA 402 drives of examples/exo4_canopen.toml
(two buses, two drives each), in this process: the emulated drives' threads share the
interpreter with the master, which a real drive does not, so these are upper bounds on what
the master itself costs. Baselines are measured in the same run:
- round trip: RPDOs + SYNC out until every TPDO is in (median and p99 per tick);
- ticks per second: the station stepping four emulated drives (leg pendulums) as fast as it
  goes, against the same pendulums stepped without CAN; and the twin moved over CAN against
  the twin alone;
- jitter: a loop paced at 1 kHz by the session's LoopClock around the twin alone, and around
  the twin moved by emulated drives over CAN (goal: p99 jitter within 2x the twin's).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from gaitway.session.clock import LoopClock
from gaitway.station.canopen.config import load_config
from gaitway.station.canopen.emulator import emulated_station
from gaitway.station.canopen.mechanics import LegPendulums
from gaitway.station.interface import Command
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "exo4_canopen.toml"
HOLD = Command(hip_torque_left=5.0, hip_torque_right=5.0, knee_torque_left=2.0,
               knee_torque_right=2.0, harness_force=200.0)


def _twin() -> SimStation:
    return SimStation(VirtualPatient(get_profile("healthy"), seed=1, events=False), seed=1)


def _round_trip_and_rate(n: int) -> tuple[np.ndarray, float, float]:
    cfg = load_config(EXAMPLE)
    station, _ = emulated_station(cfg)
    with station:
        for _ in range(200):
            station.step(HOLD)
        station.record_round_trips = True
        t = time.perf_counter()
        for _ in range(n):
            station.step(HOLD)
        can_rate = n / (time.perf_counter() - t)
        trips = np.array(station.round_trips_s)
    legs = LegPendulums()
    torques, brakes = [5.0, 5.0, 2.0, 2.0], [False] * 4
    t = time.perf_counter()
    for _ in range(n):
        legs.advance(torques, brakes)
    bare_rate = n / (time.perf_counter() - t)
    return trips, can_rate, bare_rate


def _twin_rates(n: int) -> tuple[float, float]:
    """Free-running ticks per second: the twin over CAN, and the twin alone."""
    rates = []
    for over_can in (True, False):
        twin = _twin()
        station: Any = emulated_station(load_config(EXAMPLE), twin)[0] if over_can else twin
        with station:
            t = time.perf_counter()
            for _ in range(n):
                station.step(HOLD)
            rates.append(n / (time.perf_counter() - t))
    return rates[0], rates[1]


def _paced_jitter(n: int, over_can: bool) -> dict[str, Any]:
    twin = _twin()
    if over_can:
        station: Any = emulated_station(load_config(EXAMPLE), twin)[0]
    else:
        station = twin
    clock = LoopClock(paced=True, max_ticks=n + 10)
    with station:
        for _ in range(n):
            clock.tick()
            station.step(HOLD)
    return clock.stats().as_dict()


def run(quick: bool = False) -> list[dict[str, Any]]:
    n = 2000 if quick else 10000
    trips, can_rate, bare_rate = _round_trip_and_rate(n)
    can_twin, twin_alone = _twin_rates(n // 2)
    twin_j = _paced_jitter(n // 2, over_can=False)
    can_j = _paced_jitter(n // 2, over_can=True)
    return [
        {"name": "CAN round trip per tick, median (4 drives, 2 virtual buses)",
         "value": float(np.median(trips)) * 1e6, "unit": "us"},
        {"name": "CAN round trip per tick, p99", "value": float(np.percentile(trips, 99)) * 1e6,
         "unit": "us", "goal": "< 1000 us (one tick)"},
        {"name": "ticks per second, 4 emulated drives over CAN", "value": can_rate,
         "unit": "ticks/s", "baseline": bare_rate, "baseline_name": "same pendulums, no CAN",
         "ratio": can_rate / bare_rate, "goal": ">= 1000 (real time)"},
        {"name": "ticks per second, the twin moved by 4 emulated drives over CAN",
         "value": can_twin, "unit": "ticks/s", "baseline": twin_alone,
         "baseline_name": "twin alone", "ratio": can_twin / twin_alone},
        {"name": "paced 1 kHz loop jitter p99, twin over CAN", "value": can_j["jitter_p99_us"],
         "unit": "us", "baseline": twin_j["jitter_p99_us"], "baseline_name": "twin alone",
         "ratio": can_j["jitter_p99_us"] / max(twin_j["jitter_p99_us"], 1e-9),
         "overruns": can_j["overruns"], "baseline_overruns": twin_j["overruns"],
         "goal": "ratio <= 2"},
        {"name": "paced 1 kHz loop period median, twin over CAN",
         "value": can_j["period_median_us"], "unit": "us",
         "baseline": twin_j["period_median_us"], "baseline_name": "twin alone"},
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
