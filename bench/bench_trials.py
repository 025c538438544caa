"""Trial benchmarks (SIMULATED): memory of a whole trial, and scaling from 1 to 2 workers.

Run through bench/run.py, or alone: ``python bench/bench_trials.py [--quick] [--only memory]``.

- **memory**: ``gaitway trial`` as the user runs it (a local cluster of 2 worker processes),
  a 200-patient cohort (20 with --quick) x 2 plans x 1 session of 0.01 min: what grows with
  the cohort is the number of courses and results, not a session's length, so very short
  sessions measure it cheaply. The peak resident memory of the whole process tree (client,
  scheduler, workers; sampled every 0.2 s with psutil) against the 4 GB goal, and the largest
  single worker. The same command with a 10-patient cohort in the same run is the baseline:
  their ratio shows what the cohort adds.
- **scaling**: the same 8 courses (4 patients x 2 plans, 1 session of 0.1 min) on a running
  local cluster of 1 worker process, then of 2; the time from submitting to the last result
  (cluster start not counted). Five rounds of the pair (one with --quick), 1 then 2 workers in
  each: this virtual machine's speed drifts by 10-30 % within a minute (the same 8 courses on 1
  worker took 7.5 to 11.0 s in one quarter of an hour), so one pair can read 1.6x or 2.1x; the
  median of the rounds' ratios is the figure, each round's beside it. Goal: 2 workers at least
  1.8x as fast, on a quiet machine; the load average is reported with it, since on a shared
  machine other jobs take the second core.
  Beside it the workers' CPU time for the same courses (2 workers against 1), which a loaded
  machine does not distort much: about 1.0 means parallel courses cost no extra work.
- **tick**: a whole headless session's tick, as a trial runs it (``SessionCore`` with its
  recorder: control, safety, virtual patient, twin, recording, the loop), thread CPU time per
  tick including setup and close, against the best of 5 rounds of 2,000 bare ``mj_step`` of
  the same model from the session's final state. Goal: at most 2.5x. Beside it the session's
  own ``mj_step`` calls timed inside its tick (a second run of the same session): the step
  between the tick's Python work costs more than in a bare loop (its data out of the caches),
  and 2.5 bare steps less that step is what the goal leaves all the tick's Python.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
PLANS = ",".join(str(ROOT / "examples" / "plans" / p)
                 for p in ("fixed-guidance.toml", "aan-decreasing.toml"))
GOAL_BYTES = 4 * 1024**3


def _tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """(sum of RSS over the process and its descendants, largest child's RSS)."""
    total, largest = 0, 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for p in procs:
        try:
            rss = p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
        total += rss
        if p.pid != proc.pid:
            largest = max(largest, rss)
    return total, largest


def trial_peak_memory(cohort: int, minutes: float = 0.01) -> dict[str, float]:
    """Run ``gaitway trial`` in a subprocess; peak tree RSS, peak worker RSS, wall time."""
    gaitway = Path(sys.executable).with_name("gaitway")
    with tempfile.TemporaryDirectory(prefix="gaitway-bench-trial-") as tmp:
        cmd = [str(gaitway), "trial", "--plans", PLANS, "--cohort", str(cohort), "--weeks", "1",
               "--sessions-per-week", "1", "--minutes", str(minutes), "--seed", "1",
               "--out", str(Path(tmp) / "trial"), "--workers", "2"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ps = psutil.Process(proc.pid)
        peak = peak_worker = 0
        err: list[bytes] = []
        reader = threading.Thread(target=lambda: err.append(proc.stderr.read()  # type: ignore[union-attr]
                                                          ), daemon=True)
        reader.start()
        while proc.poll() is None:
            total, largest = _tree_rss(ps)
            peak, peak_worker = max(peak, total), max(peak_worker, largest)
            time.sleep(0.2)
        reader.join(timeout=5)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {b''.join(err).decode()[-2000:]}")
        return {"peak_bytes": peak, "peak_worker_bytes": peak_worker,
                "wall_s": time.perf_counter() - t0}


def scaling(patients: int = 4, minutes: float = 0.1, rounds: int = 5) -> list[dict[str, float]]:
    """Per round: seconds and workers' CPU seconds for the same courses on 1 and on 2 worker
    processes (cluster start excluded)."""
    from gaitway.trials.cluster import dask_cluster
    from gaitway.trials.course import TrialDesign, cohort, run_course
    from gaitway.trials.plans import load_plans

    plans = load_plans(PLANS.split(","))
    design = TrialDesign(seed=3, cohort=patients, weeks=1, sessions_per_week=1, minutes=minutes)
    warm_design = TrialDesign(seed=9, cohort=1, weeks=1, sessions_per_week=1, minutes=0.01)
    out: list[dict[str, float]] = []
    for _ in range(rounds):
        row: dict[str, float] = {}
        for workers in (1, 2):
            with dask_cluster(None, workers) as cluster:
                client = cluster.client
                # warm: every worker imports Gaitway and builds a session once
                warm = [client.submit(run_course, warm_design, cohort(warm_design)[0],
                                      plans[0], pure=False, workers=[w])
                        for w in client.scheduler_info()["workers"]]
                client.gather(warm)  # every worker warm before the clock starts
                cpu0 = sum(client.run(time.process_time).values())
                t0 = time.perf_counter()
                futs = [client.submit(run_course, design, p, plan, pure=False)
                        for p in cohort(design) for plan in plans]
                client.gather(futs)
                row[f"workers_{workers}_s"] = time.perf_counter() - t0
                row[f"workers_{workers}_cpu_s"] = (sum(client.run(time.process_time).values())
                                                   - cpu0)
                for f in futs:
                    f.result()
        out.append(row)
    return out


def session_tick_vs_bare(minutes: float) -> tuple[float, float, int, float]:
    """(CPU us per tick of a whole headless session, best bare mj_step us, ticks, CPU us of
    the same session's own mj_step calls, timed in a second run of it)."""
    import mujoco

    from gaitway.session.builder import SessionCore
    from gaitway.session.settings import SessionSettings

    settings = SessionSettings(profile="hemiparetic-left-moderate", minutes=minutes, seed=1,
                               speed_kmh=2.0, guidance_pct=60.0, bws_pct=30.0)
    with tempfile.TemporaryDirectory(prefix="gaitway-bench-tick-") as tmp:
        core = SessionCore(settings, out_dir=Path(tmp) / "session")
        t = time.thread_time()
        core.run()
        cpu = time.thread_time() - t
        assert core.result is not None
        ticks = core.result.ticks
        model, final = core.twin.model, core.twin.data
        # the same session again, its physics step timed call by call: mj_step between the
        # tick's Python work finds its data out of the caches, unlike a bare loop of it
        again = SessionCore(settings, out_dir=Path(tmp) / "again")
        inner, spent = again.twin._physics, [0]
        clock = time.thread_time_ns

        def timed(m: mujoco.MjModel, d: mujoco.MjData) -> None:
            t0 = clock()
            inner(m, d)
            spent[0] += clock() - t0

        again.twin._physics = timed
        again.run()
        physics_us = spent[0] / 1e3 / ticks
    data = mujoco.MjData(model)
    data.qpos[:], data.qvel[:], data.ctrl[:] = final.qpos, final.qvel, final.ctrl
    best = float("inf")
    for _ in range(5):
        t = time.thread_time()
        for _ in range(2000):
            mujoco.mj_step(model, data)
        best = min(best, (time.thread_time() - t) / 2000)
    return cpu / ticks * 1e6, best * 1e6, ticks, physics_us


ALL = ("memory", "scaling", "tick")


def run(quick: bool = False, only: tuple[str, ...] = ALL) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if "memory" in only:
        load0 = os.getloadavg()[0]
        small = trial_peak_memory(10)
        big_n = 20 if quick else 200
        big = trial_peak_memory(big_n)
        rows.append({"name": f"trial peak memory, {big_n} patients x 2 plans (client, scheduler, "
                     "2 workers; SIMULATED)", "value": big["peak_bytes"] / 1e9, "unit": "GB",
                     "baseline": round(small["peak_bytes"] / 1e9, 3),
                     "baseline_name": "the same with 10 patients",
                     "ratio": big["peak_bytes"] / small["peak_bytes"],
                     "goal": f"<= 4 GiB ({GOAL_BYTES / 1e9:.2f} GB)",
                     "ok": big["peak_bytes"] <= GOAL_BYTES, "load_avg": round(load0, 1)})
        rows.append({"name": "largest worker process, peak", "value":
                     big["peak_worker_bytes"] / 1e9, "unit": "GB"})
        rows.append({"name": f"trial wall time, {big_n} patients x 2 plans x 1 session of "
                     "0.6 s", "value": big["wall_s"], "unit": "s",
                     "load_avg": round(os.getloadavg()[0], 1)})
    if "scaling" in only:
        load0 = os.getloadavg()[0]
        rounds = scaling(4, 0.05 if quick else 0.1, rounds=1 if quick else 5)
        speedups = [r["workers_1_s"] / r["workers_2_s"] for r in rounds]
        rows.append({"name": "8 courses on 2 worker processes vs 1 (speed-up, median of "
                     f"{len(rounds)} rounds)", "value": statistics.median(speedups),
                     "unit": "x", "rounds": [round(x, 3) for x in speedups],
                     "baseline": [round(r["workers_1_s"], 2) for r in rounds],
                     "baseline_name": "1 worker, s, per round",
                     "with_2_s": [round(r["workers_2_s"], 2) for r in rounds],
                     "goal": ">= 1.8x", "load_avg_before": round(load0, 1),
                     "load_avg_after": round(os.getloadavg()[0], 1)})
        # what a loaded machine cannot hide: the workers' CPU for the same courses; equal CPU
        # means running two at once costs no extra work, so the wall-time speed-up is bounded
        # only by the cores the machine gives them
        cpu1 = sum(r["workers_1_cpu_s"] for r in rounds)
        cpu2 = sum(r["workers_2_cpu_s"] for r in rounds)
        rows.append({"name": "workers' CPU for the same 8 courses, 2 workers vs 1 (all rounds)",
                     "value": cpu2 / cpu1, "unit": "x", "baseline": round(cpu1, 2),
                     "baseline_name": "1 worker, CPU s", "with_2_cpu_s": round(cpu2, 2),
                     "goal": "about 1.0"})
    if "tick" in only:
        load0 = os.getloadavg()[0]
        tick, bare, n, physics = session_tick_vs_bare(0.1 if quick else 0.25)
        rows.append({"name": f"whole session tick (control, safety, patient, twin, recording, "
                     f"loop), CPU, {n} ticks", "value": tick, "unit": "us", "baseline": bare,
                     "baseline_name": "bare mj_step, us", "ratio": tick / bare,
                     "goal": "<= 2.5", "load_avg": round(load0, 1)})
        # what the goal leaves the Python: 2.5 bare steps a tick, less the session's own step
        rows.append({"name": "the session's own mj_step, inside its tick (same session, "
                     "timed call by call)", "value": physics, "unit": "us", "baseline": bare,
                     "baseline_name": "bare mj_step, us", "ratio": physics / bare,
                     "python_budget_at_2_5x_us": round(2.5 * bare - physics, 1),
                     "python_now_us": round(tick - physics, 1),
                     "load_avg": round(os.getloadavg()[0], 1)})
    return rows


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    only = tuple(sys.argv[sys.argv.index("--only") + 1:]) if "--only" in sys.argv else ALL
    for r in run(quick=quick, only=only):
        print(r)
