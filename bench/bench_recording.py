"""Benchmarks of session recordings: append cost, size on disk, read-back speed.

The signals are synthetic (simulated) but shaped like a session's: smooth joint angles and
forces at the stride frequency with sensor noise, step-like contacts and buttons, and white-ish
EMG noise. Run through bench/run.py, or directly: ``python bench/bench_recording.py [--quick]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gaitway.recording import RecordingWriter, open_recording
from gaitway.recording.codec import encode_block
from gaitway.station.channels import RECORDED_CHANNELS, TRUTH_CHANNELS, ChannelSpec

FloatArray = npt.NDArray[np.float64]

STRIDE_HZ = 0.9
#: EMG: white-ish noise, standard deviation in V (resolution 1e-7 V)
EMG_SD = 1e-4
#: Sensor noise (1 SD) for the "twin_noise" case: the values the MuJoCo twin adds
#: (station/sim/twin.py _NOISE_SD on main at 1a95dc9), by channel-name prefix.
SENSOR_NOISE = {
    "hip_angle": 2e-5, "knee_angle": 2e-5, "ankle_angle": 2e-5,
    "hip_velocity": 2e-3, "knee_velocity": 2e-3, "ankle_velocity": 2e-3,
    "hip_torque": 0.1, "knee_torque": 0.1,
    "hip_motor_angle": 2e-5, "knee_motor_angle": 2e-5,
    "hip_drive_current": 0.01, "knee_drive_current": 0.01,
    "hip_drive_temperature": 0.05, "knee_drive_temperature": 0.05,
    "interaction_torque": 0.15, "grf": 1.5, "harness_force": 2.0,
    "pelvis_height": 1e-4, "pelvis_lateral": 1e-4, "belt_speed": 2e-3,
    "imu_acc": 0.05, "imu_gyro": 5e-3,
}  # fmt: skip


def sensor_noise_sd(name: str) -> float:
    """The twin's sensor noise SD for a measured channel (0 for computed channels)."""
    for prefix, sd in SENSOR_NOISE.items():
        if name.startswith(prefix):
            return sd
    return 0.0


def noise_floor_mb_per_30min(channels: tuple[ChannelSpec, ...]) -> float:
    """Lower bound of any lossless coding at these resolutions: the entropy of the quantised
    sensor noise alone (Gaussian, SD >> resolution: log2(SD / resolution) + 2.05 bits)."""
    bits = 0.0
    for c in channels:
        sd = EMG_SD * 0.85 if c.unit == "V" else sensor_noise_sd(c.name)
        if sd > 0:
            bits += max(0.0, np.log2(sd / c.resolution) + 2.05)
    return float(bits / 8 * 1000 * 1800 / 1e6)


SESSION_TICK_US = 80.0  # a session tick of Python + MuJoCo (brief: 60-100 us)


def _signal(spec: ChannelSpec, t: FloatArray, rng: np.random.Generator, noise: float) -> FloatArray:
    """A plausible (simulated) trace for one channel over times ``t``."""
    phase = 2 * np.pi * STRIDE_HZ * t + rng.uniform(0, 2 * np.pi)
    n = t.size
    name, unit = spec.name, spec.unit
    if name == "time":
        return t.copy()
    if unit in ("bool", "bits"):
        return np.zeros(n)
    if name.startswith("truth_contact"):
        return (np.sin(phase) > -0.2).astype(np.float64)
    if "phase" in name:
        return (STRIDE_HZ * t + rng.uniform()) % 1.0
    if unit == "degC":
        return 30.0 + 0.002 * t
    if unit == "1":
        return np.full(n, 0.6) + 0.05 * np.sin(2 * np.pi * t / 120.0)
    if unit == "V":
        return rng.normal(0.0, EMG_SD, n) * (1.0 + 0.8 * np.sin(phase))
    amplitude = {
        "rad": 0.4,
        "rad/s": 3.0,
        "N*m": 20.0,
        "A": 2.0,
        "N": 300.0,
        "m": 0.05,
        "m/s": 0.05,
        "m/s^2": 2.0,
    }.get(unit, 1.0)
    base = amplitude * (np.sin(phase) + 0.3 * np.sin(2 * phase + 1.0) + 0.1 * np.sin(3 * phase))
    if name.startswith(("ref_", "cmd_", "truth_")):
        return base  # computed, not measured: no sensor noise
    return base + rng.normal(0.0, noise * sensor_noise_sd(name), n)


