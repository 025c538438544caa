"""Damaged files are reported clearly (which block, what to do), never as a numpy/zstd error.

Policy under test: everything before the damage is recovered and the loss is said exactly (a
Loss naming the block, its byte, its time span and its samples); an incomplete or zero-filled
tail is a cut-off recording; junk appended after the footer is ignored; a window after a
damaged samples block still reads. Only a damaged file header or metadata block raises.
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


def test_flipped_byte_in_samples_payload_recovers_what_came_before(recording: Path) -> None:
    number, (offset, _, length) = next(
        (n, b) for n, b in enumerate(blocks(recording)) if b[1] == BlockKind.SAMPLES and n > 2
    )
    flip(recording, offset + BLOCK_HEADER.size + length // 2)
    rec = open_recording(recording)  # the index reads headers only
    assert rec.complete
    whole = rec.read()
    assert len(whole.time) == 500  # the first block; the damaged one covers 0.500-0.999 s
    assert whole.time[-1] == pytest.approx(0.499)
    assert [e.time_s for e in whole.events] == [0.1]  # nothing from after the damage
    assert len(rec.losses) == 1
    loss = rec.losses[0]
    assert (loss.at_byte, loss.samples) == (offset, 500)
    assert (loss.from_s, loss.to_s) == pytest.approx((0.5, 0.999))
    assert f"samples block {number} is damaged" in rec.problems[-1]
    assert "read from 1.000 s" in rec.problems[-1]
    ok = rec.read(["knee_angle_left"], start_s=1.0)  # after the damaged block
    assert ok.time[0] == pytest.approx(1.0)
    assert len(ok.time) == 1200
    assert len(rec.losses) == 1  # the same damage is reported once
    damage = rec.verify()
    assert len(damage) == 1
    assert f"block {number}" in damage[0]


def test_flipped_byte_in_a_block_header_mid_file_keeps_the_blocks_before(
    recording: Path,
) -> None:
    layout = blocks(recording)
    offset = layout[4][0]
    flip(recording, offset + 6)  # inside the length field
    rec = open_recording(recording)
    before = [n for n, (o, k, _) in enumerate(layout) if k == BlockKind.SAMPLES and o < offset]
    assert rec.n_samples == 500 * len(before)
    assert rec.cut_off
    assert len(rec.read().time) == rec.n_samples
    assert rec.losses[-1].at_byte == offset
    assert "block 4's header is damaged" in rec.problems[0]
    assert f"{recording.stat().st_size - offset} bytes" in rec.problems[0]


def test_flipped_byte_in_an_events_block_keeps_the_blocks_before(recording: Path) -> None:
    layout = blocks(recording)
    number, (offset, _, length) = next(
        (n, b) for n, b in enumerate(layout) if b[1] == BlockKind.EVENTS and n > 1
    )
    flip(recording, offset + BLOCK_HEADER.size + length - 2)
    rec = open_recording(recording)
    assert rec.cut_off
    assert [e.kind for e in rec.events] == ["a"]
    assert rec.n_samples == 500 * sum(
        1 for o, k, _ in layout if k == BlockKind.SAMPLES and o < offset)
    assert f"block {number} (events) is damaged (payload checksum mismatch)" in rec.problems[0]


@pytest.mark.parametrize("junk", [1, 20, 35, 36, 37, 100, 70_000])
def test_junk_appended_after_the_footer_is_ignored(recording: Path, junk: int) -> None:
    intact = open_recording(recording).read()
    with recording.open("ab") as f:
        f.write(np.random.default_rng(junk).bytes(junk))
    rec = open_recording(recording)
    assert rec.complete
    assert rec.losses == []
    assert rec.problems == [
        f"{junk} bytes after the footer were ignored (appended to a complete recording); "
        "nothing was lost"
    ]
    np.testing.assert_array_equal(rec.read().time, intact.time)


def test_zeroed_tail_inside_a_samples_block_is_a_cut_at_the_last_good_block(
    recording: Path,
) -> None:
    """What a power cut leaves: the last pages zero-filled, the cut inside a block's payload."""
    layout = blocks(recording)
    last_samples = [(n, o, ln) for n, (o, k, ln) in enumerate(layout) if k == BlockKind.SAMPLES]
    number, offset, length = last_samples[-2]
    zero_from = offset + BLOCK_HEADER.size + length // 3
    raw = recording.read_bytes()
    recording.write_bytes(raw[:zero_from] + bytes(len(raw) - zero_from))
    rec = open_recording(recording)
    assert rec.cut_off
    assert rec.end_time_s == pytest.approx(1.499)  # the block before the torn one
    assert rec.n_samples == 1500
    assert len(rec.read().time) == 1500  # reading does not hit the torn block
    assert rec.problems[0].startswith("cut off after 1.499 s")
    torn = rec.losses[0]
    assert (torn.at_byte, torn.from_s, torn.samples) == (offset, 1.5, 500)
    assert f"samples block(s) {number} torn or zero-filled" in rec.problems[1]
    assert "zero-filled tail" in rec.problems[2]


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
