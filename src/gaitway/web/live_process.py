"""Simulated stations in worker processes: the server's interpreter lock stays free.

A paced 1 kHz station loop is plain Python for most of each tick. With 8 stations in the
server's process their threads held the interpreter lock nearly all the time and the event
loop waited behind them to send frames (profiled: the event loop thread used ~5 % of a core,
the loop threads ~80 %; the p95 screen latency then grew to hundreds of ms). Here each station
runs the same :class:`~gaitway.web.live.LiveStation` (safety supervisor, recording, pause,
acknowledgement unchanged) in its own process; :class:`ProcessStation` is its stand-in in the
server. Messages over one pipe each way:

- server -> worker: ``("call", id, method, args)`` (start, pause, resume, stop, emergency_stop,
  acknowledge, change) and ``("close",)``;
- worker -> server: ``("frame", seq, json)`` per published frame (encoded once, in the
  worker), ``("status", snapshot)`` after every call and five times a second, ``("reply", id,
  error, conflict)`` (conflict: None, "conflict" or "confirmable", see ConflictError),
  ``("audit", entries)`` and ``("import", directory)`` when a recording is finished.

The server keeps the database work (audit log, clinic import); the worker never opens the store.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing as mp
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final

from gaitway.errors import ConflictError, UserError
from gaitway.web.live import LiveStation
from gaitway.web.setup import StationSetup

STATUS_EVERY_S: Final[float] = 0.2
CALL_TIMEOUT_S: Final[float] = 10.0
START_TIMEOUT_S: Final[float] = 60.0


class ProcessStation(LiveStation):
    """A simulated station whose session loop runs in a worker process."""

    def __init__(self, setup: StationSetup, *, decimation: int = 20,
                 recordings_dir: Path | None = None,
                 overrun_bound_s: float | None = None) -> None:
        super().__init__(setup, decimation=decimation, recordings_dir=recordings_dir,
                         overrun_bound_s=overrun_bound_s)
        self._snapshot: dict[str, Any] = {}
        self._replies: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._conn: Connection | None = None
        self._proc: Any = None
        self._reader: threading.Thread | None = None
        #: set at the worker's first message: until then a call also waits for it to load
        self._worker_up = threading.Event()
        self._ensure_worker()  # spawned now: the workers of all stations start in parallel

    # -- the worker ---------------------------------------------------------------------------
    def _ensure_worker(self) -> Connection:
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            return self._conn
        ctx = mp.get_context("spawn")  # never fork a server with threads
        ours, theirs = ctx.Pipe()
        self._proc = ctx.Process(
            target=_worker, name=f"gaitway-{self.setup.station_id}", daemon=True,
            args=(self.setup, self.decimation, self.recordings_dir, self.overrun_bound_s,
                  theirs))
        self._proc.start()
        theirs.close()
        self._conn = ours
        self._worker_up.clear()
        self._reader = threading.Thread(target=self._read, args=(ours,), daemon=True,
                                        name=f"reader-{self.setup.station_id}")
        self._reader.start()
        return ours

    def _call(self, method: str, *args: Any, timeout_s: float = CALL_TIMEOUT_S,
              wait: bool = True) -> None:
        conn = self._ensure_worker()
        # a worker still importing its libraries (seconds on a busy machine) is not a
        # station that fails to answer: the call's own timeout starts once it is up (a call
        # that does not wait is queued in the pipe and read once the worker is up)
        if wait and not self._worker_up.wait(START_TIMEOUT_S):
            raise UserError(f"station {self.setup.name} did not start its worker process in "
                            f"{START_TIMEOUT_S:.0f} s; check the server's log, then try again")
        n = next(self._ids)
        done = threading.Event()
        slot: list[Any] = [None, False]
        self._replies[n] = (done, slot)
        with self._send_lock:
            conn.send(("call", n, method, args))
        if not wait:
            return
        if not done.wait(timeout_s):
            self._replies.pop(n, None)
            raise UserError(f"station {self.setup.name} did not answer {method} in time; "
                            "try again")
        if slot[0]:
            if slot[1]:
                raise ConflictError(slot[0], confirmable=slot[1] == "confirmable")
            raise UserError(slot[0])

    def _read(self, conn: Connection) -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                break
            self._worker_up.set()
            kind = msg[0]
            if kind == "frame":
                frame = json.loads(msg[2])
                self.encoded.append((msg[1], msg[2]))
                self.frames.append(frame)
                self.seq = msg[1]
                for wake in self.listeners:
                    wake()
            elif kind == "status":
                self._take_status(msg[1])
            elif kind == "reply":
                entry = self._replies.pop(msg[1], None)
                if entry is not None:
                    entry[1][0] = msg[2]
                    entry[1][1] = msg[3]  # None, "conflict" or "confirmable"
                    entry[0].set()
                if msg[2]:
                    self._event(self.session_t, "call_refused", "station", reason=msg[2])
            elif kind == "audit":
                self.audit_outbox.extend(msg[1])
            elif kind == "import":
                self._start_import(Path(msg[1]))
        self._snapshot = self._snapshot | {"running": False}
        self._worker_up.set()  # a dead worker answers every waiting call at once
        for done, slot in list(self._replies.values()):
            slot[0] = f"station {self.setup.name} stopped answering"
            done.set()

    def _take_status(self, snap: dict[str, Any]) -> None:
        self._snapshot = snap["status"]
        self.state = snap["status"]["state"]
        self.alerts = snap["status"]["alerts"]
        self.session_t = snap["session_t"]
        self.last_result = snap["last_result"]
        self.recording = snap["status"]["recording"]
        self.events.clear()
        self.events.extend(snap["events"])
        self.strides.clear()
        self.strides.extend(snap["strides"])

    # -- what the server asks -----------------------------------------------------------------
    @property
    def running(self) -> bool:
        return bool(self._snapshot.get("running", False))

    def status(self) -> dict[str, Any]:
        if not self._snapshot:
            return super().status()
        last = self.frames[-1] if self.frames else {}
        snap = dict(self._snapshot)
        for key in ("steps", "guidance_pct", "bws_pct", "speed_kmh", "controller", "rom_scale",
                    "active_participation_pct", "symmetry_pct", "weight_bearing_pct",
                    "elapsed_s", "behind_s", "slips", "max_lag_s"):
            if key in last and snap.get("running"):
                snap[key] = last[key]
        snap["therapists"] = sorted(self.setup.therapists)
        snap["last_import"] = dict(self.last_import)
        return snap

    def configure(self, setup: StationSetup) -> None:
        """The worker's station takes the new setup (refused there while a session runs);
        this stand-in follows it (who may see the station, what is imported for whom)."""
        setup.session_settings(0)
        self._call("configure", setup)
        self.wait_import()  # the last session is imported under the patient it trained
        if setup.patient_id != self.setup.patient_id:
            self.last_import = {}  # the last session was another patient's
        self.setup = setup

    def start(self, by: str) -> None:
        self._call("start", by, timeout_s=START_TIMEOUT_S)

    def start_soon(self, by: str) -> None:
        """Start without waiting for the worker (server start: workers load in parallel)."""
        self._call("start", by, wait=False)

    def pause(self, by: str) -> None:
        self._call("pause", by)

    def resume(self, by: str) -> None:
        self._call("resume", by)

    def stop(self, by: str) -> None:
        self._call("stop", by)

    def emergency_stop(self, by: str) -> None:
        self._call("emergency_stop", by)

    def acknowledge(self, by: str, timeout_s: float = 3.0) -> list[str]:
        cleared = [str(a.get("text", "")) for a in self.alerts]
        self._call("acknowledge", by, timeout_s)
        return cleared

    def change(self, kind: str, value: Any, by: str, reason: str = "", *,
               confirmed: bool = False) -> None:
        self._call("change", kind, value, by, reason, confirmed)

    def begin_close(self) -> None:
        self._closing = True
        if self._conn is not None:
            try:
                with self._send_lock:
                    self._conn.send(("close",))
            except OSError:
                pass

    def finish_close(self, timeout_s: float) -> None:
        if self._proc is not None:
            self._proc.join(timeout_s)
            if self._proc.is_alive():
                self._proc.terminate()
        if self._reader is not None:
            self._reader.join(timeout_s)
        self.wait_import(timeout_s * 6)


def _worker(setup: StationSetup, decimation: int, recordings_dir: Path | None,
            overrun_bound_s: float | None, conn: Connection) -> None:
    """The worker process: one LiveStation, its calls answered, its frames and state sent."""
    st = LiveStation(setup, decimation=decimation, recordings_dir=recordings_dir,
                     overrun_bound_s=overrun_bound_s)
    lock = threading.Lock()

    def send(msg: tuple[Any, ...]) -> None:
        with lock:
            conn.send(msg)

    def on_frame() -> None:  # the loop thread, once per published frame
        seq, text = st.encoded[-1]
        send(("frame", seq, text))

    def on_import(directory: Path, patient: str) -> str:
        send(("import", str(directory)))
        return "(imported by the server)"

    def snapshot() -> None:
        box = st.audit_outbox
        entries = [box.popleft() for _ in range(len(box))]
        if entries:
            send(("audit", entries))
        send(("status", {"status": st.status(), "events": list(st.events)[-100:],
                         "strides": list(st.strides), "session_t": st.session_t,
                         "last_result": _jsonable(st.last_result)}))

    st.add_listener(on_frame)
    st.importer = on_import
    stop = threading.Event()

    def status_loop() -> None:
        while not stop.wait(STATUS_EVERY_S):
            try:
                snapshot()
            except (OSError, ValueError):
                return

    threading.Thread(target=status_loop, daemon=True, name="status").start()
    snapshot()
    try:
        while True:
            msg = conn.recv()
            if msg[0] == "close":
                break
            _, n, method, args = msg
            error: str | None = None
            conflict: str | None = None
            try:
                if method == "change":  # (kind, value, by, reason, confirmed)
                    st.change(*args[:4], confirmed=bool(args[4]))
                else:
                    getattr(st, method)(*args)
            except ConflictError as exc:
                error = str(exc)
                conflict = "confirmable" if exc.confirmable else "conflict"
            except UserError as exc:
                error = str(exc)
            except Exception as exc:  # a bug must reach the console, not kill the worker
                error = f"station error: {exc}"
            snapshot()
            send(("reply", n, error, conflict))
    except (EOFError, OSError):
        pass
    finally:
        st._closing = True
        if st._thread is not None:
            st._thread.join(30.0)
        st.wait_import(1.0)
        stop.set()
        with contextlib.suppress(OSError, ValueError):
            snapshot()
        time.sleep(0.05)
        conn.close()


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(d, default=str))
    return out
