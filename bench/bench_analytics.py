"""Benchmarks of the gait analytics.

- Offline analysis of a 30-minute recording at 1 kHz (goal: at most 5 s and 2 GB), timed in a
  child process so its peak memory is its own; baseline: reading the same channels.
- The EMG pipeline against neurokit2's on the same signal (speed and output agreement).
- Live per-stride latency (goal: each stride's record within 50 ms); baseline: one tick.

The recording is written from the SIMULATED synthetic generator (not the physics twin, which
would take ~9 minutes to simulate 30). Run through bench/run.py, or directly:
``python bench/bench_analytics.py [--quick]``.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gaitway.analytics.emg import EmgParams, EmgPipeline
from gaitway.analytics.live import LiveStrideAnalyzer
from gaitway.analytics.synthetic import FOUR_MUSCLES, SyntheticGait, generate
from gaitway.recording import RecordingWriter
from gaitway.station.channels import RECORDED_CHANNELS, TRUTH_CHANNELS

Row = dict[str, object]

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from gaitway.analytics import analyze_path
from gaitway.analytics.readers.recording_reader import read_recording
mode, path = sys.argv[1], Path(sys.argv[2])
t0, c0 = time.perf_counter(), time.process_time()
if mode == "read":
    read_recording(path)
elif mode == "read64":
    import numpy as np
    read_recording(path, channel_dtype=np.float64)
elif mode == "analyze64":  # the path before issue 17: float64 channels
    import numpy as np
    from gaitway.analytics.analyze import analyze_data
    d, tr = read_recording(path, channel_dtype=np.float64)
    analyze_data(d, truth=tr)
else:
    analyze_path(path)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}
print(json.dumps({**out, "max_rss_mb": rss}))
"""


def write_recording(path: Path, minutes: float, seed: int = 0) -> None:
    """A recording in Gaitway's format from the synthetic generator, with truth contact."""
    chunk_s = 60.0
    names = [c.name for c in RECORDED_CHANNELS]
    tnames = [c.name for c in TRUTH_CHANNELS]
    meta = {"simulated": True, "patient": {"body_mass_kg": 70.0, "height_m": 1.75},
            "source": "synthetic generator (bench)"}
    with RecordingWriter(path, channels=RECORDED_CHANNELS, truth_channels=TRUTH_CHANNELS,
                         metadata=meta, fsync_seconds=None) as w:
        n_chunks = int(np.ceil(minutes * 60 / chunk_s))
        for k in range(n_chunks):
            data, truth, _ = generate(SyntheticGait(duration_s=chunk_s, emg_bursts=FOUR_MUSCLES,
                                                    seed=seed + k))
            assert data.forces is not None
            assert data.kinematics is not None
            assert data.emg is not None
            cols = {**data.forces.channels, **data.kinematics.channels, **data.emg.channels}
            t = data.forces.time
            rows = np.zeros((len(t), len(names)))
            rows[:, 0] = t + k * chunk_s
            for i, n in enumerate(names[1:], start=1):
                if n in cols:
                    rows[:, i] = np.nan_to_num(cols[n])
            tr = np.zeros((len(t), len(tnames)))
            for side in ("left", "right"):
                c = np.zeros(len(t))
                ev = [e for e in truth if e.side == side]
                for a, b in itertools.pairwise(ev):
                    if a.kind == "heel_strike" and b.kind == "toe_off":
                        c[(t >= a.time_s) & (t < b.time_s)] = 1.0
                tr[:, tnames.index(f"truth_contact_{side}")] = c
            for r, q in zip(rows, tr, strict=True):
                w.append(r, q)


