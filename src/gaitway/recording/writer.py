"""Write a session's recording without ever making the control loop wait for the disk.

The loop calls :meth:`RecordingWriter.append` once per tick: it copies the row into a
preallocated block buffer (about a microsecond). A full block (``block_seconds`` of session time)
goes through a bounded queue to a background thread, which encodes it (numpy and zstd, mostly
outside the GIL), writes it with one ``os.write`` (so it reaches the OS page cache and survives a
``kill -9`` of this process) and calls ``fsync`` every ``fsync_seconds`` (for power loss).

A headless session that runs as fast as it can is better off encoding and writing each block
on its own thread (``write_in_caller=True``; the page cache takes the write): a background
thread that wakes for every numpy call or ``os.write`` contends for the GIL with the loop,
whose ``mj_step`` releases it every tick, and each hand-over costs a context switch (measured
on the twin: the background encoder made a headless session 40 % slower, encoding in the
caller but writing in the background 13 %). ``fsync`` and the stale-block flush stay on the
background thread either way. A paced live loop, which sleeps most of each tick and must
never wait for the disk, keeps the default.

If the loop stops ticking while a block is half full, the writer thread hands that block off
itself once it is ``block_seconds`` old in wall time, so a crash loses at most about a second
of data in any case (a short lock around the buffer makes this safe; ~0.2 us per tick). Rows are
handed off by count; the writer thread splits them so that no block spans more than
``block_seconds`` of session time (a jump in time shows there, not in the loop).

Repeated warnings are folded (:mod:`gaitway.recording.folding`): each run of them is written
once, as one event with its count, first and last time (at the run's last time), when the run
ends (no repeat for ``QUIET_S`` of session time, or the recording closes). A crash therefore
loses the count of a run still going on; every other event is written with its block.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import numpy as np
import numpy.typing as npt
import zstandard

from gaitway.recording.codec import DEFAULT_LEVEL, encode_block, quantise
from gaitway.recording.errors import RecordingError
from gaitway.recording.folding import EventFolder
from gaitway.recording.format import (
    FORMAT_NAME,
    RECORDING_FILENAME,
    BlockKind,
    dump_json,
    pack_block,
    pack_file_header,
)
from gaitway.station.channels import ChannelSpec

FloatArray = npt.NDArray[np.float64]

MAX_BLOCK_SECONDS: Final = 0.5
#: How long append() may wait for room in the queue before declaring the disk too slow.
QUEUE_STALL_SECONDS: Final = 30.0


class _Stop:
    """Queue sentinel: no more blocks."""


_STOP: Final = _Stop()
_Buffers = tuple[FloatArray, FloatArray]  # measured rows, truth rows (0 columns if none)
_Item = tuple[_Buffers, int, list[tuple[float, bytes]]]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _resolve_target(path: str | os.PathLike[str]) -> Path:
    """A path ending in .gwrec is the file; anything else is a session directory."""
    target = Path(path)
    return target if target.suffix == ".gwrec" else target / RECORDING_FILENAME


class RecordingWriter:
    """Crash-safe writer of one session's recording (see :mod:`gaitway.recording.format`).

    ``path`` is the file if it ends in ``.gwrec``, else a session directory (created if needed)
    that gets ``recording.gwrec``. ``channels`` are the measured row's channels, ``channels[0]``
    being time (s); ``truth_channels`` the ground truth a simulation adds. ``metadata`` must
    say ``simulated`` (bool). Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        channels: Sequence[ChannelSpec],
        truth_channels: Sequence[ChannelSpec] = (),
        metadata: Mapping[str, Any],
        block_seconds: float = 0.5,
        dt: float = 0.001,
        fsync_seconds: float | None = 5.0,
        level: int = DEFAULT_LEVEL,
        max_queued_blocks: int = 64,
        write_in_caller: bool = False,
    ) -> None:
        self._check_arguments(channels, truth_channels, metadata, block_seconds, dt)
        self.path = _resolve_target(path)
        self.channels = tuple(channels)
        self.truth_channels = tuple(truth_channels)
        self._m = len(self.channels)
        self._width = self._m + len(self.truth_channels)
        self._resolution = np.array(
            [c.resolution for c in self.channels + self.truth_channels], dtype=np.float64
        )
        self._rows = max(1, round(block_seconds / dt))
        self._block_seconds = float(block_seconds)
        self._fsync_seconds = fsync_seconds
        self._write_in_caller = write_in_caller
        # used by one thread at a time: with write_in_caller every block is encoded under
        # self._lock, else only on the writer thread
        self._compressor = zstandard.ZstdCompressor(level=level)
        meta = dump_json(
            {
                "format": FORMAT_NAME,
                "channels": [asdict(c) for c in self.channels],
                "truth_channels": [asdict(c) for c in self.truth_channels],
                "dt": float(dt),
                "block_seconds": float(block_seconds),
                "metadata": dict(metadata),
            },
            "metadata",
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise RecordingError(
                f"{self.path} already exists; a recording is never overwritten: "
                "choose a new session directory"
            ) from None
        except OSError as exc:
            raise RecordingError(f"cannot create {self.path}: {exc.strerror}") from None
        try:
            _write_all(self._fd, pack_file_header() + pack_block(BlockKind.META, meta))
        except OSError as exc:  # nothing recorded yet: leave no empty file to block a rerun
            os.close(self._fd)
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise RecordingError(f"cannot write {self.path}: {exc.strerror}; nothing was "
                                 "recorded (free some disk space or choose another folder)"
                                 ) from None

        self._lock = threading.Lock()
        self._free: deque[_Buffers] = deque()
        self._mbuf, self._tbuf = self._new_buffers()
        self._has_truth = bool(self.truth_channels)
        self._n = 0
        self._block_wall = 0.0  # monotonic time of the current block's first row
        self._events: list[tuple[float, bytes]] = []
        self._folds = EventFolder()  # repeated warnings: written once per run, when it ends
        self._handed_off = 0  # rows queued for the writer thread
        self.n_events = 0
        self._closed = False
        self._error: BaseException | None = None
        self._queue: queue.Queue[_Item | _Stop] = queue.Queue(maxsize=max_queued_blocks)
        self._thread = threading.Thread(target=self._run, name="gaitway-recorder", daemon=True)
        self._thread.start()

    @staticmethod
    def _check_arguments(
        channels: Sequence[ChannelSpec],
        truth_channels: Sequence[ChannelSpec],
        metadata: Mapping[str, Any],
        block_seconds: float,
        dt: float,
    ) -> None:
        if not channels or channels[0].name != "time":
            raise RecordingError("the first recorded channel must be 'time' (values[0] is time)")
        names = [c.name for c in (*channels, *truth_channels)]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise RecordingError(f"channel names must be unique; repeated: {duplicates}")
        bad_res = [c.name for c in (*channels, *truth_channels) if not c.resolution > 0]
        if bad_res:
            raise RecordingError(f"channels need a resolution > 0: {bad_res}")
        if not isinstance(metadata.get("simulated"), bool):
            raise RecordingError(
                "metadata must say whether the session is simulated: add 'simulated': True/False"
            )
        if truth_channels and not metadata["simulated"]:
            raise RecordingError("truth channels exist only in simulation; set simulated=True")
        if not 0.0 < dt <= block_seconds <= MAX_BLOCK_SECONDS:
            raise RecordingError(
                f"need 0 < dt <= block_seconds <= {MAX_BLOCK_SECONDS} s, got dt={dt}, "
                f"block_seconds={block_seconds}"
            )

    # -- the loop's side: cheap, never waits for the disk --------------------------------------

    def _new_buffers(self) -> _Buffers:
        if self._free:
            return self._free.pop()
        return np.empty((self._rows, self._m)), np.empty((self._rows, self._width - self._m))

    def append(self, values: FloatArray, truth: FloatArray | None = None) -> None:
        """Record one tick: ``values`` in ``channels`` order (values[0] is time), and ``truth``
        in ``truth_channels`` order when there are truth channels."""
        if self._closed:
            raise RecordingError(f"{self.path} is closed; no more samples can be recorded")
        if len(values) != self._m or (truth is not None) != self._has_truth:
            self._raise_shape(values, truth)
        with self._lock:
            n = self._n
            if n == self._rows:  # an earlier hand-off failed: retry (raises while it fails)
                self._hand_off()
                n = 0
            if n == 0:
                self._block_wall = time.monotonic()
            try:
                self._mbuf[n] = values
                if truth is not None:
                    self._tbuf[n] = truth
            except ValueError:
                self._raise_shape(values, truth)
            self._n = n + 1
            if n + 1 == self._rows:
                self._hand_off()

    def _raise_shape(self, values: FloatArray, truth: FloatArray | None) -> None:
        n_truth = self._width - self._m
        got_truth = "none" if truth is None else str(np.shape(truth))
        raise RecordingError(
            f"append() needs {self._m} values and {n_truth or 'no'} truth values, "
            f"got values of shape {np.shape(values)} and truth {got_truth}"
        )

    def event(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        """Record that ``kind`` happened at ``time_s``, said by ``source``; details are JSON."""
        if self._closed:
            raise RecordingError(f"{self.path} is closed; no more events can be recorded")
        if not (isinstance(kind, str) and kind and isinstance(source, str) and source):
            raise RecordingError("an event needs a non-empty kind and source (strings)")
        item = dump_json([float(time_s), kind, source, details], f"event {kind!r} details")
        with self._lock:
            if self._folds.offer(float(time_s), kind, source, details) is None:
                self._events.append((float(time_s), item))
                self.n_events += 1

    def _write_folds(self) -> None:
        """Add the runs of repeated warnings that ended to the current block (lock held)."""
        for run in self._folds.take_closed():
            item = dump_json([run.last_s, run.key.kind, run.source, run.event_details()],
                             f"event {run.key.kind!r} details")
            self._events.append((run.last_s, item))
            self.n_events += 1

    @property
    def n_samples(self) -> int:
        """Rows appended so far (written, queued or still in the current block)."""
        return self._handed_off + self._n

    def flush(self) -> None:
        """Hand the partial block to the writer now (e.g. before a long pause)."""
        with self._lock:
            self._hand_off()

    def _hand_off(self) -> None:
        """Queue the current block and start a fresh one. Call with the lock held."""
        if self._n:
            self._folds.close_quiet(float(self._mbuf[self._n - 1, 0]))
            self._write_folds()
        if self._n == 0 and not self._events:
            return
        if self._error is not None:
            raise RecordingError(f"writing {self.path} failed: {self._error}") from self._error
        item: _Item = ((self._mbuf, self._tbuf), self._n, self._events)
        if self._write_in_caller:  # here, under the lock (also the writer's stale flush)
            try:
                self._write_item(item)
            except OSError as exc:  # the block may be half written: the file ends there
                self._error = exc
                raise RecordingError(f"writing {self.path} failed: {exc}") from exc
            self._after_hand_off()
            return
        try:
            self._queue.put(item, timeout=QUEUE_STALL_SECONDS)
        except queue.Full:
            raise RecordingError(
                f"the disk holding {self.path} has not kept up for {QUEUE_STALL_SECONDS:.0f} s; "
                "check free space and disk health"
            ) from None
        self._after_hand_off()

    def _after_hand_off(self) -> None:
        self._handed_off += self._n
        self._mbuf, self._tbuf = self._new_buffers()
        self._n = 0
        self._events = []

    # -- the writer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        last_sync = time.monotonic()
        while True:
            try:
                item = self._queue.get(timeout=self._block_seconds / 2)
            except queue.Empty:
                self._flush_if_stale()
            else:
                if isinstance(item, _Stop):
                    return
                if self._error is not None:
                    continue  # already failed: drain so the loop never blocks
                try:
                    self._write_item(item)
                except Exception as exc:  # reported to the loop on its next hand-off
                    self._error = exc
                    continue
            # blocks written here or, with write_in_caller, by the loop's thread
            now = time.monotonic()
            if (self._error is None and self._fsync_seconds is not None
                    and now - last_sync >= self._fsync_seconds):
                try:
                    os.fsync(self._fd)
                except OSError as exc:
                    self._error = exc
                last_sync = now

    def _flush_if_stale(self) -> None:
        with self._lock:
            if self._n and time.monotonic() - self._block_wall >= self._block_seconds:
                with contextlib.suppress(RecordingError):
                    self._hand_off()

    def _write_item(self, item: _Item) -> None:
        _write_all(self._fd, self._encode_item(item))

    def _encode_item(self, item: _Item) -> bytes:
        """The file bytes of one handed-off block (events, then samples); frees its buffers."""
        buffers, n, events = item
        out = []
        if events:
            times = [t for t, _ in events]
            payload = b"[" + b",".join(e for _, e in events) + b"]"
            out.append(
                pack_block(
                    BlockKind.EVENTS,
                    payload,
                    count=len(events),
                    t_first=min(times),
                    t_last=max(times),
                )
            )
        if n:
            block = np.hstack((buffers[0][:n], buffers[1][:n]))
            out.extend(self._sample_blocks(block))
        self._free.append(buffers)
        return b"".join(out)

    def _sample_blocks(self, block: FloatArray) -> list[bytes]:
        """Encode ``block`` as SAMPLES blocks, split so none spans block_seconds of session time
        (rows are handed off by count; a jump in time is only seen here, off the loop)."""
        t = quantise(block[:, 0], self._resolution[0])  # the times a reader will see
        out = []
        start = 0
        while start < len(t):
            over = np.flatnonzero(t[start:] >= t[start] + self._block_seconds)
            end = start + int(over[0]) if over.size else len(t)
            part = block[start:end]
            payload = encode_block(part, self._resolution, compressor=self._compressor)
            out.append(
                pack_block(
                    BlockKind.SAMPLES,
                    payload,
                    count=end - start,
                    t_first=float(t[start]),
                    t_last=float(t[end - 1]),
                )
            )
            start = end
        return out

    # -- closing --------------------------------------------------------------------------------

    def close(self, final: Mapping[str, Any] | None = None) -> None:
        """Write what is left and the footer that marks the recording complete. Idempotent.

        If writing failed earlier, the file is left without a footer (it reads as cut off) and
        a RecordingError says why.
        """
        if self._closed:
            return
        self._closed = True
        final_dict = dict(final or {})
        problem: RecordingError | None = None
        try:
            dump_json(final_dict, "final")  # a bad `final` must not lose the last block
        except RecordingError as exc:
            problem, final_dict = exc, {"ended_by": "error: final was not JSON-serialisable"}
        try:
            with self._lock:
                self._folds.close_all()
                self._write_folds()
                self._hand_off()
        except RecordingError as exc:
            problem = exc
        finally:
            self._queue.put(_STOP)
            self._thread.join()
        try:
            if self._error is not None:
                raise RecordingError(
                    f"writing {self.path} failed: {self._error}; the recording is cut off there"
                )
            body = {"final": final_dict, "n_samples": self.n_samples, "n_events": self.n_events}
            _write_all(self._fd, pack_block(BlockKind.FOOTER, dump_json(body, "final")))
            os.fsync(self._fd)
        except OSError as exc:
            raise RecordingError(f"writing the footer of {self.path} failed: {exc}") from None
        finally:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        if problem is not None:
            raise problem

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close({"ended_by": f"error: {exc}"} if exc is not None else None)
