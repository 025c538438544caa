"""Station benchmarks: the simulated session's tick against a bare MuJoCo step, headless speed,
what recording costs in time and on disk.

Run through bench/run.py, or alone: ``python bench/bench_station.py [--quick]``.
Baselines are measured in the same run:
- one full tick (the control stack production runs, firmware, virtual patient, sample,
  mj_step) vs a bare ``mj_step`` of the same model and state (thread CPU time, best of
  several rounds, so a busy machine inflates both alike);
- the same tick with the virtual patient's motor model (stride-to-stride effort learning and
  following the cuffs' push, gaitway.station.sim.motor) against the tick with that work taken
  out (the learner not called, no felt cuff torque passed), alternated in one run;
- a headless session's speed vs real time (goal: at least 10x);
- the same session built without a recorder (no row packing, no writer) (goal: recording
  adds at most 10 %), and the recording's size extrapolated to 30 minutes (goal: at most 60 MB).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import mujoco

from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.session.builder import SessionCore
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import SessionSummary
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation

PROFILE = "hemiparetic-left-moderate"


def _tick_vs_bare(rounds: int, n: int) -> tuple[float, float]:
    profile = get_profile(PROFILE)
    station = SimStation(VirtualPatient(profile, seed=1, events=False), seed=1)
    stack = ControlStack(ControlSettings(guidance=0.6, bws_fraction=0.3, speed_m_s=0.55),
                         height_m=profile.height_m, body_mass_kg=profile.mass_kg)
    station.start()
    s = station.last_sample

    def ticks(k: int) -> None:
        nonlocal s
        step = stack.step
        for _ in range(k):
            s = station.step(step(s))

    ticks(4000)  # walking, past the belt's ramp
    best_tick = best_bare = float("inf")
    for _ in range(rounds):
        t = time.thread_time()
        ticks(n)
        best_tick = min(best_tick, (time.thread_time() - t) / n)
        d = mujoco.MjData(station.model)
        d.qpos[:] = station.data.qpos
        d.qvel[:] = station.data.qvel
        d.ctrl[:] = station.data.ctrl
        t = time.thread_time()
        for _ in range(n):
            mujoco.mj_step(station.model, d)
        best_bare = min(best_bare, (time.thread_time() - t) / n)
    station.stop()
    return best_tick * 1e6, best_bare * 1e6


def _motor_model_cost(rounds: int, n: int) -> tuple[float, float]:
    """Tick CPU time (us) with the motor model and without it, alternated, best of each."""
    profile = get_profile(PROFILE)
    variants: list[list[Any]] = []
    for motor in (True, False):
        patient = VirtualPatient(profile, seed=1, events=False)
        if not motor:  # no stride-to-stride learning, no following the cuffs
            patient._learn = lambda dt: None  # type: ignore[method-assign]
            update = patient.update

            def no_felt(dt: float, belt: float, q: list[float], dq: list[float],
                        load: tuple[float, float], felt: list[float] | None = None,
                        _u: Any = update) -> list[float]:
                return _u(dt, belt, q, dq, load)  # type: ignore[no-any-return]

            patient.update = no_felt  # type: ignore[method-assign,assignment]
        station = SimStation(patient, seed=1)
        stack = ControlStack(ControlSettings(guidance=0.6, bws_fraction=0.3, speed_m_s=0.55),
                             height_m=profile.height_m, body_mass_kg=profile.mass_kg)
        station.start()
        variants.append([station, stack, station.last_sample])  # (station, stack, sample)

    def ticks(v: list[Any], k: int) -> None:
        station, stack, s = v
        step = stack.step
        for _ in range(k):
            s = station.step(step(s))
        v[2] = s

    for v in variants:
        ticks(v, 4000)  # walking, past the belt's ramp
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for i, v in enumerate(variants):
            t = time.thread_time()
            ticks(v, n)
            best[i] = min(best[i], (time.thread_time() - t) / n)
    for v in variants:
        v[0].stop()
    return best[0] * 1e6, best[1] * 1e6


def _session(minutes: float, out: Path, *, record: bool) -> SessionSummary:
    """The same session built by the session core, with or without its recorder."""
    cfg = SessionSettings(profile=PROFILE, minutes=minutes, seed=3, patient_events=False)
    return SessionCore(cfg, out_dir=out if record else None).run()


def run(quick: bool = False) -> list[dict[str, object]]:
    tick_us, bare_us = _tick_vs_bare(rounds=3 if quick else 5, n=2000 if quick else 5000)
    motor_us, no_motor_us = _motor_model_cost(rounds=3 if quick else 5,
                                              n=2000 if quick else 5000)
    minutes = 1.0 if quick else 3.0
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        # alternate the two variants so drift in machine load hits both; best of each
        plain: list[SessionSummary] = []
        rec: list[SessionSummary] = []
        for i in range(2 if quick else 3):
            plain.append(_session(minutes, base / f"plain{i}", record=False))
            rec.append(_session(minutes, base / f"rec{i}", record=True))
        size = (base / "rec0" / "recording.gwrec").stat().st_size
    wall_plain = min(s.wall_time_s or 0.0 for s in plain)
    wall_rec = min(s.wall_time_s or 0.0 for s in rec)
    rtf = max(s.real_time_factor or 0.0 for s in rec)
    per_30min_mb = size / (minutes * 60.0) * 1800.0 / 1e6
    return [
        {"name": "full tick (control stack + firmware + virtual patient + sample + mj_step)",
         "value": round(tick_us, 1), "unit": "us CPU", "baseline": round(bare_us, 1),
         "baseline_name": "bare mj_step, same model", "ratio": round(tick_us / bare_us, 2)},
        {"name": "full tick with the patient's motor model (effort learning, following "
         "the cuffs)", "value": round(motor_us, 1), "unit": "us CPU",
         "baseline": round(no_motor_us, 1), "baseline_name": "same tick without it",
         "ratio": round(motor_us / no_motor_us, 3)},
        {"name": f"headless session with recorder, {minutes:g} min of {PROFILE}",
         "value": rtf, "unit": "x real time", "goal": ">= 10"},
        {"name": "session run time with recorder vs without", "value": round(wall_rec, 2),
         "unit": "s", "baseline": round(wall_plain, 2),
         "ratio": round(wall_rec / wall_plain, 3), "goal": "ratio <= 1.10"},
        {"name": "recording size, extrapolated to 30 min at 1 kHz",
         "value": round(per_30min_mb, 1), "unit": "MB", "goal": "<= 60"},
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
