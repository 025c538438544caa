"""Safety benchmarks: the supervisor's cost per tick, detection latency and time to safe state.

Run through bench/run.py, or alone: ``python bench/bench_safety.py [--quick]``.
- cost per tick: ``SafetySupervisor.check`` on ticks recorded from the simulated twin, against a
  pass-through baseline measured in the same run (read the Sample's values, return the command:
  the floor any check pays). Goal: at most 20 us per tick.
- detection latency and time from detection to the safe state, per injected fault, from short
  simulated sessions through the real runner (baseline: one tick, 1 ms). Goals: hard limits
  within 2 ticks, stale signals within 20 ms, immediate stop torque-free within 100 ms and the
  belt braked to standstill within 100 ms plus its braking time (docs/safety/belt_brake.md).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.harnesses.fault_matrix import run_one
from gaitway.safety.faults import FaultKind
from gaitway.safety.limits import SafetyLimits
from gaitway.safety.session import SessionSafety
from gaitway.safety.supervisor import SafetySupervisor
from gaitway.station.interface import Command, Sample
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation

PROFILE = "healthy"
QUICK_FAULTS = (FaultKind.EMERGENCY_STOP, FaultKind.STALE_SIGNAL, FaultKind.JOINT_VELOCITY,
                FaultKind.STOP_BUTTON)


def _recorded_ticks(seconds: float) -> list[tuple[Sample, Command]]:
    """Samples and proposed commands of a simulated walk (the twin, a healthy virtual patient)."""
    prof = get_profile(PROFILE)
    st = SimStation(VirtualPatient(prof, seed=2, events=False), seed=2)
    stack = ControlStack(ControlSettings(guidance=1.0, speed_m_s=0.56),
                         height_m=prof.height_m, body_mass_kg=prof.mass_kg, dt=st.dt)
    out = []
    with st:
        s = st.last_sample
        for _ in range(int(seconds * 1000)):
            c = stack.step(s)
            out.append((s, c))
            s = st.step(c)
    return out  # from the start: the supervisor follows the belt from standstill


def _per_tick_us(make: Callable[[], Callable[[Sample, Command], object]],
                 ticks: list[tuple[Sample, Command]], passes: int, chunk: int = 50) -> float:
    """Mean cost per tick: each chunk of ticks timed on every pass (a fresh checker each
    pass, ticks in order), the fastest pass kept per chunk. A shared, loaded machine preempts
    the loop at random; the best of several passes per chunk removes that, not the work."""
    n = len(ticks) // chunk
    best = [float("inf")] * n
    for _ in range(passes):
        fn = make()
        for i in range(n):
            part = ticks[i * chunk:(i + 1) * chunk]
            t0 = time.perf_counter()
            for s, c in part:
                fn(s, c)
            best[i] = min(best[i], time.perf_counter() - t0)
    return sum(best) / (n * chunk) * 1e6


def _pass_through(s: Sample, c: Command) -> Command:
    s.values.tolist()
    return c


def cost_rows(quick: bool) -> list[dict[str, object]]:
    ticks = _recorded_ticks(2.0 if quick else 4.0)
    passes = 5 if quick else 15
    mass = get_profile(PROFILE).mass_kg
    base = _per_tick_us(lambda: _pass_through, ticks, passes)
    sups: list[SafetySupervisor] = []

    def make() -> Callable[[Sample, Command], object]:
        sups.append(SafetySupervisor(SafetyLimits.for_patient(mass), watch_overruns=True))
        return sups[-1].check

    cost = _per_tick_us(make, ticks, passes)
    assert not any(s.latched for s in sups), "the supervisor stopped a normal walk"
    prof = get_profile(PROFILE)
    station = SimStation(VirtualPatient(prof, seed=2, events=False), seed=2)
    sessions: list[SessionSafety] = []

    def make_session() -> Callable[[Sample, Command], object]:
        # what the loop pays: injector tamper, the lock the console's acknowledge shares, check
        sessions.append(SessionSafety(station, paced=True))
        return sessions[-1].judge

    cost_session = _per_tick_us(make_session, ticks, passes)
    assert not any(x.latched for x in sessions), "the session safety stopped a normal walk"
    return [{"name": "safety layer per tick in a session (judge: lock + injector + check)",
             "value": round(cost_session, 2), "unit": "us", "baseline": round(base, 2),
             "ratio": round(cost_session / base, 1), "goal": "<= 20 us"},
            {"name": "safety check per tick (simulated walk)", "value": round(cost, 2),
             "unit": "us", "baseline": round(base, 2), "ratio": round(cost / base, 1),
             "goal": "<= 20 us"},
            {"name": "safety check added over pass-through", "value": round(cost - base, 2),
             "unit": "us", "baseline": round(base, 2), "ratio": round(cost / base, 1),
             "goal": "<= 20 us"}]


def fault_rows(quick: bool) -> list[dict[str, object]]:
    """Per fault (healthy virtual patient, injected at 3.5 s while walking): detection
    latency, detection to torque-free drives and to the full safe state
    (gaitway.harnesses.fault_matrix measures them; the matrix test checks them on three
    profiles)."""
    rows: list[dict[str, object]] = []
    kinds = QUICK_FAULTS if quick else tuple(FaultKind)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            r = run_one(kind, PROFILE, Path(tmp) / str(kind), seed=3)
            if r.latency_s is None:
                rows.append({"name": f"detect {kind} (simulated)", "value": None, "unit": "ms",
                             "baseline": 1.0, "ratio": None, "goal": "detected"})
                continue
            lat = r.latency_s * 1e3
            since = " of the hard-range crossing" if kind is FaultKind.JOINT_RANGE else ""
            rows.append({"name": f"detect {kind} (simulated)", "value": round(lat, 1),
                         "unit": "ms", "baseline": 1.0, "ratio": round(lat, 1),
                         "goal": f"<= {r.goal_s * 1e3:.0f} ms{since}"})
            if r.torque_free_s is not None:
                v = r.torque_free_s * 1e3
                rows.append({"name": f"torque-free after {kind} (immediate_stop)",
                             "value": round(v, 1), "unit": "ms", "baseline": 1.0,
                             "ratio": round(v, 1), "goal": "<= 100 ms"})
            if r.safe_s is not None:
                v = r.safe_s * 1e3
                goal = ("belt at rest, legs still" if r.safe_goal_s is None else
                        f"<= {r.safe_goal_s * 1e3:.0f} ms (100 ms + belt "
                        f"{r.belt_at_detection:.2f} m/s braked)")
                rows.append({"name": f"safe state after {kind} ({r.reaction})",
                             "value": round(v, 1), "unit": "ms", "baseline": 1.0,
                             "ratio": round(v, 1), "goal": goal})
    return rows


def run(quick: bool = False) -> list[dict[str, object]]:
    return cost_rows(quick) + fault_rows(quick)


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
