"""Headless simulated sessions, as fast as they go: the main job of ``gaitway simulate``.

One call runs one session (built by :class:`~gaitway.session.builder.SessionCore`) and leaves
behind a directory with the recording and ``summary.json``. The loop does no I/O of its own:
rows go to the recorder, which encodes and writes them on this thread, block by block.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gaitway.session.builder import SessionCore
from gaitway.session.clock import LoopClock
from gaitway.session.lsl_bridge import LslOptions, LslTap, with_inputs
from gaitway.session.settings import SessionSettings
from gaitway.session.stations import StationChoice
from gaitway.session.summary import SessionSummary
from gaitway.station.interface import Command, Sample
from gaitway.station.lsl import LslInlets

#: progress(session time so far, planned session length), both in seconds
ProgressCallback = Callable[[float, float], None]


def run_session(settings: SessionSettings, out_dir: Path, *,
                progress: ProgressCallback | None = None,
                station_choice: StationChoice | None = None,
                lsl: LslOptions | None = None) -> SessionSummary:
    """Run one headless simulated session; write the recording and summary.json into
    ``out_dir`` (an empty or new folder); return the summary.

    ``station_choice``: run it through another station around the twin (CANopen drives, a
    replay). ``lsl``: stream it out and read external devices in over the Lab Streaming
    Layer; the session is then paced at real time (LSL streams are on the wall clock)."""
    if lsl is None or not lsl.active:
        core = SessionCore(settings, out_dir=Path(out_dir), station_choice=station_choice)
        total_s = core.plan.total_s
        on_second = None if progress is None else (lambda t: progress(t, total_s))
        return core.run(on_second=on_second)
    inlets = LslInlets(lsl.inputs) if lsl.inputs else None  # finds the devices, or says why
    choice = with_inputs(station_choice, inlets) if inlets is not None else station_choice
    tap: LslTap | None = None
    try:
        core = SessionCore(settings, out_dir=Path(out_dir), station_choice=choice)
        if lsl.outlet:  # the events from the first on, as markers (the observer sees each)
            tap = LslTap(lsl, loop_dt=core.station.dt, simulated=core.station.simulated,
                         source_id=f"gaitway-{settings.session_id}")
            core.observer = tap.event
        total_s = core.plan.total_s
        on_second = None if progress is None else (lambda t: progress(t, total_s))
        push = tap.sample if tap is not None else None

        def on_tick(sample: Sample, control: list[float], command: Command) -> None:
            if push is not None:
                push(sample)

        clock = LoopClock(paced=True, period_s=core.station.dt,
                          time_base=core.station.time_base)
        return core.run(clock=clock, on_tick=on_tick, on_second=on_second)
    finally:
        if tap is not None:
            tap.close()
