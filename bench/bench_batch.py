"""Cohort batch benchmarks (SIMULATED): simulated seconds per CPU second, batched vs alone.

Run through bench/run.py, or alone: ``python bench/bench_batch.py [--quick]``.

The same headless sessions (recorded, as a trial runs them; a cohort of registered profiles,
seeds 1..N, guidance and assist-as-needed alternating) run first one after another alone
(the baseline, in the same run), then together in one :class:`CohortBatch` of N = 8 and 16
(gaitway.session.batch): every twin's physics stepped in one pass per tick (mj_step on each
in this thread; on 2 threads one call of MuJoCo's batch), everything else per session. The
figure is simulated seconds per CPU second of the process (all its threads), batch against
alone; the issue's goal is at least 3x. Beside it: the batch of 8 stepped on 2 C threads
(wall-time speed-up; CPU goes up, not down), and the share of the batch's wall time spent in
the physics call and in copying the twins' controls, forces and readings in and out of
MuJoCo's batch rows, which bounds what batching the physics alone can give: the rest is the
per-session Python work (virtual patient, control, safety, recording, the loop) that the
cohort batch does not yet vectorise. Last, that work part by part (one session, each part's
calls timed by a wrapper with the thread's CPU clock: us per tick and share of the tick's CPU;
the timers' own cost, about 1 us a call, lands in the firmware part for the twin's inner calls
and in the rest), which is what computing it across the cohort with numpy would have to shrink.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gaitway import compiled_modules
from gaitway.session.batch import BatchStats, run_sessions
from gaitway.session.builder import SessionCore
from gaitway.session.settings import SessionSettings

PROFILES = ("hemiparetic-left-moderate", "hemiparetic-right-mild", "sci-incomplete", "healthy")


def cohort_settings(n: int, minutes: float) -> list[SessionSettings]:
    return [SessionSettings(profile=PROFILES[i % len(PROFILES)], minutes=minutes, seed=i + 1,
                            controller="guidance" if i % 2 == 0 else "aan")
            for i in range(n)]


def alone(settings: list[SessionSettings]) -> tuple[float, float, float]:
    """(simulated s, process CPU s, wall s) of the sessions run one after another."""
    sim = 0.0
    with tempfile.TemporaryDirectory(prefix="gaitway-bench-batch-") as tmp:
        c0, w0 = time.process_time(), time.perf_counter()
        for i, s in enumerate(settings):
            sim += SessionCore(s, out_dir=Path(tmp) / f"s{i}").run().duration_s
        return sim, time.process_time() - c0, time.perf_counter() - w0


def batched(settings: list[SessionSettings], threads: int
            ) -> tuple[float, float, float, BatchStats]:
    """(simulated s, process CPU s, wall s, the batch's stats) of the sessions together."""
    with tempfile.TemporaryDirectory(prefix="gaitway-bench-batch-") as tmp:
        c0, w0 = time.process_time(), time.perf_counter()
        outcomes, stats = run_sessions(settings, [Path(tmp) / f"s{i}"
                                                  for i in range(len(settings))],
                                       threads=threads)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return sum(o.value().duration_s for o in outcomes), cpu, wall, stats


def _timed(total: list[int], fn: Callable[..., Any]) -> Callable[..., Any]:
    clock = time.thread_time_ns  # CPU of this thread: a busy machine's preemption not in it

    def wrapper(*args: Any) -> Any:
        t0 = clock()
        try:
            return fn(*args)
        finally:
            total[0] += clock() - t0
    return wrapper


def tick_breakdown(minutes: float) -> tuple[dict[str, float], float, int]:
    """({part: us per tick}, the whole tick's thread CPU us, ticks) of one recorded session;
    each part's calls timed by a wrapper set on the instance (the tick's own code unchanged).
    A compiled instance's methods cannot be replaced (gaitway.compiled): where the tick runs
    compiled, the breakdown is measured in a fresh process on the .py modules."""
    if compiled_modules():
        env = {**os.environ, "GAITWAY_PURE_PYTHON": "1"}
        code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import bench_batch as b; "
                "print(json.dumps(b.tick_breakdown(float(sys.argv[2]))))")
        out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent),
                              repr(minutes)], check=True, capture_output=True, text=True,
                             env=env)
        parts, tick, ticks = json.loads(out.stdout.strip().splitlines()[-1])
        return dict(parts), float(tick), int(ticks)
    parts = {k: [0] for k in ("physics (mj_step)", "virtual patient", "twin sample and truth",
                              "twin step (firmware, belt, harness)", "control stack",
                              "safety (supervisor, injector)", "recording (row to the writer)")}
    with tempfile.TemporaryDirectory(prefix="gaitway-bench-batch-") as tmp:
        core = SessionCore(cohort_settings(1, minutes)[0], out_dir=Path(tmp) / "s")
        twin = core.twin
        twin._physics = _timed(parts["physics (mj_step)"], twin._physics)
        twin.patient.update = _timed(parts["virtual patient"],  # type: ignore[method-assign]
                                     twin.patient.update)
        twin._sample = _timed(parts["twin sample and truth"],  # type: ignore[method-assign]
                              twin._sample)
        step_all = [0]
        twin.step = _timed(step_all, twin.step)  # type: ignore[method-assign]
        core.stack.step = _timed(parts["control stack"],  # type: ignore[method-assign]
                                 core.stack.step)
        core.safety.judge = _timed(parts["safety (supervisor, injector)"],  # type: ignore[method-assign]
                                   core.safety.judge)
        rec = parts["recording (row to the writer)"]
        assert core.writer is not None
        core.writer.append = _timed(rec, core.writer.append)  # type: ignore[method-assign]
        c0 = time.thread_time()
        core.run()
        cpu = time.thread_time() - c0
        assert core.result is not None
        ticks = core.result.ticks
    inner = sum(parts[k][0] for k in ("physics (mj_step)", "virtual patient",
                                      "twin sample and truth"))
    parts["twin step (firmware, belt, harness)"][0] = step_all[0] - inner
    return {k: v[0] / 1e3 / ticks for k, v in parts.items()}, cpu / ticks * 1e6, ticks


