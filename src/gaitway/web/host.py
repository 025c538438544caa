"""What the web layer needs of a station, whatever runs its session: :class:`StationHost`.

Three hosts implement it: :class:`gaitway.web.live.LiveStation` runs the session core in a
thread of this process (tests, ``gaitway station run``), :class:`gaitway.web.live_process.
ProcessStation` in a worker process (``gaitway serve``), and :class:`gaitway.web.live.
RemoteStation` is a station on another computer that pushes its frames here (watched, not
controlled). The API, the WebSocket stream and the publisher see only this protocol: frames,
status and operator actions. Building and running a session is
:class:`gaitway.session.builder.SessionCore`'s job, never the web layer's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from gaitway.web.setup import StationSetup


class StationHost(Protocol):
    """One station as the console sees it."""

    setup: StationSetup
    #: the newest frame's sequence number on the live bus
    seq: int
    #: fault alerts not yet acknowledged (kind, reaction, time, detail, text)
    alerts: list[dict[str, Any]]
    #: the live bus (newest last), the recent strides and the event log
    frames: deque[dict[str, Any]]
    strides: deque[dict[str, Any]]
    events: deque[dict[str, Any]]

    @property
    def running(self) -> bool: ...

    # -- frames and status (transport) --------------------------------------------------------
    def status(self) -> dict[str, Any]: ...

    def frames_after(self, seq: int) -> list[dict[str, Any]]: ...

    def encoded_after(self, seq: int) -> tuple[int, str]: ...

    def add_listener(self, wake: Callable[[], None]) -> None: ...

    def remove_listener(self, wake: Callable[[], None]) -> None: ...

    # -- operator actions (each refused with a UserError saying why) -------------------------
    def configure(self, setup: StationSetup) -> None: ...

    def start(self, by: str) -> None: ...

    def pause(self, by: str) -> None: ...

    def resume(self, by: str) -> None: ...

    def stop(self, by: str) -> None: ...

    def emergency_stop(self, by: str) -> None: ...

    def acknowledge(self, by: str, timeout_s: float = 3.0) -> list[str]: ...

    def change(self, kind: str, value: Any, by: str, reason: str = "", *,
               confirmed: bool = False) -> None: ...
