"""Read a recording: index its blocks once, then decode only the blocks a window needs.

Opening walks the block headers and seeks past sample payloads, so it is fast for a 30-minute
file; :meth:`Recording.read` preallocates its output and decodes one block at a time into it,
so a whole recording is held in memory once, not twice.

Damage policy: an incomplete last block or a zero-filled tail is a cut-off recording (read up
to it, ``cut_off`` is True, ``problems`` says where). Any other bad checksum raises a
RecordingError naming the block, its byte offset and the session time it covers; for a damaged
samples block, reading a window that avoids that time still works.
"""

from __future__ import annotations

import os
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from gaitway.recording.codec import decode_block
from gaitway.recording.errors import RecordingError
from gaitway.recording.format import (
    BLOCK_HEADER,
    FILE_HEADER,
    FORMAT_NAME,
    RECORDING_FILENAME,
    VERSION,
    BlockKind,
    check_file_header,
    load_json,
    unpack_block_header,
)
from gaitway.recording.timeseries import Event, TimeSeries
from gaitway.station.channels import ChannelSpec

FloatArray = npt.NDArray[np.float64]
_ZERO_CHECK_CHUNK = 1 << 20
#: Threads that decode samples blocks, and blocks handed to them at a time (a batch of 64
#: half-second blocks of ~100 channels holds ~25 MB decoded).
_DECODE_THREADS = 4
_DECODE_BATCH = 64


@dataclass(frozen=True, slots=True)
class _SampleBlocks:
    """Index of the SAMPLES blocks: one entry per block, in file order."""

    number: npt.NDArray[np.int64]  # block number in the file (0 = META)
    offset: npt.NDArray[np.int64]  # byte offset of the payload
    length: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]
    t_first: FloatArray
    t_last: FloatArray
    crc: npt.NDArray[np.int64]


def _specs(raw: Any, what: str) -> tuple[ChannelSpec, ...]:
    try:
        return tuple(
            ChannelSpec(
                str(c["name"]),
                str(c["unit"]),
                float(c["resolution"]),
                str(c.get("description", "")),
            )
            for c in raw
        )
    except (TypeError, KeyError, ValueError) as exc:
        raise RecordingError(f"the recording's {what} list is malformed ({exc})") from None


def _rest_is_zero(f: BinaryIO, offset: int, size: int) -> bool:
    f.seek(offset)
    while offset < size:
        chunk = f.read(min(_ZERO_CHECK_CHUNK, size - offset))
        if not chunk or chunk.count(0) != len(chunk):
            return False
        offset += len(chunk)
    return True