def run(quick: bool = False) -> list[dict[str, Any]]:
    minutes = 0.05 if quick else 0.1
    rows: list[dict[str, Any]] = []
    load0 = os.getloadavg()[0]
    s16 = cohort_settings(16, minutes)
    base_sim, base_cpu, base_wall = alone(s16[:8])
    base = base_sim / base_cpu
    rows.append({"name": f"8 sessions alone, one after another ({minutes:g} min each, "
                 "recorded; SIMULATED)", "value": base, "unit": "sim s per CPU s",
                 "wall_s": round(base_wall, 2), "load_avg": round(load0, 1)})
    for n, threads in ((8, 1), (16, 1), (8, 2)):
        sim, cpu, wall, st = batched(s16[:n], threads)
        rate = sim / cpu
        rows.append({"name": f"batch of {n}, C pass on "
                     f"{'this thread' if threads == 1 else f'{threads} C threads'}",
                     "value": rate, "unit": "sim s per CPU s", "baseline": round(base, 3),
                     "baseline_name": "alone, sim s per CPU s", "ratio": rate / base,
                     "goal": ">= 3x" if threads == 1 else "", "ok": rate / base >= 3.0,
                     "wall_speedup_vs_alone": round((sim / wall) / (base_sim / base_wall), 3),
                     "physics_call_share_of_wall": round(st.batch_call_wall_s / wall, 3),
                     "row_copies_share_of_wall": round(
                         (st.physics_wall_s - st.batch_call_wall_s) / wall, 3),
                     "load_avg": round(os.getloadavg()[0], 1)})
    pure = " (.py modules)" if compiled_modules() else ""
    parts, tick, ticks = tick_breakdown(minutes)
    for name, us in parts.items():
        rows.append({"name": f"tick part: {name}{pure}", "value": us, "unit": "us per tick",
                     "share_of_tick": round(us / tick, 3)})
    rows.append({"name": f"tick part{pure}: the rest (loop, state machine, phase scorer, effort "
                 "meter, hooks, injector wrapper, the timers' own cost)",
                 "value": tick - sum(parts.values()),
                 "unit": "us per tick", "share_of_tick": round(1 - sum(parts.values()) / tick, 3),
                 "whole_tick_cpu_us": round(tick, 1), "ticks": ticks,
                 "load_avg": round(os.getloadavg()[0], 1)})
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
