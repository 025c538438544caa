"""Long reads decode blocks on a thread pool: same values, same order, same damage errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gaitway.recording import RECORDING_FILENAME, open_recording
from gaitway.recording import reader as reader_module
from gaitway.recording.format import BLOCK_HEADER, FILE_HEADER, BlockKind


@pytest.fixture
def long_recording(
    rows: Callable[..., tuple[np.ndarray, np.ndarray]], write_recording: Callable[..., Path]
) -> Path:
    """Ten seconds: twenty samples blocks, enough for several batches of two."""
    measured, truth = rows(10_000, seed=3)
    return write_recording(measured, truth) / RECORDING_FILENAME


def _threads(monkeypatch: pytest.MonkeyPatch, n: int, batch: int = 2) -> None:
    monkeypatch.setattr(reader_module, "_DECODE_THREADS", n)
    monkeypatch.setattr(reader_module, "_DECODE_BATCH", batch)
    monkeypatch.setattr(reader_module.os, "cpu_count", lambda: 4)


#: blocks per batch: one per thread, and batches that each thread takes in runs of several
#: (7 on 4 threads: runs of 2, 2, 2 and 1)
BATCHES = [2, 7]


@pytest.mark.parametrize("batch", BATCHES)
def test_threaded_read_equals_sequential_read(
    long_recording: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    rec = open_recording(long_recording)
    _threads(monkeypatch, 1)
    one = rec.read()
    _threads(monkeypatch, 4, batch)
    many = rec.read()
    assert np.array_equal(one.time, many.time)
    assert len(many.time) == 10_000
    assert np.all(np.diff(many.time) > 0)
    for name in one.data:
        assert np.array_equal(one[name], many[name], equal_nan=True), name
    window = rec.read(["knee_angle_left"], start_s=2.25, end_s=7.5)
    assert window.time[0] == pytest.approx(2.25)
    assert window.time[-1] == pytest.approx(7.5)


@pytest.mark.parametrize("batch", BATCHES)
def test_threaded_read_stops_at_the_first_damaged_block(
    long_recording: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Block 7 is damaged: with batches of 7 it is the first of a batch (nothing of that
    batch is decoded), with batches of 2 inside one."""
    raw = bytearray(long_recording.read_bytes())
    at, number, samples = FILE_HEADER.size, 0, []
    while at < len(raw):
        kind, _f, _r, length, *_ = BLOCK_HEADER.unpack_from(raw, at)
        if BlockKind(kind) == BlockKind.SAMPLES:
            samples.append((number, at, length))
        at += BLOCK_HEADER.size + length
        number += 1
    for _, offset, length in (samples[7], samples[12]):
        raw[offset + BLOCK_HEADER.size + length // 2] ^= 0x5A
    long_recording.write_bytes(bytes(raw))
    _threads(monkeypatch, 4, batch)
    first_number, first_offset, _ = samples[7]
    rec = open_recording(long_recording)
    got = rec.read()
    assert len(got.time) == 7 * 500  # the seven whole blocks before the first damaged one
    assert np.all(np.diff(got.time) > 0)
    assert [x.at_byte for x in rec.losses] == [first_offset]
    assert f"samples block {first_number} is damaged" in rec.problems[0]
