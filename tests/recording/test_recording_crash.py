"""kill -9 during a session: everything up to 1 s before the kill reads back, marked cut off."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from gaitway.recording import open_recording
from gaitway.recording.codec import quantise
from gaitway.station.channels import RECORDED_CHANNELS, TRUTH_CHANNELS

#: Deterministic rows from the tick index, shared by the child (which writes) and the test.
ROWS = r"""
import numpy as np
from gaitway.station.channels import RECORDED_CHANNELS, TRUTH_CHANNELS
M, T = len(RECORDED_CHANNELS), len(TRUTH_CHANNELS)
FREQ = 1.0 + 0.05 * np.arange(M + T)
def rows(i):
    t = i * 0.001
    both = np.sin(t * FREQ + np.arange(M + T)) * (1.0 + np.arange(M + T))
    both[0] = t
    return both[:M], both[M:]
"""

CHILD = (
    ROWS
    + r"""
import sys, time
from gaitway.recording import RecordingWriter
w = RecordingWriter(sys.argv[1], channels=RECORDED_CHANNELS, truth_channels=TRUTH_CHANNELS,
                    metadata={"simulated": True, "note": "crash test"})
start = time.monotonic()
print(start, flush=True)
i = 0
while True:  # paced like a live session: each tick written when its time has come
    due = (time.monotonic() - start) / 0.001
    while i <= due:
        values, truth = rows(i)
        w.append(values, truth)
        if i % 250 == 0:
            w.event(i * 0.001, "tick250", "child", i=i)
        i += 1
    time.sleep(0.002)
"""
)


def test_kill_9_mid_session_keeps_all_but_the_last_second(tmp_path: Path) -> None:
    folder = tmp_path / "session"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        start = float(child.stdout.readline())
        time.sleep(max(0.0, start + 2.6 - time.monotonic()))
        killed_at = time.monotonic() - start  # session time of the kill
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    rec = open_recording(folder)
    assert rec.cut_off
    assert not rec.complete
    assert rec.final is None
    assert any("cut off" in p and "no footer" in p for p in rec.problems), rec.problems
    assert rec.metadata["note"] == "crash test"
    assert rec.end_time_s >= killed_at - 1.0, (rec.end_time_s, killed_at)

    namespace: dict[str, object] = {}
    exec(ROWS, namespace)
    rows = namespace["rows"]
    expected = [rows(i) for i in range(rec.n_samples)]  # type: ignore[operator]
    measured = quantise(
        np.array([m for m, _ in expected]), np.array([c.resolution for c in RECORDED_CHANNELS])
    )
    truth = quantise(
        np.array([t for _, t in expected]), np.array([c.resolution for c in TRUTH_CHANNELS])
    )
    ts = rec.read()
    assert np.array_equal(ts.time, measured[:, 0])
    for k, c in enumerate(RECORDED_CHANNELS[1:], start=1):
        assert np.array_equal(ts[c.name], measured[:, k]), c.name
    for k, c in enumerate(TRUTH_CHANNELS):
        assert np.array_equal(ts[c.name], truth[:, k]), c.name
    assert [e.details["i"] for e in rec.events] == list(range(0, rec.n_samples, 250))[
        : len(rec.events)
    ]
    assert rec.events
    assert rec.events[-1].time_s >= killed_at - 1.0 - 0.25
