"""The stations one console server shows: :class:`LiveService`.

It holds the station hosts by id (in-process :class:`~gaitway.web.live.LiveStation`, worker
:class:`~gaitway.web.live_process.ProcessStation`, pushing :class:`~gaitway.web.live.
RemoteStation`), starts and stops them with the server, and moves their audit entries to the
clinic store from a background thread (the loop threads never touch the database).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gaitway.errors import UserError
from gaitway.web.live import AUDIT_EVERY_S, SWITCH_INTERVAL_S, LiveStation, RemoteStation
from gaitway.web.live_process import ProcessStation
from gaitway.web.live_record import Importer
from gaitway.web.setup import StationSetup


class LiveService:
    """All stations this server shows, by id."""

    def __init__(self, setups: list[StationSetup], *, decimation: int = 20,
                 recordings_dir: Path | None = None,
                 overrun_bound_s: float | None = None, processes: bool = False) -> None:
        """``recordings_dir``: where console sessions are recorded (one directory each);
        :meth:`attach_store` then imports them and writes safety events to the audit log.
        ``overrun_bound_s``: see :class:`LiveStation`. ``processes``: run each station's
        loop in a worker process (:mod:`gaitway.web.live_process`), as ``gaitway serve``
        does, so that the server's event loop never waits behind the loops."""
        self.recordings_dir = recordings_dir
        kind: type[LiveStation] = ProcessStation if processes else LiveStation
        self.stations: dict[str, LiveStation] = {
            s.station_id: kind(s, decimation=decimation, recordings_dir=recordings_dir,
                               overrun_bound_s=overrun_bound_s)
            for s in setups
        }
        self._audit: Callable[[str, str, str, dict[str, Any]], None] | None = None
        self._audit_thread: threading.Thread | None = None
        #: one flush at a time: a flush asked for by a caller returns only once entries the
        #: background thread took are written too
        self._flush_lock = threading.Lock()
        self._stop_audit = threading.Event()

    def attach_store(self, importer: Importer | None,
                     audit: Callable[[str, str, str, dict[str, Any]], None] | None, *,
                     recordings_dir: Path | None = None) -> None:
        """Import finished sessions with ``importer`` and hand the stations' safety entries to
        ``audit(actor, action, station_id, details)`` from a background thread (the loop
        threads never touch the database); record into ``recordings_dir`` if none was set."""
        if self.recordings_dir is None:
            self.recordings_dir = recordings_dir
        for st in self.stations.values():
            st.importer = importer
            st.recordings_dir = st.recordings_dir or self.recordings_dir
        self._audit = audit
        if audit is not None and self._audit_thread is None:
            self._audit_thread = threading.Thread(target=self._audit_loop, daemon=True,
                                                  name="live-audit")
            self._audit_thread.start()

    def flush_audit(self) -> None:
        """Write the stations' pending audit entries now."""
        audit = self._audit
        if audit is None:
            return
        with self._flush_lock:
            for sid, st in list(self.stations.items()):
                box = st.audit_outbox
                while box:
                    entry = box.popleft()
                    action, actor, details = entry
                    try:
                        audit(actor, action, sid, details)
                    except Exception:
                        box.appendleft(entry)  # kept for the next flush, in order
                        raise

    def _audit_loop(self) -> None:
        while not self._stop_audit.wait(AUDIT_EVERY_S):
            try:
                self.flush_audit()
            except Exception as exc:  # keep auditing; say so on the console
                print(f"gaitway: audit log write failed: {exc}", file=sys.stderr)

    def get(self, station_id: str) -> LiveStation:
        try:
            return self.stations[station_id]
        except KeyError:
            raise UserError(f"no station {station_id!r}; known: "
                            + ", ".join(self.stations)) from None

    def remote(self, station_id: str) -> RemoteStation:
        """The remote station ``station_id``, registered on its first push."""
        st = self.stations.get(station_id)
        if st is None:
            st = RemoteStation(StationSetup(station_id=station_id, name=f"Remote {station_id}",
                                            profile="healthy", patient="(remote)", seed=0))
            self.stations[station_id] = st
        if not isinstance(st, RemoteStation):
            raise UserError(f"station {station_id!r} runs in this server; it cannot be pushed to")
        return st

    def start_all(self, by: str) -> None:
        # Loop threads that run behind real time hold the GIL for the default 5 ms each; the
        # event loop, woken for a frame, waits for a forced switch (often several, with 8
        # threads). 0.2 ms lets it in sooner (screen latency); a switch costs microseconds.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        for st in self.stations.values():
            if not st.running and not isinstance(st, RemoteStation):
                st.start_soon(by)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        for st in self.stations.values():
            st.begin_close()
        for st in self.stations.values():
            st.finish_close(timeout_s)
        self._stop_audit.set()
        if self._audit_thread is not None:
            self._audit_thread.join(timeout_s)
            self._audit_thread = None
        self.flush_audit()