def _child(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path)], check=True,
                         capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def bench_offline(quick: bool) -> list[Row]:
    minutes = 3.0 if quick else 30.0
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.gwrec"
        write_recording(path, minutes)
        read = _child("read", path)
        full = _child("analyze", path)
        read64 = _child("read64", path)
        full64 = _child("analyze64", path)
    label = f"{minutes:g} min at 1 kHz"
    goal = "<= 5 s for 30 min (baseline: reading its channels)"
    vs64 = "baseline: the same with float64 channels (before issue 17)"
    return [
        {"name": f"analyze recording, float32 channels, CPU time, {label}",
         "value": round(full["cpu_seconds"], 3), "unit": "s",
         "baseline": round(full64["cpu_seconds"], 3),
         "ratio": round(full["cpu_seconds"] / full64["cpu_seconds"], 2),
         "goal": "<= 2.5 s for 30 min (issue 17); " + vs64},
        {"name": f"analyze recording, float32 channels, peak memory, {label}",
         "value": round(full["max_rss_mb"]), "unit": "MB", "baseline": round(full64["max_rss_mb"]),
         "ratio": round(full["max_rss_mb"] / full64["max_rss_mb"], 2),
         "goal": "<= 500 MB for 30 min (issue 17); " + vs64},
        {"name": f"read recording channels, float32, peak memory, {label}",
         "value": round(read["max_rss_mb"]), "unit": "MB", "baseline": round(read64["max_rss_mb"]),
         "ratio": round(read["max_rss_mb"] / read64["max_rss_mb"], 2), "goal": vs64},
        {"name": f"analyze recording, wall time, {label}", "value": round(full["seconds"], 3),
         "unit": "s", "baseline": round(read["seconds"], 3),
         "ratio": round(full["seconds"] / read["seconds"], 2), "goal": goal},
        {"name": f"analyze recording, CPU time, {label}", "value": round(full["cpu_seconds"], 3),
         "unit": "s", "baseline": round(read["cpu_seconds"], 3),
         "ratio": round(full["cpu_seconds"] / read["cpu_seconds"], 2),
         "goal": goal + "; CPU time is the fair figure on a shared machine"},
        {"name": f"analyze recording peak memory, {label}", "value": round(full["max_rss_mb"]),
         "unit": "MB", "baseline": round(read["max_rss_mb"]),
         "ratio": round(full["max_rss_mb"] / read["max_rss_mb"], 2),
         "goal": "<= 2048 MB for 30 min (baseline: reading its channels)"},
    ]


def bench_emg(quick: bool) -> list[Row]:
    import neurokit2 as nk

    seconds = 30.0 if quick else 120.0
    data, _, _ = generate(SyntheticGait(duration_s=seconds, seed=3))
    assert data.emg is not None
    raw = data.emg.channels["emg_tibialis_anterior_left"]
    fs = 1000.0
    t0 = time.perf_counter()
    ours = EmgPipeline().process(raw, sampling_rate_hz=fs)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    nk.emg_process(raw, sampling_rate=int(fs))
    t_nk = time.perf_counter() - t0
    p = EmgParams()
    band = nk.signal_filter(raw, sampling_rate=fs, lowcut=p.band_low_hz, highcut=p.band_high_hz,
                            method="butterworth", order=p.band_order)
    env = nk.signal_filter(np.abs(band), sampling_rate=fs, highcut=p.envelope_hz,
                           method="butterworth", order=p.envelope_order)
    r_same = float(np.corrcoef(ours.envelope_, env)[0, 1])
    default_env = nk.emg_amplitude(nk.emg_clean(raw, sampling_rate=int(fs)))
    r_default = float(np.corrcoef(ours.envelope_, default_env)[0, 1])
    label = f"{seconds:g} s at 1 kHz"
    return [
        {"name": f"EMG pipeline (ours, with onsets and median frequency), {label}",
         "value": round(t_ours, 4), "unit": "s", "baseline": round(t_nk, 4),
         "ratio": round(t_ours / t_nk, 3), "goal": "baseline: neurokit2.emg_process, same signal"},
        {"name": "EMG envelope correlation with neurokit2, same filter settings",
         "value": round(r_same, 6), "unit": "r", "baseline": 1.0, "ratio": round(r_same, 6),
         "goal": ">= 0.999"},
        {"name": "EMG envelope correlation with neurokit2 default (TKEO) envelope",
         "value": round(r_default, 4), "unit": "r", "baseline": 1.0, "ratio": round(r_default, 4),
         "goal": "informative (different method)"},
    ]


def bench_live(quick: bool) -> list[Row]:
    seconds = 30.0 if quick else 120.0
    data, _, _ = generate(SyntheticGait(duration_s=seconds, seed=5, emg=False))
    assert data.forces is not None
    assert data.kinematics is not None
    names = ["time", *data.forces.channels, *data.kinematics.channels]
    rows = np.column_stack(
        [data.forces.time, *data.forces.channels.values(), *data.kinematics.channels.values()]
    )
    live = LiveStrideAnalyzer(sampling_rate_hz=1000.0, channel_names=names, body_mass_kg=70.0)
    stride_costs: list[float] = []
    tick_costs: list[float] = []
    for row in rows:
        t0 = time.perf_counter()
        out = live.push(row)
        dt = time.perf_counter() - t0
        (stride_costs if out else tick_costs).append(dt)
    worst = max(stride_costs) * 1000
    return [
        {"name": "live per-stride record, worst compute time", "value": round(worst, 3),
         "unit": "ms", "baseline": round(float(np.mean(tick_costs)) * 1000, 4),
         "ratio": round(worst / (float(np.mean(tick_costs)) * 1000), 1),
         "goal": "<= 50 ms after the stride's heel strike (baseline: one ordinary tick)"},
    ]


def run(quick: bool = False) -> list[dict[str, object]]:
    return bench_live(quick) + bench_emg(quick) + bench_offline(quick)


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
