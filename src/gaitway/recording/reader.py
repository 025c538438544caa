"""Read a recording: index its blocks once, then decode only the blocks a window needs.

Opening walks the block headers and seeks past sample payloads, so it is fast for a 30-minute
file; :meth:`Recording.read` preallocates its output and decodes one block at a time into it,
so a whole recording is held in memory once, not twice.

Damage policy: everything before the damage is recovered, and what was lost is said exactly.
An incomplete last block or a zero-filled tail (power loss) is a cut-off recording; a damaged
block header, events block or footer ends the readable part there; bytes appended after the
footer are ignored. Samples payloads are checksummed when read: a read stops at the first
damaged samples block in its window and returns what came before it, and a window after the
damage still reads. Each loss is a :class:`Loss` in ``losses`` and a sentence in ``problems``.
Only damage to the file header or the metadata block (nothing readable) raises a RecordingError.
"""

from __future__ import annotations

import math
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from gaitway.recording import pages
from gaitway.recording.codec import Decoded, decode_block
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
from gaitway.recording.timeseries import ChannelArray, Event, TimeSeries
from gaitway.station.channels import ChannelSpec

FloatArray = npt.NDArray[np.float64]
_ZERO_CHECK_CHUNK = 1 << 20
#: Threads that decode samples blocks, and blocks handed to them at a time (a batch of 64
#: half-second blocks of ~100 channels holds ~25 MB decoded).
_DECODE_THREADS = 4
_DECODE_BATCH = 64