def synthetic(
    channels: tuple[ChannelSpec, ...], n: int, seed: int = 0, noise: float = 0.0, t0: float = 0.0
) -> FloatArray:
    """(n, len(channels)) simulated rows at 1 kHz, time in column 0 when channels start with
    time; ``noise`` scales the twin's sensor noise (0: smooth signals, EMG noise only)."""
    rng = np.random.default_rng(seed)
    t: FloatArray = t0 + np.arange(n, dtype=np.float64) * 0.001
    return np.column_stack([_signal(c, t, rng, noise) for c in channels])


def _row(
    name: str, value: float, unit: str, baseline: float | None = None, goal: str = ""
) -> dict[str, object]:
    ratio = None if baseline in (None, 0.0) else value / baseline
    return {
        "name": name,
        "value": round(value, 4),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 4),
        "ratio": None if ratio is None else round(ratio, 3),
        "goal": goal,
    }


def _append_cost(folder: Path, n: int) -> tuple[float, float, float, float]:
    """us per append() with truth: mean and median in a tight loop (the mean includes waiting
    for the GIL while the writer thread encodes), the worst single call, and the baseline: a
    loop that only copies the rows into a numpy array."""
    measured = synthetic(RECORDED_CHANNELS, n)
    truth = synthetic(TRUTH_CHANNELS, n, seed=1)
    rows = list(measured)
    truth_rows = list(truth)
    buf = np.empty((500, measured.shape[1]))
    tbuf = np.empty((500, truth.shape[1]))
    start = time.perf_counter()
    for i in range(n):
        buf[i % 500] = rows[i]
        tbuf[i % 500] = truth_rows[i]
    baseline = (time.perf_counter() - start) / n * 1e6
    writer = RecordingWriter(
        folder / "append",
        channels=RECORDED_CHANNELS,
        truth_channels=TRUTH_CHANNELS,
        metadata={"simulated": True},
    )
    append = writer.append
    clock = time.perf_counter
    each = np.empty(n)
    start = clock()
    for i in range(n):
        t0 = clock()
        append(rows[i], truth_rows[i])
        each[i] = clock() - t0
    mean = (clock() - start) / n * 1e6 - _clock_cost_us()
    writer.close()
    return mean, float(np.median(each)) * 1e6, float(each.max()) * 1e6, baseline


def _clock_cost_us() -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(10_000):
        clock()
        clock()
    return (clock() - start) / 10_000 * 1e6


def _work(iterations: int) -> int:
    """A fixed amount of Python work standing in for a session tick (holds the GIL)."""
    total = 0
    for k in range(iterations):
        total += k * k
    return total


def _iterations_for(seconds: float) -> int:
    """How many _work iterations take ``seconds`` (best of several, so load does not inflate)."""
    best = float("inf")
    for _ in range(20):
        start = time.perf_counter()
        _work(10_000)
        best = min(best, time.perf_counter() - start)
    return max(1, round(seconds / best * 10_000))


def _session_ratio(folder: Path, n: int, rounds: int = 4) -> tuple[float, float]:
    """Run time of n ticks of ~80 us Python work with recording (closing included), and
    without (seconds, summed over ``rounds`` alternating runs so load hits both alike).
    The writer encodes and writes in the loop's thread, as a headless session's does (a busy
    loop is where the background thread's GIL contention would show)."""
    measured = synthetic(RECORDED_CHANNELS, n)
    truth = synthetic(TRUTH_CHANNELS, n, seed=1)
    rows = list(measured)
    truth_rows = list(truth)
    iterations = _iterations_for(SESSION_TICK_US * 1e-6)
    bare = recorded = 0.0
    clock = time.perf_counter
    for k in range(rounds):
        start = clock()
        for _ in range(n):
            _work(iterations)
        bare += clock() - start
        start = clock()
        with RecordingWriter(
            folder / f"session{k}",
            channels=RECORDED_CHANNELS,
            truth_channels=TRUTH_CHANNELS,
            metadata={"simulated": True},
            write_in_caller=True,
        ) as writer:
            for i in range(n):
                _work(iterations)
                writer.append(rows[i], truth_rows[i])
        recorded += clock() - start
    return recorded, bare


def _encode_cost_per_tick(block: FloatArray) -> float:
    """us of background encoding per tick (one 0.5 s block, best of 5)."""
    res = np.array([c.resolution for c in RECORDED_CHANNELS + TRUTH_CHANNELS])
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        encode_block(block, res)
        best = min(best, time.perf_counter() - start)
    return best / int(block.shape[0]) * 1e6


def _write(folder: Path, measured: FloatArray, truth: FloatArray, repeat: int = 1) -> Path:
    """Write ``measured``/``truth`` ``repeat`` times back to back (time continues)."""
    span = measured.shape[0] * 0.001
    with RecordingWriter(
        folder,
        channels=RECORDED_CHANNELS,
        truth_channels=TRUTH_CHANNELS,
        metadata={"simulated": True},
    ) as writer:
        for k in range(repeat):
            shifted = measured.copy()
            shifted[:, 0] += k * span
            for values, t in zip(shifted, truth, strict=True):
                writer.append(values, t)
    return writer.path


