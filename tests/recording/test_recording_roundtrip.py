"""Writing then reading a recording: every channel, events, metadata, windows, gaps."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gaitway.recording import (
    RECORDING_FILENAME,
    Event,
    RecordingError,
    RecordingWriter,
    open_recording,
)
from gaitway.recording.codec import quantise
from gaitway.station.channels import RECORDED_CHANNELS, TRUTH_CHANNELS

RES = np.array([c.resolution for c in RECORDED_CHANNELS])
TRUTH_RES = np.array([c.resolution for c in TRUTH_CHANNELS])
EVENTS: tuple[tuple[float, str, str, dict[str, object]], ...] = (
    (0.25, "phase", "session", {"to": "walking"}),
    (1.0015, "fault", "safety", {"bits": 4, "joint": "knee_left"}),
    (2.2, "stop", "therapist", {}),
)


#: blocks encoded and written by the writer thread (live loops) or by the appending thread
#: (headless sessions): the same file either way
WRITE_MODES = pytest.mark.parametrize("write_in_caller", [False, True],
                                      ids=["writer-thread", "in-caller"])


@WRITE_MODES
def test_round_trip_every_channel_with_truth_events_and_metadata(
    rows: Callable[..., tuple[np.ndarray, np.ndarray]], write_recording: Callable[..., Path],
    write_in_caller: bool,
) -> None:
    measured, truth = rows(2345)
    measured[100, 5] = np.nan  # a sensor dropout
    measured[101:110, 20] = np.inf
    measured[200, 30] = -np.inf
    folder = write_recording(measured, truth, events=EVENTS, write_in_caller=write_in_caller)

    rec = open_recording(folder)
    assert rec.path == folder / RECORDING_FILENAME
    assert rec.complete
    assert not rec.cut_off
    assert rec.problems == []
    assert rec.final == {"ended_by": "test", "strides": 3}
    assert rec.metadata["patient"] == {"id": "virtual-1", "mass_kg": 72.5}
    assert rec.simulated is True
    assert rec.channels == RECORDED_CHANNELS
    assert rec.truth_channels == TRUTH_CHANNELS
    assert rec.channel_names[0] == "time"
    assert rec.channel_names[-1] == TRUTH_CHANNELS[-1].name
    assert rec.units["grf_z_left"] == "N"
    assert rec.units["truth_fatigue"] == "1"
    assert rec.n_samples == 2345
    assert rec.start_time_s == 0.0
    assert rec.end_time_s == pytest.approx(2.344)
    assert rec.duration_s == pytest.approx(2.345)
    assert rec.events == [Event(t, k, s, d) for t, k, s, d in EVENTS]

    ts = rec.read()
    assert "time" not in ts.data
    assert len(ts.data) == len(rec.channel_names) - 1
    expected = quantise(measured, RES)
    assert np.array_equal(ts.time, expected[:, 0])
    for k, c in enumerate(RECORDED_CHANNELS[1:], start=1):
        assert np.array_equal(ts[c.name], expected[:, k], equal_nan=True), c.name
        assert ts.units[c.name] == c.unit
    expected_truth = quantise(truth, TRUTH_RES)
    for k, c in enumerate(TRUTH_CHANNELS):
        assert np.array_equal(ts[c.name], expected_truth[:, k]), c.name
    assert np.isnan(ts[RECORDED_CHANNELS[5].name][100])
    assert np.all(ts[RECORDED_CHANNELS[20].name][101:110] == np.inf)
    assert ts.sampling_rate_hz == 1000.0
    assert ts.gaps == []
    assert len(ts.events) == 3


def test_window_reads_only_what_is_asked(
    rows: Callable[..., tuple[np.ndarray, np.ndarray]], write_recording: Callable[..., Path]
) -> None:
    measured, _ = rows(3000)
    rec = open_recording(write_recording(measured, events=EVENTS))
    ts = rec.read(["knee_angle_left", "emg_tibialis_anterior_right"], start_s=0.9995, end_s=2.2)
    expected = quantise(measured, RES)
    rows_in = (expected[:, 0] >= 0.9995) & (expected[:, 0] <= 2.2)
    assert np.array_equal(ts.time, expected[rows_in, 0])
    assert ts.time[0] == pytest.approx(1.0)
    assert ts.time[-1] == pytest.approx(2.2)
    k = [c.name for c in RECORDED_CHANNELS].index("knee_angle_left")
    assert np.array_equal(ts["knee_angle_left"], expected[rows_in, k])
    assert list(ts.data) == ["knee_angle_left", "emg_tibialis_anterior_right"]
    assert [e.kind for e in ts.events] == ["fault", "stop"]
    assert len(rec.read(start_s=10.0).time) == 0
    with pytest.raises(RecordingError, match="must not be after"):
        rec.read(start_s=2.0, end_s=1.0)


def test_unknown_channel_lists_the_known_ones(
    rows: Callable[..., tuple[np.ndarray, np.ndarray]], write_recording: Callable[..., Path]
) -> None:
    rec = open_recording(write_recording(rows(10)[0]))
    with pytest.raises(RecordingError, match=r"'knee_angle_middle'.*known channels: time, "):
        rec.read(["knee_angle_middle"])


def test_gaps_in_time_are_reported(
    rows: Callable[..., tuple[np.ndarray, np.ndarray]], write_recording: Callable[..., Path]
) -> None:
    measured, _ = rows(1200)
    measured[700:, 0] += 0.050  # 50 ms without samples
    rec = open_recording(write_recording(measured))
    gaps = rec.read().gaps
    assert len(gaps) == 1
    assert gaps[0][0] == pytest.approx(0.699)
    assert gaps[0][1] == pytest.approx(0.750)


def test_blocks_hold_at_most_block_seconds(
    rows: Callable[..., tuple[np.ndarray, np.ndarray]], write_recording: Callable[..., Path]
) -> None:
    measured, _ = rows(1000)
    measured[300:, 0] += 3.0  # a time jump must start a new block
    rec = open_recording(write_recording(measured, block_seconds=0.2))
    spans = rec._blocks.t_last - rec._blocks.t_first
    assert spans.max() < 0.2
    assert rec.n_samples == 1000


def test_same_input_gives_the_same_bytes(
    rows: Callable[..., tuple[np.ndarray, np.ndarray]], write_recording: Callable[..., Path]
) -> None:
    measured, truth = rows(1700, seed=9)
    a = write_recording(measured, truth, events=EVENTS) / RECORDING_FILENAME
    b = write_recording(measured, truth, events=EVENTS, write_in_caller=True) / RECORDING_FILENAME
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_exception_in_the_with_block_is_recorded_as_ended_by(tmp_path: Path) -> None:
    measured = np.zeros((5, len(RECORDED_CHANNELS)))
    measured[:, 0] = np.arange(5) * 0.001
    writer = RecordingWriter(
        tmp_path / "s", channels=RECORDED_CHANNELS, metadata={"simulated": False}
    )

    def session() -> None:
        with writer as w:
            for row in measured:
                w.append(row)
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        session()
    rec = open_recording(tmp_path / "s")
    assert rec.complete
    assert rec.final == {"ended_by": "error: division by zero"}
    assert rec.n_samples == 5
    assert rec.simulated is False


def test_close_is_idempotent_and_writer_refuses_after_close(tmp_path: Path) -> None:
    w = RecordingWriter(tmp_path / "s", channels=RECORDED_CHANNELS, metadata={"simulated": True})
    w.close({"ended_by": "done"})
    w.close({"ended_by": "again"})
    with pytest.raises(RecordingError, match="closed"):
        w.append(np.zeros(len(RECORDED_CHANNELS)))
    rec = open_recording(tmp_path / "s")
    assert rec.final == {"ended_by": "done"}
    assert rec.n_samples == 0
    assert rec.duration_s == 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metadata": {}}, "simulated"),
        ({"channels": RECORDED_CHANNELS[1:]}, "'time'"),
        ({"channels": RECORDED_CHANNELS + RECORDED_CHANNELS[1:2]}, "unique"),
        ({"truth_channels": TRUTH_CHANNELS, "metadata": {"simulated": False}}, "simulation"),
        ({"block_seconds": 2.0}, "block_seconds"),
        ({"metadata": {"simulated": True, "bad": object()}}, "JSON"),
    ],
)
def test_bad_writer_arguments_are_clear_errors(
    tmp_path: Path, kwargs: dict[str, object], match: str
) -> None:
    args: dict[str, object] = {"channels": RECORDED_CHANNELS, "metadata": {"simulated": True}}
    args.update(kwargs)
    with pytest.raises(RecordingError, match=match):
        RecordingWriter(tmp_path / "s", **args)  # type: ignore[arg-type]


def test_bad_appends_and_events_are_clear_errors(tmp_path: Path) -> None:
    with RecordingWriter(
        tmp_path / "s",
        channels=RECORDED_CHANNELS,
        truth_channels=TRUTH_CHANNELS,
        metadata={"simulated": True},
    ) as w:
        with pytest.raises(RecordingError, match="truth values"):
            w.append(np.zeros(len(RECORDED_CHANNELS)))
        with pytest.raises(RecordingError, match=f"needs {len(RECORDED_CHANNELS)} values"):
            w.append(np.zeros(3), np.zeros(len(TRUTH_CHANNELS)))
        with pytest.raises(RecordingError, match="JSON"):
            w.event(0.0, "note", "test", thing=object())
        with pytest.raises(RecordingError, match="kind and source"):
            w.event(0.0, "", "test")


def test_existing_recording_is_never_overwritten(tmp_path: Path) -> None:
    meta = {"simulated": True}
    RecordingWriter(tmp_path / "s", channels=RECORDED_CHANNELS, metadata=meta).close()
    with pytest.raises(RecordingError, match="already exists"):
        RecordingWriter(tmp_path / "s", channels=RECORDED_CHANNELS, metadata={"simulated": True})


@WRITE_MODES
def test_a_stalled_loop_still_gets_its_partial_block_written(
    tmp_path: Path, write_in_caller: bool
) -> None:
    """The writer hands off a half-full block itself, so a crash during a stall loses little."""
    w = RecordingWriter(
        tmp_path / "s", channels=RECORDED_CHANNELS, metadata={"simulated": True}, block_seconds=0.1,
        write_in_caller=write_in_caller,
    )
    row = np.zeros(len(RECORDED_CHANNELS))
    for i in range(30):
        row[0] = i * 0.001
        w.append(row)
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        rec = open_recording(tmp_path / "s")
        if rec.n_samples == 30:
            break
        time.sleep(0.05)
    assert rec.n_samples == 30
    assert rec.cut_off
    w.close()


@WRITE_MODES
def test_a_full_disk_is_reported_to_the_loop_and_leaves_a_cut_off_file(
    tmp_path: Path, write_in_caller: bool
) -> None:
    w = RecordingWriter(
        tmp_path / "s", channels=RECORDED_CHANNELS, metadata={"simulated": True}, block_seconds=0.1,
        write_in_caller=write_in_caller,
    )
    row = np.zeros(len(RECORDED_CHANNELS))
    for i in range(150):
        row[0] = i * 0.001
        w.append(row)
    w.flush()
    deadline = time.monotonic() + 5.0
    while open_recording(tmp_path / "s").n_samples < 150 and time.monotonic() < deadline:
        time.sleep(0.02)
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, w._fd)
    os.close(full)
    with pytest.raises(RecordingError, match="No space left"):  # noqa: PT012 - loop until reported
        for i in range(150, 5000):
            row[0] = i * 0.001
            w.append(row)
            time.sleep(0.0002)
    with pytest.raises(RecordingError, match="failed"):
        w.close()
    rec = open_recording(tmp_path / "s")
    assert rec.cut_off
    assert rec.n_samples == 150
