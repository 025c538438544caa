"""Station benchmarks: the simulated session's tick against a bare MuJoCo step, headless speed,
what recording costs in time and on disk.

Run through bench/run.py, or alone: ``python bench/bench_station.py [--quick]``;
``python bench/bench_station.py --modes`` compares the tick's modules compiled with mypyc
(gaitway.compiled) against the same modules run from their .py files: the tick against a bare
``mj_step`` and a headless session's speed, the two modes alternated in fresh processes, and
the eight identity sessions below hashed in each mode (they must be equal);
``python bench/bench_station.py --only-tick --before SRC`` compares the tick with the code in
SRC (the ``src`` tree of another checkout): the tick against a bare ``mj_step`` in fresh
processes, the two trees alternated, and whether eight seeded sessions (every controller, a
fault of each kind of reaction, a pause, a lateral pelvis) give the same results bit for bit
(every tick's sample, control values, command and truth, the recording read back, the summary).
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

import argparse
import hashlib
import importlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.recording import open_recording
from gaitway.session.builder import SessionCore
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import SessionSummary
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation

PROFILE = "hemiparetic-left-moderate"


def _compiled() -> Any:
    """gaitway.compiled, or None in a tree from before it (``--before SRC``: pure Python)."""
    try:
        return importlib.import_module("gaitway.compiled")
    except ModuleNotFoundError:
        return None


def tick_code() -> str:
    c = _compiled()
    return "pure (no gaitway.compiled)" if c is None else str(c.tick_code())


def compiled_modules() -> tuple[str, ...]:
    c = _compiled()
    return () if c is None else tuple(c.compiled_modules())


def build_state() -> tuple[bool, str]:
    c = _compiled()
    return (False, "no gaitway.compiled") if c is None else c.build_state()


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
    """Tick CPU time (us) with the motor model and without it, alternated, best of each.
    The variant without replaces two methods of the patient, which a compiled instance does
    not allow: where the tick runs compiled, measured in a fresh process on the .py modules."""
    if compiled_modules():
        r = _child("motor", None, n, pure=True, rounds=rounds)
        return float(r["motor_us"]), float(r["no_motor_us"])
    profile = get_profile(PROFILE)
    variants: list[list[Any]] = []
    for motor in (True, False):
        patient = VirtualPatient(profile, seed=1, events=False)
        if not motor:  # no stride-to-stride learning, no following the cuffs
            patient._learn = lambda dt: None  # type: ignore[method-assign]
            update = patient.update

            def no_felt(dt: float, belt: float, q: list[float], dq: list[float],
                        load: tuple[float, float], felt: list[float] | None = None,
                        belt_set_speed: float = 0.0, _u: Any = update) -> list[float]:
                # the cuffs' push left out; the set speed (an argument since the slow-belt
                # hold) passed on
                return _u(dt, belt, q, dq, load, None,  # type: ignore[no-any-return]
                          belt_set_speed)

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
    rows: list[dict[str, object]] = [
        {"name": "full tick (control stack + firmware + virtual patient + sample + mj_step)",
         "value": round(tick_us, 1), "unit": "us CPU", "baseline": round(bare_us, 1),
         "baseline_name": "bare mj_step, same model", "ratio": round(tick_us / bare_us, 2),
         "mode": tick_code()},
        {"name": "full tick with the patient's motor model (effort learning, following "
         "the cuffs)" + (" (.py modules)" if compiled_modules() else ""),
         "value": round(motor_us, 1), "unit": "us CPU",
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
    built, why = build_state()
    if built:
        rows += modes_compared(rounds=2 if quick else 3, n=2000 if quick else 3000,
                               minutes=minutes)
    else:
        rows.append({"name": "tick modules compiled with mypyc", "value": False, "unit": "",
                     "why": why})
    return rows


# -- the tick against the code before (--before SRC) ---------------------------------------

HERE = Path(__file__).resolve().parent
#: what differs between two runs of one session by nature: when and how fast it ran
_WALL_CLOCK = ("started_at", "wall_time_s", "real_time_factor", "loop_timing")


def _identity_sessions() -> list[SessionSettings]:
    """Short seeded sessions that take every per-tick path: each controller, faults that
    stop (interaction force, encoder mismatch, fall), a pause, a reduced range of motion,
    self-pacing, a lateral pelvis, patient events."""
    s = 1.0 / 60.0
    return [
        SessionSettings(profile=PROFILE, minutes=12 * s, seed=3),
        SessionSettings(profile="hemiparetic-right-severe", minutes=6 * s, seed=53,
                        guidance_pct=7.3, bws_pct=35.3, hip_rom_scale=0.88,
                        knee_rom_scale=0.94, patient_events=False, pauses=("2.5:0.5",)),
        SessionSettings(profile=PROFILE, minutes=6 * s, seed=7, controller="path",
                        tunnel_width_deg=2.0, path_flow_nm=12.0, self_paced=True,
                        hip_rom_scale=0.7, knee_rom_scale=1.3),
        SessionSettings(profile="sci-incomplete", minutes=6 * s, seed=2, controller="aan",
                        speed_kmh=3.0, bws_pct=50.0, initial_fatigue=0.8,
                        injections=("interaction_force@2",)),
        SessionSettings(profile="healthy", minutes=6 * s, seed=1, controller="resist",
                        resist_torque_nm=10.0, speed_kmh=0.5,
                        injections=("encoder_mismatch@1.5",)),
        SessionSettings(profile="healthy", minutes=5 * s, seed=4, lateral_pelvis=True),
        SessionSettings(profile="hemiparetic-right-mild", minutes=6 * s, seed=5,
                        controller="aan", injections=("fall@3",)),
        SessionSettings(profile="hemiparetic-left-severe", minutes=30 * s, seed=9,
                        speed_kmh=1.2, guidance_pct=40.0),
    ]


def session_digests() -> list[str]:
    """One sha256 per identity session over every tick's sample, control values, command and
    truth, the recording read back (channels, truth, events) and the summary (less its wall
    clock)."""
    out: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gaitway-bench-identity-") as tmp:
        for i, settings in enumerate(_identity_sessions()):
            h = hashlib.sha256()
            core = SessionCore(settings, out_dir=Path(tmp) / f"s{i}")
            twin = core.twin

            def on_tick(sample: Any, control: list[float], cmd: Any, h: Any = h,
                        twin: SimStation = twin) -> None:
                h.update(sample.values.tobytes())
                h.update(struct.pack(f"{len(control)}d", *control))
                h.update(struct.pack(f"{len(cmd)}d", *cmd))  # every field of the Command
                h.update(twin.truth.tobytes())

            summary = core.run(on_tick=on_tick)
            d = {k: v for k, v in summary.to_dict().items() if k not in _WALL_CLOCK}
            h.update(json.dumps(d, sort_keys=True, default=str).encode())
            rec = open_recording(Path(tmp) / f"s{i}").read()
            h.update(np.asarray(rec.time).tobytes())
            for name in sorted(rec.data):
                h.update(name.encode())
                h.update(np.asarray(rec.data[name]).tobytes())
            h.update(repr([(e.time_s, e.kind, e.source, e.details) for e in rec.events]).encode())
            out.append(h.hexdigest())
    return out


_CHILD = """
import json, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import bench_station as b
n, rounds = int(sys.argv[3]), int(sys.argv[4])
if sys.argv[1] == "tick":
    tick, bare = b._tick_vs_bare(rounds=rounds, n=n)
    out = {"tick_us": tick, "bare_us": bare}
