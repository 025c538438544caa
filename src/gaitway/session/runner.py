"""Headless simulated sessions, as fast as they go: the main job of ``gaitway simulate``.

One call runs one session (built by :class:`~gaitway.session.builder.SessionCore`) and leaves
behind a directory with the recording and ``summary.json``. The loop does no I/O of its own:
rows go to the recorder, which encodes and writes them on this thread, block by block.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gaitway.session.builder import SessionCore
from gaitway.session.settings import SessionSettings
from gaitway.session.stations import StationChoice
from gaitway.session.summary import SessionSummary

#: progress(session time so far, planned session length), both in seconds
ProgressCallback = Callable[[float, float], None]


def run_session(settings: SessionSettings, out_dir: Path, *,
                progress: ProgressCallback | None = None,
                station_choice: StationChoice | None = None) -> SessionSummary:
    """Run one headless simulated session; write the recording and summary.json into
    ``out_dir`` (an empty or new folder); return the summary.

    ``station_choice``: run it through another station around the twin (CANopen drives, a
    replay)."""
    core = SessionCore(settings, out_dir=Path(out_dir), station_choice=station_choice)
    total_s = core.plan.total_s
    on_second = None if progress is None else (lambda t: progress(t, total_s))
    return core.run(on_second=on_second)
