"""Benchmarks of the gait analytics.

- Offline analysis of a 30-minute SIMULATED twin recording at 1 kHz (issue 17: at most 2.5 s
  and 500 MB, the same results), each figure in its own child process so its peak memory is
  its own; baselines in the same run: reading the channels alone, and the whole analysis as
  it was before (``--before SRC``: the ``src`` tree of an earlier commit, e.g. from
  ``git archive``; optional), alternated with this code, with a check that both give the
  same result JSON.
- The EMG pipeline against neurokit2's on the same signal (speed and output agreement).
- Live per-stride latency (goal: each stride's record within 50 ms); baseline: one tick.

The recording comes from the MuJoCo twin (SIMULATED): a session of ``TILE_MINUTES`` of the
hemiparetic-left-moderate patient (seed 1) is simulated once and its rows repeated, time
shifted, to 30 minutes, a fixture made by code and cached in ``bench/results/cache`` (the
twin itself would take 2-40 minutes to simulate 30, depending on the machine's load).
``--recording PATH`` analyses a given recording instead (e.g. a real 30-minute twin session
made with ``gaitway simulate --minutes 30``). Run through bench/run.py, or directly:
``python bench/bench_analytics.py [--quick] [--recording PATH] [--before SRC]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gaitway.analytics.emg import EmgParams, EmgPipeline
from gaitway.analytics.live import LiveStrideAnalyzer
from gaitway.analytics.synthetic import SyntheticGait, generate
from gaitway.recording import RecordingWriter, open_recording
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings

Row = dict[str, object]

HERE = Path(__file__).resolve().parent
CACHE = HERE / "results" / "cache"
TILE_MINUTES = 5.0
PROFILE, SEED = "hemiparetic-left-moderate", 1

_CHILD = """
import hashlib, json, resource, sys, time
from pathlib import Path
from gaitway.analytics import analyze_path
from gaitway.analytics.readers.recording_reader import read_recording
mode, path = sys.argv[1], Path(sys.argv[2])
t0, c0 = time.perf_counter(), time.process_time()
digest = None
if mode == "read":
    read_recording(path)
elif mode == "read64":
    import numpy as np
    read_recording(path, channel_dtype=np.float64)
else:
    result = analyze_path(path)
    t1, c1 = time.perf_counter(), time.process_time()
    digest = hashlib.sha256(json.dumps(result, sort_keys=True).encode()).hexdigest()[:16]
# VmHWM: this process's own peak (ru_maxrss keeps the parent's high-water mark across exec)
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
rss = (int(hwm[0].split()[1]) if hwm else
       resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
out = {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}
if digest is not None:
    out = {"seconds": t1 - t0, "cpu_seconds": c1 - c0, "result_sha256": digest}
try:  # the compiled block decoder (gaitway.recording.native), where this tree has one
    from gaitway.recording.native import decoder
    native = decoder() is not None
except ImportError:
    native = False
print(json.dumps({**out, "max_rss_mb": rss, "native_decode": native}))
"""


def twin_recording(minutes: float, tile_minutes: float = TILE_MINUTES) -> Path:
    """A SIMULATED twin recording of ``minutes`` (a session folder): one twin session of
    ``tile_minutes`` repeated (time shifted, all channels and truth) until long enough;
    cached."""
    path = CACHE / f"twin_{PROFILE}_seed{SEED}_{tile_minutes:g}min_x_{minutes:g}min"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        run_session(SessionSettings(profile=PROFILE, minutes=tile_minutes, seed=SEED), Path(d))
        rec = open_recording(Path(d))
        cols = [c.name for c in rec.channels if c.name != "time"]
        tcols = [c.name for c in rec.truth_channels]
        ts = rec.read()
        rows: npt.NDArray[np.float64] = np.column_stack(
            [ts.time, *(ts[n] for n in cols)]).astype(np.float64, copy=False)
        truth = np.column_stack([ts[n] for n in tcols])
        meta = {**rec.metadata, "simulated": True,
                "source": f"MuJoCo twin, {tile_minutes:g} min repeated to {minutes:g} min "
                          "(benchmark fixture, SIMULATED)"}
        period = float(ts.time[-1] - ts.time[0]) + rec.dt
        tmp = path.with_name(path.name + ".part")  # a folder, renamed when complete
        shutil.rmtree(tmp, ignore_errors=True)  # left by an interrupted run
        with RecordingWriter(tmp, channels=rec.channels, truth_channels=rec.truth_channels,
                             metadata=meta, fsync_seconds=None) as w:
            for k in range(int(np.ceil(minutes / tile_minutes))):
                shifted = rows.copy()
                shifted[:, 0] += k * period
                for r, q in zip(shifted, truth, strict=True):
                    if r[0] - ts.time[0] >= minutes * 60.0:
                        break
                    w.append(r, q)
        tmp.rename(path)
    return path


def _child(mode: str, path: Path, src: Path | None = None, *,
           numpy_decode: bool = False, scipy_filter: bool = False) -> dict[str, float | bool]:
    """One figure in a fresh process; ``src`` runs another source tree of gaitway;
    ``numpy_decode`` switches the compiled block decoder off (GAITWAY_NATIVE_DECODE=0),
    ``scipy_filter`` the compiled lockstep filter (GAITWAY_NATIVE_FILTER=0)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    if numpy_decode:
        env["GAITWAY_NATIVE_DECODE"] = "0"
    if scipy_filter:
        env["GAITWAY_NATIVE_FILTER"] = "0"
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path)], check=True,
                         capture_output=True, text=True, env=env)
    result: dict[str, float | bool] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _alternated(path: Path, what: str, label: str, *, numpy_decode: bool = False,
                scipy_filter: bool = False) -> Row:
    """The analysis with one compiled part switched off (as :func:`_child`) against it on, in
    alternated child processes, best of three each, with whether every result was the same."""
    pairs = [(_child("analyze", path, numpy_decode=numpy_decode, scipy_filter=scipy_filter),
              _child("analyze", path)) for _ in range(3)]
    old = min((o for o, _ in pairs), key=lambda r: r["cpu_seconds"])
    new = min((n for _, n in pairs), key=lambda r: r["cpu_seconds"])
    same = len({r["result_sha256"] for pair in pairs for r in pair}) == 1
    return {"name": f"analyze recording, CPU time, {what}, {label}",
            "value": round(new["cpu_seconds"], 3), "unit": "s",
            "baseline": round(old["cpu_seconds"], 3),
            "ratio": round(new["cpu_seconds"] / old["cpu_seconds"], 2),
            "goal": f"best of 3 alternated; identical result JSON: {same}"}


