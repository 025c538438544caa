"""Loop overruns: a simulated station's loop is judged on a simulated clock, headless or paced,
so machine load cannot change a simulated session's faults (a paced one falls behind wall time
and says so); an injected overrun is still detected there; a station with real time faults."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from gaitway.control.settings import ControlSettings
from gaitway.control.stack import ControlStack
from gaitway.safety.session import SessionSafety
from gaitway.session.clock import LoopClock
from gaitway.session.loop import BEHIND_EVENT, PhasePlan, run_loop
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.station.interface import Station, StationWrapper, TimeBase
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation


def _faults(out: Path, injections: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    cfg = SessionSettings(profile="healthy", minutes=2.5 / 60.0, seed=5,
                          patient_events=False, injections=injections)
    return list(run_session(cfg, out).faults)


def _slow_clock() -> Any:
    """A clock as a badly loaded machine would show it: 30 ms pass between any two reads."""
    counter = itertools.count()
    return lambda: next(counter) * 0.030


def test_headless_faults_do_not_depend_on_machine_load(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calm = _faults(tmp_path / "calm")
    monkeypatch.setattr(time, "thread_time", _slow_clock())
    monkeypatch.setattr(time, "perf_counter", _slow_clock())
    loaded = _faults(tmp_path / "loaded")
    assert loaded == calm
    assert not any(f["kind"] == "loop_overrun" for f in loaded)


def test_injected_overrun_is_still_detected_headless(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    calm = _faults(tmp_path / "calm", ("loop_overrun@1.5",))
    monkeypatch.setattr(time, "thread_time", _slow_clock())
    loaded = _faults(tmp_path / "loaded", ("loop_overrun@1.5",))
    assert loaded == calm
    over = [f for f in calm if f["kind"] == "loop_overrun"]
    assert len(over) == 1
    assert over[0]["detected_at_s"] - 1.5 <= 0.004  # the 3rd slow tick of the 5 injected


class _RealTimeTwin(StationWrapper):
    """The twin presenting itself as hardware: its time is wall time (what a real station
    says), so the supervisor must judge its loop as a real one. A wrapper, not a subclass:
    the twin's class may be compiled (gaitway.compiled), which no Python class can extend."""

    @property
    def time_base(self) -> TimeBase:
        return TimeBase.REAL


def _paced_on_a_loaded_machine(station: Station, monkeypatch: pytest.MonkeyPatch
                               ) -> tuple[SessionSafety, LoopClock, list[tuple[Any, ...]]]:
    """0.3 s of a paced live session (as the console runs it) while 30 ms pass between any
    two reads of the wall clock."""
    profile = get_profile("healthy")
    monkeypatch.setattr(time, "perf_counter", _slow_clock())
    safety = SessionSafety(station, paced=True)
    stack = ControlStack(ControlSettings(), height_m=profile.height_m,
                         body_mass_kg=profile.mass_kg)
    clock = LoopClock(paced=True, max_ticks=1000)
    events: list[tuple[Any, ...]] = []
    with safety.station:
        run_loop(safety.station, stack, PhasePlan(0.1, 0.2, 0.0, 0.0), clock=clock,
                 first_sample=safety.station.last_sample, safety=safety,
                 on_event=lambda t, kind, source, **d: events.append((t, kind, source, d)))
        safety.record()
    return safety, clock, events


def _station() -> SimStation:
    return SimStation(VirtualPatient(get_profile("healthy"), seed=5, events=False), seed=5)


def test_a_late_loop_on_a_simulated_station_falls_behind_instead_of_stopping(
        monkeypatch: pytest.MonkeyPatch) -> None:
    station = _station()
    assert station.time_base is TimeBase.SIMULATED
    safety, clock, events = _paced_on_a_loaded_machine(station, monkeypatch)
    assert not safety.latched
    assert not [f for f in safety.summary()["faults"] if f["kind"] == "loop_overrun"]
    assert clock.slips > 0
    assert clock.behind_s > 1.0
    behind = [e for e in events if e[1] == BEHIND_EVENT]
    assert len(behind) == clock.slips
    assert behind[-1][3]["behind_s"] == pytest.approx(clock.behind_s, abs=1e-3)
    assert clock.stats().as_dict()["behind_s"] == pytest.approx(clock.behind_s, abs=1e-4)


def test_a_late_loop_on_a_real_time_station_stays_a_fault(
        monkeypatch: pytest.MonkeyPatch) -> None:
    station = _RealTimeTwin(_station())
    safety, clock, events = _paced_on_a_loaded_machine(station, monkeypatch)
    over = [f for f in safety.summary()["faults"] if f["kind"] == "loop_overrun"]
    assert len(over) == 1
    assert over[0]["reaction"] == "controlled_stop"
    assert over[0]["detected_at_s"] <= 0.005  # the 3rd late tick
    assert safety.latched
    assert clock.overruns > 0
    assert not [e for e in events if e[1] == BEHIND_EVENT]  # real time is never "behind"
