"""Loop overruns: headless sessions judge them on a simulated clock, so machine load cannot
change a simulated session's faults; an injected overrun is still detected there."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings


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
