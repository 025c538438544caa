"""The loop clock: pacing, overruns, jitter statistics, free running, signals."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from gaitway.errors import UserError
from gaitway.session.clock import DEFAULT_BUSY_WAIT_S, DEFAULT_PERIOD_S, LoopClock
from gaitway.station.interface import TimeBase


def test_defaults_are_1khz_with_a_short_busy_wait() -> None:
    clock = LoopClock()
    assert clock.period_s == DEFAULT_PERIOD_S == 0.001
    assert clock.busy_wait_s == DEFAULT_BUSY_WAIT_S == 0.0003
    assert clock.paced


def test_paced_clock_keeps_wall_time() -> None:
    """Properties that hold however loaded the machine is (figures: bench/bench_control.py):
    a paced clock is never early, since deadlines are absolute and only move later."""
    clock = LoopClock(period_s=0.001, max_ticks=1000)
    t0 = time.perf_counter()
    for _ in range(301):
        clock.tick()
    elapsed = time.perf_counter() - t0
    assert elapsed >= 0.2995
    st = clock.stats()
    assert st.ticks == 301
    periods = clock.periods_s()
    assert periods.shape == (300,)
    # tick k is never before the first tick plus k periods (1 us for float rounding)
    lateness = np.cumsum(periods) - 0.001 * np.arange(1, 301)
    assert lateness.min() >= -1e-6
    assert float(periods.sum()) <= elapsed
    assert st.jitter_max_us >= st.jitter_p99_us >= st.jitter_median_us >= 0.0
    assert st.period_median_us == pytest.approx(float(np.median(periods)) * 1e6)


def test_a_late_tick_counts_as_overrun_without_a_catch_up_burst() -> None:
    clock = LoopClock(period_s=0.001, max_ticks=100)
    for _ in range(5):
        clock.tick()
    before = clock.overruns  # a loaded machine may already have made a tick late
    time.sleep(0.01)
    clock.tick()
    assert clock.overruns == before + 1
    t0 = time.perf_counter()
    clock.tick()
    assert time.perf_counter() - t0 >= 0.0009  # the next tick waits a full period again
    assert clock.stats().jitter_max_us > 5000.0


def test_free_running_clock_does_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"a free-running clock slept {seconds} s")

    monkeypatch.setattr(time, "sleep", no_sleep)
    clock = LoopClock(paced=False)
    for _ in range(10_000):
        clock.tick()
    assert clock.time_s == pytest.approx(10.0)
    assert clock.stats().overruns == 0
    assert clock.periods_s().size == 0


def test_signal_requests_a_stop_instead_of_killing_the_loop() -> None:
    before = signal.getsignal(signal.SIGINT)  # default, or ignored in a background job
    clock = LoopClock(paced=False)
    clock.install_signal_handlers()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
        assert clock.stop_requested
    finally:
        clock.restore_signal_handlers()
    assert signal.getsignal(signal.SIGINT) is before


def test_bad_period_is_a_user_error() -> None:
    with pytest.raises(UserError, match="loop period"):
        LoopClock(period_s=0.0)


class _FakeTime:
    """perf_counter and sleep on a clock the test moves: a late tick is made, not awaited."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 100.0
        self.slept = 0.0
        monkeypatch.setattr(time, "perf_counter", lambda: self.now)
        monkeypatch.setattr(time, "sleep", self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds

    def run(self, clock: LoopClock, ticks: int, work_s: float = 0.0) -> None:
        """``ticks`` ticks whose work takes ``work_s`` each (busy-waits end at once: the fake
        clock is then already past the deadline)."""
        for _ in range(ticks):
            clock.tick()
            self.now += work_s


def test_simulated_time_catches_up_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeTime(monkeypatch)
    clock = LoopClock(time_base=TimeBase.SIMULATED, busy_wait_s=0.0, max_ticks=100)
    fake.run(clock, 10)
    fake.now += 0.05  # the host took 50 ms from the loop: within the 0.1 s bound
    start = fake.now
    fake.run(clock, 100, work_s=0.0002)  # ticks back to back until on schedule again
    assert clock.slips == 0
    assert clock.behind_s == 0.0
    assert clock.max_lag_s == pytest.approx(0.05, abs=0.002)
    assert clock.lag_s == 0.0  # caught up: the last ticks waited for their deadlines
    # 100 ticks of 1 ms of simulated time took 100 ms less the 50 ms paid back (+ the work
    # of the last tick): the session is on wall time again
    assert fake.now - start == pytest.approx(0.100 - 0.050, abs=0.0015)


def test_simulated_time_falls_behind_past_its_bound_and_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeTime(monkeypatch)
    clock = LoopClock(time_base=TimeBase.SIMULATED, busy_wait_s=0.0, max_ticks=100)
    fake.run(clock, 10)
    fake.now += 0.4  # a 0.4 s stall: beyond the bound, the time is given up
    clock.tick()
    assert clock.slips == 1
    assert clock.slipped == pytest.approx(0.399, abs=1e-6)
    assert clock.behind_s == pytest.approx(0.399, abs=1e-6)
    fake.run(clock, 5)
    assert clock.slipped == 0.0
    assert clock.lag_s == 0.0
    st = clock.stats()
    assert (st.time_base, st.slips) == ("simulated", 1)
    assert st.behind_s == pytest.approx(0.399, abs=1e-6)
    assert st.as_dict()["behind_s"] == pytest.approx(0.399, abs=1e-4)


def test_real_time_never_bursts_to_catch_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """On real time a tick more than one period late is an overrun and the schedule moves to
    now: the ticks after it are a period apart again, never back to back."""
    fake = _FakeTime(monkeypatch)
    clock = LoopClock(busy_wait_s=0.0, max_ticks=100)
    assert clock.time_base is TimeBase.REAL
    fake.run(clock, 10)
    fake.now += 0.05
    clock.tick()
    assert clock.overruns == 1
    assert clock.slips == 1
    before = fake.now
    clock.tick()
    assert fake.now - before == pytest.approx(0.001)


def test_catch_up_bound_is_checked() -> None:
    with pytest.raises(UserError, match="catch-up bound"):
        LoopClock(catch_up_s=0.0)