def _fsync_ms(folder: Path) -> float:
    path = folder / "fsync.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    chunk = os.urandom(60_000)
    times = []
    for _ in range(10):
        os.write(fd, chunk)
        start = time.perf_counter()
        os.fsync(fd)
        times.append(time.perf_counter() - start)
    os.close(fd)
    return float(np.median(times)) * 1e3


def run(quick: bool = False) -> list[dict[str, object]]:
    """Rows for bench/run.py; quick measures 2 minutes and extrapolates to 30."""
    minutes = 2 if quick else 5
    n = minutes * 60_000
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cost, median, worst, baseline = _append_cost(folder, 20_000 if quick else 100_000)
        rows.append(_row("recording.append_us_per_tick", cost, "us", baseline, "~1-3 us"))
        rows.append(_row("recording.append_us_median", median, "us", baseline, "~1-3 us"))
        rows.append(_row("recording.append_us_worst_call", worst, "us", goal="informative"))
        recorded, bare = _session_ratio(folder, 3_000 if quick else 10_000)
        rows.append(_row("recording.session_run_time_s", recorded, "s", bare, "ratio <= 1.10"))
        truth = synthetic(TRUTH_CHANNELS, n, seed=2)
        for label, noise in (("smooth_emg", 0.0), ("twin_noise", 1.0)):
            measured = synthetic(RECORDED_CHANNELS, n, seed=3, noise=noise)
            if noise == 0.0:
                encode_us = _encode_cost_per_tick(np.hstack([measured, truth])[:500])
                rows.append(_row("recording.encode_us_per_tick_background", encode_us, "us"))
                rows.append(
                    _row(
                        "recording.cpu_us_per_tick",
                        median + encode_us,
                        "us",
                        SESSION_TICK_US,
                        "ratio <= 0.10 (append median + encode, as if on the loop's core)",
                    )
                )
            path = _write(folder / label, measured, truth)
            size = path.stat().st_size
            rows.append(
                _row(
                    f"recording.mb_per_30min_{label}",
                    size / minutes * 30 / 1e6,
                    "MB",
                    goal="<= 60 MB" if noise == 0.0 else "informative",
                )
            )
        floor = noise_floor_mb_per_30min(RECORDED_CHANNELS)
        rows.append(
            _row(
                "recording.mb_per_30min_twin_noise_floor",
                floor,
                "MB",
                goal="entropy of the noise alone: no lossless codec goes below",
            )
        )
        emg = [c for c in RECORDED_CHANNELS if c.unit == "V"]
        rows.append(
            _row(
                "recording.mb_per_30min_emg_share",
                _emg_mb(n, minutes),
                "MB",
                goal=f"part of the total ({len(emg)} channels)",
            )
        )

        # Read-back speed: a 30-minute file (quick: 2 minutes, extrapolated).
        chunk = 60_000
        measured = synthetic(RECORDED_CHANNELS, chunk, seed=4)
        truth1 = synthetic(TRUTH_CHANNELS, chunk, seed=5)
        read_minutes = 2 if quick else 30
        path = _write(folder / "long", measured, truth1, repeat=read_minutes)
        start = time.perf_counter()
        rec = open_recording(path)
        opened = time.perf_counter() - start
        start = time.perf_counter()
        ts = rec.read()
        full = time.perf_counter() - start
        assert len(ts.time) == read_minutes * chunk
        del ts
        start = time.perf_counter()
        rec.read(["knee_angle_left", "grf_z_left"])
        two = time.perf_counter() - start
        scale = 30 / read_minutes
        rows.append(_row("recording.open_30min_s", opened * scale, "s"))
        rows.append(_row("recording.read_all_channels_30min_s", full * scale, "s"))
        rows.append(_row("recording.read_2_channels_30min_s", two * scale, "s"))
        rows.append(
            _row(
                "recording.fsync_ms_per_call",
                _fsync_ms(folder),
                "ms",
                goal="every 5 s on the writer thread",
            )
        )
    return rows


def _emg_mb(n: int, minutes: int) -> float:
    """MB per 30 min that the EMG channels alone take (the hard-to-compress part)."""
    emg = tuple(c for c in RECORDED_CHANNELS if c.unit == "V")
    block = synthetic(emg, n, seed=6)
    res = np.array([c.resolution for c in emg])
    size = sum(len(encode_block(block[i : i + 500], res)) for i in range(0, n, 500))
    return size / minutes * 30 / 1e6


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