class Recording:
    """One session's recording, indexed; use :func:`open_recording` to get one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self.metadata: dict[str, Any] = {}
        self.final: dict[str, Any] | None = None
        self.events: list[Event] = []
        self._size = path.stat().st_size
        self._scan()

    # -- indexing -------------------------------------------------------------------------------

    def _damaged(self, number: int, offset: int, what: str) -> RecordingError:
        return RecordingError(
            f"{self.path}: block {number} at byte {offset} is damaged ({what}); the recording "
            f"cannot be read past {self._end_so_far:.3f} s. Restore the file from a backup "
            "(the blocks before the damage are intact, but this reader stops at damage)"
        )

    def _scan(self) -> None:
        numbers: list[int] = []
        offsets: list[int] = []
        lengths: list[int] = []
        counts: list[int] = []
        t_first: list[float] = []
        t_last: list[float] = []
        crcs: list[int] = []
        self._end_so_far = 0.0
        self._have_meta = False
        footer_at: int | None = None
        cut_note = ""
        with open(self.path, "rb") as f:
            check_file_header(f.read(FILE_HEADER.size), self.path)
            offset = FILE_HEADER.size
            number = 0
            while offset < self._size:
                f.seek(offset)
                raw = f.read(BLOCK_HEADER.size)
                if len(raw) < BLOCK_HEADER.size:
                    if _rest_is_zero(f, offset, self._size):
                        cut_note = f"a zero-filled tail from byte {offset} (power loss?)"
                    else:
                        cut_note = (
                            f"an incomplete header of block {number} "
                            f"({len(raw)} of {BLOCK_HEADER.size} bytes)"
                        )
                    break
                head = unpack_block_header(raw)
                if head is None:
                    if _rest_is_zero(f, offset, self._size):
                        cut_note = f"a zero-filled tail from byte {offset} (power loss?)"
                        break
                    raise self._damaged(number, offset, "header checksum mismatch")
                payload_at = offset + BLOCK_HEADER.size
                if payload_at + head.length > self._size:
                    cut_note = (
                        f"an incomplete block {number} ({BlockKind(head.kind).name.lower()}, "
                        f"{self._size - payload_at} of {head.length} bytes)"
                    )
                    break
                if number == 0 and head.kind != BlockKind.META:
                    raise self._damaged(number, offset, "the first block is not the metadata")
                if head.kind == BlockKind.SAMPLES:
                    numbers.append(number)
                    offsets.append(payload_at)
                    lengths.append(head.length)
                    counts.append(head.count)
                    t_first.append(head.t_first)
                    t_last.append(head.t_last)
                    crcs.append(head.payload_crc)
                    self._end_so_far = head.t_last
                else:
                    payload = f.read(head.length)
                    if zlib.crc32(payload) != head.payload_crc:
                        raise self._damaged(number, offset, "payload checksum mismatch")
                    self._take(BlockKind(head.kind), payload, number, offset)
                    if head.kind == BlockKind.FOOTER:
                        footer_at = payload_at + head.length
                offset = payload_at + head.length
                number += 1
        if not self._have_meta:
            raise RecordingError(
                f"{self.path} is truncated before its metadata block: it holds no readable "
                "data (the session died while starting)"
            )
        # in time order: a run of repeated warnings is written when it ends, at its last time
        self.events.sort(key=lambda e: e.time_s)
        self._blocks = _SampleBlocks(
            np.array(numbers, dtype=np.int64),
            np.array(offsets, dtype=np.int64),
            np.array(lengths, dtype=np.int64),
            np.array(counts, dtype=np.int64),
            np.array(t_first, dtype=np.float64),
            np.array(t_last, dtype=np.float64),
            np.array(crcs, dtype=np.int64),
        )
        self._row_start = np.concatenate(([0], np.cumsum(self._blocks.count)))
        if footer_at is None:
            self.problems.append(
                f"cut off after {self.end_time_s:.3f} s: no footer (the writer stopped without "
                "closing, e.g. a crash or kill)"
                + (f"; the file ends in {cut_note}" if cut_note else "")
            )
        elif footer_at != self._size:
            self.problems.append(f"{self._size - footer_at} unexpected bytes after the footer")

    def _take(self, kind: BlockKind, payload: bytes, number: int, offset: int) -> None:
        what = f"block {number} ({kind.name.lower()})"
        data = load_json(payload, f"{self.path}: {what}")
        try:
            if kind == BlockKind.META:
                if data.get("format") != FORMAT_NAME:
                    raise RecordingError(f"{self.path}: {what} does not describe a recording")
                self.metadata = dict(data["metadata"])
                self._have_meta = True
                self.channels = _specs(data["channels"], "channel")
                self.truth_channels = _specs(data["truth_channels"], "truth channel")
                self.dt = float(data["dt"])
                self.block_seconds = float(data["block_seconds"])
                names = self.channel_names
                self._column = {n: i for i, n in enumerate(names)}
                self._resolution = np.array(
                    [c.resolution for c in self.channels + self.truth_channels]
                )
            elif kind == BlockKind.EVENTS:
                self.events.extend(Event(float(t), str(k), str(s), dict(d)) for t, k, s, d in data)
            elif kind == BlockKind.FOOTER:
                self.final = dict(data["final"])
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise self._damaged(number, offset, f"malformed {kind.name.lower()} ({exc})") from None

    # -- what the recording is ------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """True when a clean close wrote the footer."""
        return self.final is not None

    @property
    def cut_off(self) -> bool:
        """True when the writer stopped without closing (crash, kill, power loss)."""
        return self.final is None

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.channels + self.truth_channels)

    @property
    def units(self) -> dict[str, str]:
        return {c.name: c.unit for c in self.channels + self.truth_channels}

    @property
    def simulated(self) -> bool:
        return bool(self.metadata.get("simulated", False))

    @property
    def n_samples(self) -> int:
        return int(self._row_start[-1])

    @property
    def start_time_s(self) -> float:
        return float(self._blocks.t_first[0]) if self._blocks.t_first.size else 0.0

    @property
    def end_time_s(self) -> float:
        return float(self._blocks.t_last[-1]) if self._blocks.t_last.size else 0.0

    @property
    def duration_s(self) -> float:
        """Session time the samples cover: last minus first time, plus one tick."""
        if not self.n_samples:
            return 0.0
        return self.end_time_s - self.start_time_s + self.dt

    @property
    def size_bytes(self) -> int:
        return self._size

    # -- reading --------------------------------------------------------------------------------

    def _columns(self, channels: Sequence[str] | None) -> list[str]:
        if channels is None:
            return [n for n in self.channel_names if n != "time"]
        if isinstance(channels, str):
            channels = [channels]
        unknown = [n for n in channels if n not in self._column]
        if unknown:
            raise RecordingError(
                f"unknown channel(s) {', '.join(map(repr, unknown))} in {self.path}; "
                f"known channels: {', '.join(self.channel_names)}"
            )
        return list(dict.fromkeys(channels))

    def read(
        self,
        channels: Sequence[str] | None = None,
        start_s: float | None = None,
        end_s: float | None = None,
    ) -> TimeSeries:
        """Time, the named channels (all but time if None) and events, in [start_s, end_s].

        Only the blocks overlapping the window are read and decompressed.
        """
        names = self._columns(channels)
        lo = -np.inf if start_s is None else float(start_s)
        hi = np.inf if end_s is None else float(end_s)
        if not lo <= hi:
            raise RecordingError(f"the window start ({lo} s) must not be after its end ({hi} s)")
        b = self._blocks
        # A block with NaN times fails both tests, so it is read and its rows are filtered.
        chosen = np.flatnonzero(~((b.t_last < lo) | (b.t_first > hi)))
        cols = np.array([0] + [self._column[n] for n in names], dtype=np.intp)
        capacity = int(b.count[chosen].sum())
        out = np.empty((cols.size, capacity), dtype=np.float64)
        filled = 0
        whole = start_s is None and end_s is None
        for block in self._decoded(chosen, cols):
            if not whole:
                t = block[0]
                keep = (t >= lo) & (t <= hi)
                block = block[:, keep]
            out[:, filled : filled + block.shape[1]] = block
            filled += block.shape[1]
        out = out[:, :filled]
        units = self.units
        return TimeSeries(
            time=out[0],
            data={n: out[k + 1] for k, n in enumerate(names)},
            units={n: units[n] for n in names},
            events=[e for e in self.events if lo <= e.time_s <= hi],
            dt=self.dt,
        )

    def _decoded(
        self, chosen: npt.NDArray[np.intp], cols: npt.NDArray[np.intp]
    ) -> Iterator[FloatArray]:
        """The chosen blocks decoded, in file order.

        Payloads are read (and checksummed) in order by this thread; decompression and
        decoding, which release the GIL (zstd, numpy), run on up to ``_DECODE_THREADS``
        threads a batch at a time, so a long read uses every core with bounded memory. Each
        block is decoded exactly as alone, and the first damaged block raises, as before.
        """
        workers = min(_DECODE_THREADS, os.cpu_count() or 1)
        with open(self.path, "rb") as f:
            if workers < 2 or chosen.size < 2 * _DECODE_BATCH:
                for i in chosen:
                    yield self._decode(self._payload(f, int(i)), int(i), cols)
                return
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for at in range(0, chosen.size, _DECODE_BATCH):
                    batch = [int(i) for i in chosen[at : at + _DECODE_BATCH]]
                    payloads = [self._payload(f, i) for i in batch]
                    yield from pool.map(lambda job: self._decode(job[0], job[1], cols),
                                        zip(payloads, batch, strict=True))

    def _describe_block(self, i: int) -> str:
        b = self._blocks
        return (
            f"block {int(b.number[i])} at byte {int(b.offset[i]) - BLOCK_HEADER.size} "
            f"(samples {b.t_first[i]:.3f}-{b.t_last[i]:.3f} s)"
        )

    def _payload(self, f: BinaryIO, i: int) -> bytes:
        b = self._blocks
        f.seek(int(b.offset[i]))
        payload = f.read(int(b.length[i]))
        if zlib.crc32(payload) != int(b.crc[i]):
            raise RecordingError(
                f"{self.path}: {self._describe_block(i)} is damaged (checksum mismatch); read a "
                f"window that avoids {b.t_first[i]:.3f}-{b.t_last[i]:.3f} s to get the rest"
            )
        return payload

    def _decode(self, payload: bytes, i: int, cols: npt.NDArray[np.intp]) -> FloatArray:
        try:
            block = decode_block(payload, self._resolution, cols)
        except RecordingError as exc:
            raise RecordingError(
                f"{self.path}: {self._describe_block(i)} cannot be decoded: {exc}"
            ) from None
        if block.shape[1] != int(self._blocks.count[i]):
            raise RecordingError(
                f"{self.path}: {self._describe_block(i)} holds {block.shape[1]} rows, its header "
                f"says {int(self._blocks.count[i])}"
            )
        return block

    def verify(self) -> list[str]:
        """Check every samples block's checksum (reads the whole file); returns the damage."""
        found: list[str] = []
        with open(self.path, "rb") as f:
            for i in range(self._blocks.count.size):
                try:
                    self._payload(f, i)
                except RecordingError as exc:
                    found.append(str(exc))
        return found

    def describe(self) -> dict[str, Any]:
        """A summary fit for people and JSON: what ``gaitway recording info`` prints."""
        return {
            "path": str(self.path),
            "format_version": VERSION,
            "simulated": self.simulated,
            "complete": self.complete,
            "cut_off": self.cut_off,
            "problems": list(self.problems),
            "start_time_s": self.start_time_s,
            "end_time_s": self.end_time_s,
            "duration_s": self.duration_s,
            "n_samples": self.n_samples,
            "sampling_rate_hz": 1.0 / self.dt,
            "size_bytes": self._size,
            "channels": {c.name: c.unit for c in self.channels},
            "truth_channels": {c.name: c.unit for c in self.truth_channels},
            "events": dict(Counter(e.kind for e in self.events)),
            "metadata": self.metadata,
            "final": self.final,
        }


def open_recording(path: str | os.PathLike[str]) -> Recording:
    """Open a recording: the ``.gwrec`` file, or a directory holding ``recording.gwrec``."""
    target = Path(path)
    if target.is_dir():
        inner = target / RECORDING_FILENAME
        if not inner.is_file():
            raise RecordingError(
                f"{target} holds no {RECORDING_FILENAME}; give a session directory or the file"
            )
        target = inner
    elif not target.exists():
        raise RecordingError(
            f"{target} does not exist; give a session directory or its {RECORDING_FILENAME}"
        )
    try:
        return Recording(target)
    except OSError as exc:
        raise RecordingError(f"cannot read {target}: {exc.strerror}") from None
