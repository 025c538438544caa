"""Fuzzing the recording reader with damaged files (issue 18): random truncation, flipped bytes,
zeroed runs and appended junk. Whatever the damage: no exception but a RecordingError (and that
only when the file header or the metadata block is hit), no hang, and every samples block that
lies wholly before the damage read back exactly. Seeded and bounded for CI."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaitway.recording import RECORDING_FILENAME, RecordingError, TimeSeries, open_recording
from gaitway.recording.format import BLOCK_HEADER, FILE_HEADER, BlockKind


@pytest.fixture(scope="module")
def intact(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from gaitway.recording import RecordingWriter
    from gaitway.station.channels import RECORDED_CHANNELS

    t = np.arange(2200) * 0.001
    measured = np.sin(np.outer(t, np.arange(1, len(RECORDED_CHANNELS) + 1)))
    measured[:, 0] = t
    folder = tmp_path_factory.mktemp("fuzz")
    with RecordingWriter(folder, channels=RECORDED_CHANNELS,
                         metadata={"simulated": True}) as w:
        for k, row in enumerate(measured):
            if k in (100, 1200):
                w.event(row[0], "mark", "test")
            w.append(row)
    return (folder / RECORDING_FILENAME).read_bytes()


def _layout(raw: bytes) -> list[tuple[int, int, int, int]]:
    """(start, end, kind, rows) of every block."""
    out, at = [], FILE_HEADER.size
    while at < len(raw):
        kind, _f, _r, length, count, *_ = BLOCK_HEADER.unpack_from(raw, at)
        out.append((at, at + BLOCK_HEADER.size + length, kind, count))
        at += BLOCK_HEADER.size + length
    return out


def _damage(raw: bytes, how: str, at: float, size: int) -> tuple[bytes, int]:
    """The damaged bytes and the first byte the damage touches."""
    pos = int(at * (len(raw) - 1))
    if how == "truncate":
        return raw[:pos], pos
    if how == "flip":
        b = bytearray(raw)
        b[pos] ^= 1 << (size % 8)
        return bytes(b), pos
    if how == "zero":
        end = min(pos + size, len(raw))
        return raw[:pos] + bytes(end - pos) + raw[end:], pos
    junk = np.random.default_rng(size).bytes(size)
    return raw + junk, len(raw)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=st.sampled_from(["truncate", "flip", "zero", "append"]),
       at=st.floats(0.0, 1.0), size=st.integers(1, 70_000))
def test_damaged_recording_recovers_everything_before_the_damage(
    intact: bytes, tmp_path_factory: pytest.TempPathFactory, how: str, at: float, size: int,
) -> None:
    raw, pos = _damage(intact, how, at, size)
    path = tmp_path_factory.mktemp("case") / RECORDING_FILENAME
    path.write_bytes(raw)
    layout = _layout(intact)
    meta_end = layout[0][1]
    whole = _whole(intact, tmp_path_factory)
    try:
        rec = open_recording(path)
    except RecordingError:
        assert pos < meta_end, f"{how} at byte {pos} (after the metadata) made it unreadable"
        return
    got = rec.read()
    assert len(got.time) <= len(whole.time) or how == "append"
    n = sum(c for _s, e, k, c in layout if k == BlockKind.SAMPLES and e <= pos)
    assert len(got.time) >= n
    for name in ("time", "knee_angle_left", "grf_z_right"):
        a = got.time if name == "time" else got[name]
        b = whole.time if name == "time" else whole[name]
        np.testing.assert_array_equal(a[:n], b[:n])
    if how == "append":
        assert rec.complete
        assert len(got.time) == len(whole.time)
    if len(got.time) < len(whole.time):
        assert rec.problems, "data was lost without a word"


_WHOLE: dict[int, TimeSeries] = {}


def _whole(raw: bytes, factory: pytest.TempPathFactory) -> TimeSeries:
    if id(raw) not in _WHOLE:
        path = factory.mktemp("intact") / RECORDING_FILENAME
        path.write_bytes(raw)
        _WHOLE[id(raw)] = open_recording(path).read()
    return _WHOLE[id(raw)]