@dataclass(frozen=True, slots=True)
class Loss:
    """Data a damaged or cut-off file lost: where, how much, and why.

    ``to_s`` and ``samples`` are None when the file does not say how much more there was (a
    torn tail: the writer may have recorded more than the file kept).
    """

    at_byte: int
    from_s: float
    to_s: float | None
    samples: int | None
    reason: str

    def describe(self) -> str:
        span = (f"{self.from_s:.3f}-{self.to_s:.3f} s" if self.to_s is not None
                else f"everything after {self.from_s:.3f} s")
        count = f", {self.samples} samples" if self.samples is not None else ""
        return f"lost {span}{count} from byte {self.at_byte}: {self.reason}"


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
        #: What damage or a cut cost, found when opening and (samples blocks) when reading.
        self.losses: list[Loss] = []
        self.metadata: dict[str, Any] = {}
        self.final: dict[str, Any] | None = None
        self.events: list[Event] = []
        self._bad: set[int] = set()
        self._size = path.stat().st_size
        self._scan()

    # -- indexing -------------------------------------------------------------------------------

    def _unreadable(self, number: int, offset: int, what: str) -> RecordingError:
        return RecordingError(
            f"{self.path}: block {number} at byte {offset} is damaged ({what}); nothing in the "
            "recording can be read without it. Restore the file from a backup"
        )

    def _scan(self) -> None:
        numbers: list[int] = []
        offsets: list[int] = []
        lengths: list[int] = []
        counts: list[int] = []
        t_first: list[float] = []
        t_last: list[float] = []
        crcs: list[int] = []
        self._have_meta = False
        footer_at: int | None = None
        tail: list[Loss] = []  # what the end of the file cost
        cut_note = ""
        with open(self.path, "rb") as f:
            check_file_header(f.read(FILE_HEADER.size), self.path)
            offset = FILE_HEADER.size
            number = 0
            while offset < self._size:
                f.seek(offset)
                raw = f.read(BLOCK_HEADER.size)
                end_s = t_last[-1] if t_last else 0.0
                rest = self._size - offset
                if len(raw) < BLOCK_HEADER.size or (head := unpack_block_header(raw)) is None:
                    if _rest_is_zero(f, offset, self._size):
                        cut_note = f"a zero-filled tail of {rest} bytes (power loss?)"
                    elif len(raw) < BLOCK_HEADER.size:
                        cut_note = (f"an incomplete header of block {number} "
                                    f"({len(raw)} of {BLOCK_HEADER.size} bytes)")
                    else:
                        cut_note = (f"block {number}'s header is damaged (checksum mismatch); "
                                    f"the {rest} bytes from there cannot be read")
                    tail.append(Loss(offset, end_s, None, None, cut_note))
                    break
                payload_at = offset + BLOCK_HEADER.size
                kind = BlockKind(head.kind)
                if payload_at + head.length > self._size:
                    cut_note = (f"an incomplete block {number} ({kind.name.lower()}, "
                                f"{self._size - payload_at} of {head.length} bytes)")
                    if kind == BlockKind.SAMPLES:
                        tail.append(Loss(offset, head.t_first, head.t_last, head.count,
                                         cut_note))
                    else:
                        tail.append(Loss(offset, end_s, None, None, cut_note))
                    break
                if number == 0 and kind != BlockKind.META:
                    raise self._unreadable(number, offset, "the first block is not the metadata")
                if kind == BlockKind.SAMPLES:
                    numbers.append(number)
                    offsets.append(payload_at)
                    lengths.append(head.length)
                    counts.append(head.count)
                    t_first.append(head.t_first)
                    t_last.append(head.t_last)
                    crcs.append(head.payload_crc)
                else:
                    payload = f.read(head.length)
                    try:
                        if zlib.crc32(payload) != head.payload_crc:
                            raise RecordingError("payload checksum mismatch")
                        self._take(kind, payload, number, offset)
                    except RecordingError as exc:
                        if kind == BlockKind.META:
                            raise self._unreadable(number, offset, str(exc)) from None
                        cut_note = (f"block {number} ({kind.name.lower()}) is damaged ({exc}); "
                                    f"the {rest} bytes from there cannot be read")
                        tail.append(Loss(offset, end_s, None, None, cut_note))
                        break
                    if kind == BlockKind.FOOTER:
                        footer_at = payload_at + head.length
                        break  # whatever follows the footer is not part of the recording
                offset = payload_at + head.length
                number += 1
            if not self._have_meta:
                raise RecordingError(
                    f"{self.path} is truncated before its metadata block: it holds no readable "
                    "data (the session died while starting)"
                )
            self._blocks = _SampleBlocks(
                np.array(numbers, dtype=np.int64),
                np.array(offsets, dtype=np.int64),
                np.array(lengths, dtype=np.int64),
                np.array(counts, dtype=np.int64),
                np.array(t_first, dtype=np.float64),
                np.array(t_last, dtype=np.float64),
                np.array(crcs, dtype=np.int64),
            )
            if footer_at is None:
                tail[:0] = self._drop_torn_blocks(f)
        # in time order: a run of repeated warnings is written when it ends, at its last time
        self.events.sort(key=lambda e: e.time_s)
        self._row_start = np.concatenate(([0], np.cumsum(self._blocks.count)))
        if footer_at is None:
            self.problems.append(
                f"cut off after {self.end_time_s:.3f} s: no footer (the writer stopped without "
                "closing, e.g. a crash, kill or power loss)"
                + (f"; the file ends in {cut_note}" if cut_note else "")
            )
            for loss in tail:
                self._lose(loss)
        elif footer_at != self._size:
            self.problems.append(
                f"{self._size - footer_at} bytes after the footer were ignored (appended to a "
                "complete recording); nothing was lost"
            )

    def _drop_torn_blocks(self, f: BinaryIO) -> list[Loss]:
        """Drop the samples blocks at the end of a cut-off file whose payload is not what the
        writer wrote (a torn write or a zero-filled page behind an intact header), so that the
        end time is exact; returns what they held."""
        b = self._blocks
        keep = b.count.size
        while keep > 0 and self._payload(f, keep - 1) is None:
            keep -= 1
        if keep == b.count.size:
            return []
        self._bad.clear()
        self.losses.clear()
        self.problems.clear()
        numbers = ", ".join(str(int(n)) for n in b.number[keep:])
        loss = Loss(int(b.offset[keep]) - BLOCK_HEADER.size, float(b.t_first[keep]),
                    float(b.t_last[-1]), int(b.count[keep:].sum()),
                    f"samples block(s) {numbers} torn or zero-filled at the cut "
                    "(payload checksum mismatch)")
        self._blocks = _SampleBlocks(b.number[:keep], b.offset[:keep], b.length[:keep],
                                     b.count[:keep], b.t_first[:keep], b.t_last[:keep],
                                     b.crc[:keep])
        return [loss]

    def _lose(self, loss: Loss) -> None:
        self.losses.append(loss)
        self.problems.append(loss.describe())

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
                self.events.extend([Event(float(t), str(k), str(s), dict(d))
                                    for t, k, s, d in data])
            elif kind == BlockKind.FOOTER:
                self.final = dict(data["final"])
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise RecordingError(f"malformed {kind.name.lower()} ({exc})") from None

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
        *,
        dtype: type[np.float64] | type[np.float32] = np.float64,
    ) -> TimeSeries:
        """Time, the named channels (all but time if None) and events, in [start_s, end_s].

        Only the blocks overlapping the window are read and decompressed. A damaged samples
        block ends the read: what came before it is returned, the loss is added to ``losses``
        and ``problems``, and a window starting after the block reads the rest.
        ``dtype=np.float32`` stores the channels (not time, always float64) in half the
        memory: 7 significant digits, finer than any channel's recorded resolution at the
        magnitudes a session reaches.
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
        # on ordinary pages (gaitway.recording.pages: huge pages cost more than they gave)
        out_t: FloatArray = pages.empty(capacity, np.float64)
        out: ChannelArray = pages.empty((cols.size - 1, capacity), dtype)
        filled = 0
        whole = start_s is None and end_s is None
        stopped_at = hi
        # A whole read decodes each block straight into its place in the output.
        starts = np.concatenate(([0], np.cumsum(b.count[chosen])))

        def target(j: int) -> tuple[FloatArray, ChannelArray]:
            a, z = int(starts[j]), int(starts[j + 1])
            return out_t[a:z], out[:, a:z]

        for j, (i, block) in enumerate(self._decoded(chosen, cols, target if whole else None)):
            if block is None:
                stopped_at = float(b.t_first[i])
                break
            if whole:
                filled = int(starts[j + 1])
                continue
            t = block[0]
            keep = (t >= lo) & (t <= hi)
            block = block[:, keep]
            out_t[filled : filled + block.shape[1]] = block[0]
            out[:, filled : filled + block.shape[1]] = block[1:]
            filled += block.shape[1]
        units = self.units
        return TimeSeries(
            time=out_t[:filled],
            data={n: out[k, :filled] for k, n in enumerate(names)},
            units={n: units[n] for n in names},
            events=[e for e in self.events
                    if lo <= e.time_s <= hi and (stopped_at == hi or e.time_s < stopped_at)],
            dt=self.dt,
        )

    def windows(self, seconds: float,
                channels: Sequence[str] | None = None) -> Iterator[TimeSeries]:
        """The whole recording in consecutive windows of ``seconds`` session time, each sample
        in exactly one window (windows are half-open, [t, t + seconds), the last one closed)."""
        if not (math.isfinite(seconds) and seconds > 0):
            raise RecordingError(f"a window must last a positive time, got {seconds} s")
        start, end = self.start_time_s, self.end_time_s
        k = 0
        while True:
            lo = start + k * seconds
            hi = start + (k + 1) * seconds
            if lo > end:
                return
            last = hi > end
            n_bad = len(self._bad)
            ts = self.read(channels, lo, end if last else hi)
            if not last and ts.time.size and ts.time[-1] >= hi:
                keep = ts.time < hi
                ts = TimeSeries(ts.time[keep], {n: v[keep] for n, v in ts.data.items()},
                                ts.units, [e for e in ts.events if e.time_s < hi], ts.dt)
            if ts.time.size:
                yield ts
            if len(self._bad) > n_bad:
                return  # the damage ends the readable part for a stream
            k += 1

    def _decoded(
        self,
        chosen: npt.NDArray[np.intp],
        cols: npt.NDArray[np.intp],
        target: Callable[[int], tuple[FloatArray, ChannelArray]] | None = None,
    ) -> Iterator[tuple[int, Decoded | None]]:
        """The chosen blocks decoded, in file order, until the first damaged one (None).

        With ``target``, the j-th chosen block is decoded into ``target(j)`` (its time, its
        other columns) and that is what is yielded (as its channels); else each block comes
        back as a new float64 array of all ``cols``.

        Payloads are read (and checksummed) in order by this thread; decompression and
        decoding, which release the GIL (zstd, numpy), run on up to ``_DECODE_THREADS``
        threads a batch at a time, so a long read uses every core with bounded memory. Each
        block is decoded exactly as alone.
        """

        def job(j: int, i: int, payload: bytes) -> Decoded | None:
            if target is None:
                return self._decode(payload, i, cols)
            first, rest = target(j)
            return self._decode(payload, i, cols, rest, first)

        workers = min(_DECODE_THREADS, os.cpu_count() or 1)
        with open(self.path, "rb") as f:
            if workers < 2 or chosen.size < 2 * _DECODE_BATCH:
                for j, i in enumerate(int(k) for k in chosen):
                    payload = self._payload(f, i)
                    block = None if payload is None else job(j, i, payload)
                    yield i, block
                    if block is None:
                        return
                return
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for at in range(0, chosen.size, _DECODE_BATCH):
                    batch: list[tuple[int, int, bytes]] = []
                    damaged: int | None = None
                    for j in range(at, min(at + _DECODE_BATCH, chosen.size)):
                        i = int(chosen[j])
                        payload = self._payload(f, i)
                        if payload is None:
                            damaged = i
                            break
                        batch.append((j, i, payload))
                    # a few tasks per batch, each decoding a run of blocks: one future per
                    # block cost more CPU in thread hand-overs than the decoding it spread
                    step = max(1, -(-len(batch) // workers))  # (a batch may be empty)
                    runs = [batch[k : k + step] for k in range(0, len(batch), step)]
                    decoded = pool.map(lambda run: [job(*task) for task in run], runs)
                    for (_, i, _), block in zip(
                        batch, (b for run in decoded for b in run), strict=True
                    ):
                        yield i, block
                        if block is None:
                            return
                    if damaged is not None:
                        yield damaged, None
                        return

    def _describe_block(self, i: int) -> str:
        b = self._blocks
        return (
            f"samples block {int(b.number[i])} at byte {int(b.offset[i]) - BLOCK_HEADER.size} "
            f"({b.t_first[i]:.3f}-{b.t_last[i]:.3f} s, {int(b.count[i])} samples)"
        )

    def _damage(self, i: int, what: str) -> None:
        """Note a damaged samples block once: what it held is lost."""
        if i in self._bad:
            return
        self._bad.add(i)
        b = self._blocks
        self._lose(Loss(
            int(b.offset[i]) - BLOCK_HEADER.size, float(b.t_first[i]), float(b.t_last[i]),
            int(b.count[i]),
            f"samples block {int(b.number[i])} is damaged ({what}); a read stops before it: "
            f"read from {float(b.t_last[i]) + self.dt:.3f} s (analyze --from) for what follows",
        ))

    def _payload(self, f: BinaryIO, i: int) -> bytes | None:
        """The block's payload, or None (and the loss noted) if its checksum is wrong."""
        b = self._blocks
        f.seek(int(b.offset[i]))
        payload = f.read(int(b.length[i]))
        if zlib.crc32(payload) != int(b.crc[i]):
            self._damage(i, "checksum mismatch")
            return None
        return payload

    def _decode(self, payload: bytes, i: int, cols: npt.NDArray[np.intp],
                out: ChannelArray | None = None,
                first_out: FloatArray | None = None) -> Decoded | None:
        try:
            block = decode_block(payload, self._resolution, cols, out, first_out)
        except RecordingError as exc:
            self._damage(i, f"cannot be decoded: {exc}")
            return None
        if block.shape[1] != int(self._blocks.count[i]):
            self._damage(i, f"holds {block.shape[1]} rows, its header says "
                            f"{int(self._blocks.count[i])}")
            return None
        return block

    def verify(self) -> list[str]:
        """Check every samples block's checksum (reads the whole file); returns the damage."""
        found: list[str] = []
        with open(self.path, "rb") as f:
            for i in range(self._blocks.count.size):
                if self._payload(f, i) is None:
                    found.append(f"{self.path}: {self._describe_block(i)} is damaged "
                                 "(checksum mismatch)")
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
            "losses": [
                {"at_byte": x.at_byte, "from_s": x.from_s, "to_s": x.to_s, "samples": x.samples,
                 "reason": x.reason} for x in self.losses
            ],
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