elif sys.argv[1] == "motor":
    motor, no_motor = b._motor_model_cost(rounds=rounds, n=n)
    out = {"motor_us": motor, "no_motor_us": no_motor}
elif sys.argv[1] == "session":
    with tempfile.TemporaryDirectory() as tmp:
        s = b._session(n / 60.0, Path(tmp), record=True)
    out = {"rtf": s.real_time_factor, "wall_s": s.wall_time_s}
else:
    out = {"digests": b.session_digests()}
out["mode"] = b.tick_code()
print(json.dumps(out))
"""


def _child(what: str, src: Path | None, n: int = 3000, *, pure: bool = False,
           rounds: int = 5) -> dict[str, Any]:
    """One figure in a fresh process; ``src``: run that source tree of gaitway; ``pure``:
    its tick modules from their .py files (GAITWAY_PURE_PYTHON=1), not compiled."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    env.pop("GAITWAY_PURE_PYTHON", None)
    if pure:
        env["GAITWAY_PURE_PYTHON"] = "1"
    out = subprocess.run([sys.executable, "-c", _CHILD, what, str(HERE), str(n), str(rounds)],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"the {what} child failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def modes_compared(rounds: int, n: int, minutes: float) -> list[dict[str, object]]:
    """The tick modules compiled against the same modules from their .py files, alternated in
    fresh processes: the tick against a bare mj_step (one ratio per process), a headless
    session's speed, and the identity sessions' digests in each mode (must be equal)."""
    names = {True: "pure Python", False: "compiled"}
    ratios: dict[bool, list[float]] = {True: [], False: []}
    ticks: dict[bool, list[float]] = {True: [], False: []}
    rtf: dict[bool, list[float]] = {True: [], False: []}
    load0 = os.getloadavg()[0]
    for _ in range(rounds):
        for pure in (True, False):
            r = _child("tick", None, n, pure=pure)
            if r["mode"].startswith("pure") != pure:
                raise RuntimeError(f"asked for {names[pure]}, ran {r['mode']}")
            ratios[pure].append(r["tick_us"] / r["bare_us"])
            ticks[pure].append(r["tick_us"])
    for _ in range(2):
        for pure in (True, False):
            rtf[pure].append(_child("session", None, round(minutes * 60), pure=pure)["rtf"])
    load1 = os.getloadavg()[0]
    digests = {pure: _child("identity", None, pure=pure)["digests"] for pure in (True, False)}
    rows: list[dict[str, object]] = []
    for pure in (True, False):
        rs = sorted(ratios[pure])
        rows.append({"name": f"full tick / bare mj_step, {names[pure]} ({rounds} processes, "
                     "best and median)", "value": round(rs[0], 2),
                     "median": round(rs[len(rs) // 2], 2), "unit": "x",
                     "tick_us_best": round(min(ticks[pure]), 1),
                     "load_avg": f"{load0:.1f}-{load1:.1f}", "goal": "<= 2.5"})
    rows.append({"name": "full tick CPU, compiled / pure Python (best of each)",
                 "value": round(min(ticks[False]) / min(ticks[True]), 3), "unit": "x"})
    for pure in (True, False):
        rows.append({"name": f"headless session with recorder, {minutes:g} min, "
                     f"{names[pure]} (best of 2)", "value": round(max(rtf[pure]), 1),
                     "unit": "x real time", "load_avg": f"{load0:.1f}-{load1:.1f}"})
    rows.append({"name": "identity sessions (8, every tick hashed): compiled equal to pure",
                 "value": digests[True] == digests[False], "unit": ""})
    return rows


def tick_before_after(before: Path, rounds: int, n: int) -> list[dict[str, object]]:
    """The tick against a bare mj_step, this code and ``before`` alternated in fresh
    processes (each ratio from one process), and the identity sessions' digests of each."""
    ratios: dict[str, list[float]] = {"this code": [], "before": []}
    ticks: dict[str, list[float]] = {"this code": [], "before": []}
    load0 = os.getloadavg()[0]
    for _ in range(rounds):
        for name, src in (("before", before), ("this code", None)):
            r = _child("tick", src, n)
            ratios[name].append(r["tick_us"] / r["bare_us"])
            ticks[name].append(r["tick_us"])
    load1 = os.getloadavg()[0]
    same = _child("identity", None)["digests"] == _child("identity", before)["digests"]
    rows: list[dict[str, object]] = []
    for name in ("before", "this code"):
        rs = sorted(ratios[name])
        rows.append({"name": f"full tick / bare mj_step, {name} ({rounds} processes, best "
                     "and median)", "value": round(rs[0], 2), "median": round(rs[len(rs) // 2], 2),
                     "unit": "x", "tick_us_best": round(min(ticks[name]), 1),
                     "load_avg": f"{load0:.1f}-{load1:.1f}", "goal": "<= 2.5"})
    rows.append({"name": "identity sessions (8, every tick hashed) equal to the code before",
                 "value": same, "unit": ""})
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only-tick", action="store_true",
                        help="only the tick against a bare mj_step (with --before: both codes)")
    parser.add_argument("--before", type=Path, default=None,
                        help="a src/ tree of the code before (e.g. a git worktree's src)")
    parser.add_argument("--modes", action="store_true",
                        help="only the tick modules compiled against pure Python")
    parser.add_argument("--rounds", type=int, default=3)
    a = parser.parse_args()
    if a.modes:
        rows = modes_compared(a.rounds, 2000 if a.quick else 3000, 1.0 if a.quick else 3.0)
    elif a.before is not None:
        rows = tick_before_after(a.before, a.rounds, 2000 if a.quick else 3000)
    elif a.only_tick:
        tick_us, bare_us = _tick_vs_bare(rounds=3 if a.quick else 5, n=2000 if a.quick else 5000)
        rows = [{"name": "full tick", "value": round(tick_us, 1), "unit": "us CPU",
                 "baseline": round(bare_us, 1), "ratio": round(tick_us / bare_us, 2),
                 "mode": tick_code()}]
    else:
        rows = run(quick=a.quick)
    for row in rows:
        print(row)