def bench_offline(quick: bool, recording: Path | None = None,
                  before: Path | None = None, decoders: bool = False,
                  filters: bool = False) -> list[Row]:
    minutes = 3.0 if quick else 30.0
    path = recording or twin_recording(minutes, 1.0 if quick else TILE_MINUTES)
    rec = open_recording(path)
    minutes = rec.duration_s / 60.0
    read = _child("read", path)
    full = _child("analyze", path)
    decode = "compiled" if full["native_decode"] else "numpy"
    label = f"{minutes:.3g} min at 1 kHz, SIMULATED twin ({path.name}), {decode} block decoder"
    rows: list[Row] = [
        {"name": f"analyze recording, CPU time (all threads), {label}",
         "value": round(full["cpu_seconds"], 3), "unit": "s",
         "baseline": round(read["cpu_seconds"], 3),
         "ratio": round(full["cpu_seconds"] / read["cpu_seconds"], 2),
         "goal": "<= 2.5 s for 30 min (issue 17); baseline: reading its channels"},
        {"name": f"analyze recording, wall time, {label}", "value": round(full["seconds"], 3),
         "unit": "s", "baseline": round(read["seconds"], 3),
         "ratio": round(full["seconds"] / read["seconds"], 2),
         "goal": "<= 2.5 s for 30 min (issue 17); wall time is noisy on a shared machine"},
        {"name": f"analyze recording, peak memory, {label}", "value": round(full["max_rss_mb"]),
         "unit": "MB", "baseline": round(read["max_rss_mb"]),
         "ratio": round(full["max_rss_mb"] / read["max_rss_mb"], 2),
         "goal": "<= 500 MB for 30 min (issue 17); baseline: reading its channels"},
    ]
    if before is not None:
        # alternated, best of three each: on a shared machine one run says little
        pairs = [(_child("analyze", path, before), _child("analyze", path)) for _ in range(3)]
        old = min((o for o, _ in pairs), key=lambda r: r["cpu_seconds"])
        full = min([full, *(n for _, n in pairs)], key=lambda r: r["cpu_seconds"])
        same = all(o["result_sha256"] == full["result_sha256"] for o, n in pairs) and all(
            n["result_sha256"] == full["result_sha256"] for _, n in pairs)
        rows += [
            {"name": f"analyze recording, CPU time vs before, {label}",
             "value": round(full["cpu_seconds"], 3), "unit": "s",
             "baseline": round(old["cpu_seconds"], 3),
             "ratio": round(full["cpu_seconds"] / old["cpu_seconds"], 2),
             "goal": f"best of 3 alternated; baseline: the code in {before}; identical "
                    f"result JSON: {same}"},
            {"name": f"analyze recording, peak memory vs before, {label}",
             "value": round(full["max_rss_mb"]), "unit": "MB",
             "baseline": round(old["max_rss_mb"]),
             "ratio": round(full["max_rss_mb"] / old["max_rss_mb"], 2),
             "goal": f"baseline: the code in {before}"},
        ]
    if decoders and full["native_decode"]:
        rows.append(_alternated(path, "compiled vs numpy block decoder", label,
                                numpy_decode=True))
    if filters:
        rows.append(_alternated(path, "lockstep vs scipy EMG filters", label,
                                scipy_filter=True))
    return rows


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


def run(quick: bool = False, recording: Path | None = None,
        before: Path | None = None) -> list[dict[str, object]]:
    return bench_live(quick) + bench_emg(quick) + bench_offline(quick, recording, before)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--recording", type=Path, default=None,
                        help="analyse this recording instead of the twin fixture")
    parser.add_argument("--before", type=Path, default=None,
                        help="a src/ tree of the code before (e.g. a git worktree's src)")
    parser.add_argument("--only-offline", action="store_true")
    parser.add_argument("--decoders", action="store_true",
                        help="also compare with numpy's block decoder (GAITWAY_NATIVE_DECODE=0)")
    parser.add_argument("--filters", action="store_true",
                        help="also compare with scipy's EMG filters (GAITWAY_NATIVE_FILTER=0)")
    a = parser.parse_args()
    rows = (bench_offline(a.quick, a.recording, a.before, a.decoders, a.filters)
            if a.only_offline
            else run(a.quick, a.recording, a.before))
    for r in rows:
        print(r)
