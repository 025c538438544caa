"""Damaged files are reported clearly (which block, what to do), never as a numpy/zstd error.

Policy under test: an incomplete tail is a cut-off recording, readable up to it; a bad checksum
anywhere else is a RecordingError naming the block (for samples: at read time, and a window
avoiding the block still reads).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gaitway.recording import RECORDING_FILENAME, RecordingError, open_recording
from gaitway.recording.format import BLOCK_HEADER, FILE_HEADER, BlockKind


@pytest.fixture
def recording(
    rows: Callable[..., tuple[np.ndarray, np.ndarray]], write_recording: Callable[..., Path]
) -> Path:
    """A 2.2 s recording: meta, then events and samples blocks (0.5 s each), then the footer."""
    measured, _ = rows(2200)
    events: tuple[tuple[float, str, str, dict[str, object]], ...] = (
        (0.1, "a", "test", {}),
        (1.2, "b", "test", {}),
    )
    return write_recording(measured, events=events) / RECORDING_FILENAME


def blocks(path: Path) -> list[tuple[int, BlockKind, int]]:
    """(offset, kind, payload length) of every block, walking the headers."""
    raw = path.read_bytes()
    out = []
    at = FILE_HEADER.size
    while at < len(raw):
        kind, _f, _r, length, *_ = BLOCK_HEADER.unpack_from(raw, at)
        out.append((at, BlockKind(kind), length))
        at += BLOCK_HEADER.size + length
    return out


def flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x5A
    path.write_bytes(bytes(raw))


def test_layout_is_meta_events_samples_footer(recording: Path) -> None:
    kinds = [k for _, k, _ in blocks(recording)]
    assert kinds[0] == BlockKind.META
    assert kinds[-1] == BlockKind.FOOTER
    assert kinds.count(BlockKind.SAMPLES) == 5
    assert kinds.count(BlockKind.EVENTS) == 2


def test_flipped_byte_in_samples_payload_names_the_block(recording: Path) -> None:
    number, (offset, _, length) = next(
        (n, b) for n, b in enumerate(blocks(recording)) if b[1] == BlockKind.SAMPLES and n > 2
    )
    flip(recording, offset + BLOCK_HEADER.size + length // 2)
    rec = open_recording(recording)  # the index reads headers only
    with pytest.raises(RecordingError, match=rf"block {number} at byte {offset} .*checksum"):
        rec.read()
    with pytest.raises(RecordingError, match=r"read a window that avoids 0\.500-0\.999 s"):
        rec.read(["knee_angle_left"], 0.7, 0.8)
    ok = rec.read(["knee_angle_left"], start_s=1.0)  # outside the damaged block
    assert ok.time[0] == pytest.approx(1.0)
    assert len(ok.time) == 1200
    damage = rec.verify()
    assert len(damage) == 1
    assert f"block {number}" in damage[0]


def test_flipped_byte_in_a_block_header_mid_file_names_the_block(recording: Path) -> None:
    number, (offset, _, _) = 4, blocks(recording)[4]
    flip(recording, offset + 6)  # inside the length field
    with pytest.raises(RecordingError, match=rf"block {number} at byte {offset} .*header checksum"):
        open_recording(recording)


def test_flipped_byte_in_an_events_block_names_the_block(recording: Path) -> None:
    number, (offset, _, length) = next(
        (n, b) for n, b in enumerate(blocks(recording)) if b[1] == BlockKind.EVENTS
    )
    flip(recording, offset + BLOCK_HEADER.size + length - 2)
    with pytest.raises(RecordingError, match=rf"block {number} .*payload checksum"):
        open_recording(recording)


@pytest.mark.parametrize("keep_fraction", [0.3, 0.55, 0.999])
def test_truncated_file_reads_as_cut_off_up_to_the_last_whole_block(
    recording: Path, keep_fraction: float
) -> None:
    layout = blocks(recording)
    cut = int(recording.stat().st_size * keep_fraction)
    recording.write_bytes(recording.read_bytes()[:cut])
    whole_samples = [
        (o, n)
        for n, (o, k, ln) in enumerate(layout)
        if k == BlockKind.SAMPLES and o + BLOCK_HEADER.size + ln <= cut
    ]
    rec = open_recording(recording)
    assert rec.cut_off
    assert not rec.complete
    assert rec.problems
    assert rec.problems[0].startswith("cut off after")
    # the cut lands inside a block ("incomplete") or, by chance, on a block boundary ("no footer")
    assert "incomplete" in rec.problems[0] or "no footer" in rec.problems[0]
    # every whole block holds 500 samples except, possibly, the last one written at close
    assert 500 * (len(whole_samples) - 1) < rec.n_samples <= 500 * len(whole_samples)
    assert len(rec.read().time) == rec.n_samples


def test_zero_filled_tail_is_a_cut_off_not_damage(recording: Path) -> None:
    layout = blocks(recording)
    offset = layout[-3][0]
    raw = recording.read_bytes()
    recording.write_bytes(raw[:offset] + bytes(len(raw) - offset))
    rec = open_recording(recording)
    assert rec.cut_off
    assert "zero-filled tail" in rec.problems[0]


def test_garbage_empty_and_truncated_headers(tmp_path: Path, recording: Path) -> None:
    garbage = tmp_path / "garbage.gwrec"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(RecordingError, match="not a Gaitway recording"):
        open_recording(garbage)
    empty = tmp_path / "empty.gwrec"
    empty.write_bytes(b"")
    with pytest.raises(RecordingError, match="empty"):
        open_recording(empty)
    short = tmp_path / "short.gwrec"
    short.write_bytes(recording.read_bytes()[:10])
    with pytest.raises(RecordingError, match="truncated inside its file header"):
        open_recording(short)
    no_meta = tmp_path / "no_meta.gwrec"
    no_meta.write_bytes(recording.read_bytes()[: FILE_HEADER.size + 50])
    with pytest.raises(RecordingError, match="truncated before its metadata"):
        open_recording(no_meta)


def test_other_format_version_says_to_update(tmp_path: Path, recording: Path) -> None:
    raw = bytearray(recording.read_bytes())
    raw[8:10] = struct.pack("<H", 7)
    raw[12:16] = struct.pack("<I", zlib.crc32(bytes(raw[:12])))
    recording.write_bytes(bytes(raw))
    with pytest.raises(RecordingError, match=r"version 7.*update Gaitway"):
        open_recording(recording)


def test_missing_path_and_directory_without_recording(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="does not exist"):
        open_recording(tmp_path / "nope")
    with pytest.raises(RecordingError, match=r"holds no recording\.gwrec"):
        open_recording(tmp_path)
