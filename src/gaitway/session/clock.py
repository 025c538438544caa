"""The loop clock: paced ticks against wall time for live sessions, or as fast as possible.

Paced mode keeps absolute deadlines on the monotonic clock (``time.perf_counter``), sleeps
until shortly before each deadline and then busy-waits the rest, because a plain sleep on a
general-purpose OS wakes up late by tens to hundreds of microseconds. The periods actually
seen are stored (preallocated) for jitter statistics.

What a late tick means depends on whose time the station keeps (:class:`TimeBase`, set by
:func:`gaitway.session.loop.run_loop` from the station):

- real time (hardware): a tick that starts more than one period after its deadline is an
  overrun: it is counted, and the schedule is moved to now instead of bursting to catch up (a
  burst of late ticks is worse for a controller than one long period). The safety supervisor
  judges such overruns on wall time and stops the device.
- simulated time (the twin): nothing moves between two ticks, so a late tick harms no one.
  Up to ``catch_up_s`` behind, the clock runs ticks back to back until it is on schedule
  again; further behind, it gives that time up (the schedule slips to now) and the session's
  simulated time falls behind wall time. Both are shown: ``lag_s``/``max_lag_s`` (how late
  ticks started), ``behind_s`` and ``slips`` (time given up, and how often), in the live
  frame, the recording's events, the console and the summary.

Defaults (tested): period 1 ms, busy-wait margin 0.3 ms, catch-up bound 0.1 s.
SIGINT/SIGTERM, when :meth:`install_signal_handlers` is used, only set ``stop_requested`` so
that the loop ends through the station's safe stop, never mid-tick.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from types import FrameType
from typing import Final

import numpy as np
import numpy.typing as npt

from gaitway.errors import UserError
from gaitway.station.interface import TimeBase

DEFAULT_PERIOD_S: Final[float] = 0.001
DEFAULT_BUSY_WAIT_S: Final[float] = 0.0003
#: simulated time: how far behind schedule the clock still catches up (ticks back to back)
DEFAULT_CATCH_UP_S: Final[float] = 0.1


@dataclass(frozen=True, slots=True)
class JitterStats:
    """Tick-period statistics of a paced run, in microseconds (jitter = |period - nominal|)."""

    ticks: int
    overruns: int
    period_median_us: float
    jitter_median_us: float
    jitter_p99_us: float
    jitter_max_us: float
    #: whose time the loop kept ("simulated": late ticks fell behind, "real": overruns)
    time_base: str = TimeBase.REAL.value
    #: time given up when the schedule slipped (simulated time behind wall time), seconds
    behind_s: float = 0.0
    #: how often the schedule slipped
    slips: int = 0
    #: the latest any tick started after its deadline, seconds
    max_lag_s: float = 0.0

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "ticks": self.ticks,
            "overruns": self.overruns,
            "period_median_us": self.period_median_us,
            "jitter_median_us": self.jitter_median_us,
            "jitter_p99_us": self.jitter_p99_us,
            "jitter_max_us": self.jitter_max_us,
            "time_base": self.time_base,
            "behind_s": round(self.behind_s, 4),
            "slips": self.slips,
            "max_lag_s": round(self.max_lag_s, 4),
        }


class LoopClock:
    """Paces a loop at ``period_s`` (paced=True) or lets it run free (paced=False).

    Call :meth:`tick` once at the top of every loop iteration. ``max_ticks`` sizes the
    period buffer; beyond it, periods are no longer stored (counts still are).
    ``time_base``: what a late tick means (see the module's docstring); ``run_loop`` sets it
    from the station. ``catch_up_s``: with simulated time, how far behind the clock still
    catches up before it lets the session fall behind.
    """

    def __init__(
        self,
        *,
        period_s: float = DEFAULT_PERIOD_S,
        paced: bool = True,
        busy_wait_s: float = DEFAULT_BUSY_WAIT_S,
        max_ticks: int = 3_600_000,
        time_base: TimeBase = TimeBase.REAL,
        catch_up_s: float = DEFAULT_CATCH_UP_S,
    ) -> None:
        if not 1e-5 <= period_s <= 1.0:
            raise UserError(f"loop period must be within 10 us-1 s, got {period_s} s")
        if busy_wait_s < 0.0:
            raise UserError("busy-wait margin must be >= 0")
        if not period_s <= catch_up_s <= 10.0:
            raise UserError(f"catch-up bound must be within one period and 10 s, got "
                            f"{catch_up_s} s")
        self.period_s = period_s
        self.paced = paced
        self.busy_wait_s = busy_wait_s
        self.time_base = time_base
        self.catch_up_s = catch_up_s
        self.ticks = 0
        self.overruns = 0
        #: how late the latest tick started (0: on time), and the latest any tick started
        self.lag_s = 0.0
        self.max_lag_s = 0.0
        #: time given up by moving the schedule to now, and how often; ``slipped`` is the
        #: latest tick's share (0.0 when it did not slip), for the loop to report
        self.behind_s = 0.0
        self.slips = 0
        self.slipped = 0.0
        self.stop_requested = False
        self._periods: npt.NDArray[np.float64] = np.zeros(max_ticks if paced else 0)
        self._deadline = 0.0
        self._last = 0.0
        self._old_handlers: dict[int, object] = {}

    @property
    def time_s(self) -> float:
        """Session time: ticks times the period (what the loop calls 'now')."""
        return self.ticks * self.period_s

    def tick(self) -> None:
        """Wait for the next deadline (paced) and count the tick."""
        if not self.paced:
            self.ticks += 1
            return
        now = time.perf_counter()
        self.slipped = 0.0
        if self.ticks == 0:
            self._deadline = now
            self._last = now
        else:
            deadline = self._deadline + self.period_s
            late = now - deadline
            if late > 0.0:  # start at once; catch up, or give the time up past the bound
                self.lag_s = late
                if late > self.max_lag_s:
                    self.max_lag_s = late
                if late > self.period_s:
                    self.overruns += 1
                bound = (self.catch_up_s if self.time_base is TimeBase.SIMULATED
                         else self.period_s)
                if late > bound:
                    self.behind_s += late
                    self.slips += 1
                    self.slipped = late
                    deadline = now
            else:
                self.lag_s = 0.0
                sleep_for = -late - self.busy_wait_s
                if sleep_for > 0.0:
                    time.sleep(sleep_for)
                while time.perf_counter() < deadline:
                    pass
                now = time.perf_counter()
            self._deadline = deadline
            n = self.ticks - 1
            if n < self._periods.shape[0]:
                self._periods[n] = now - self._last
            self._last = now
        self.ticks += 1

    def periods_s(self) -> npt.NDArray[np.float64]:
        """The tick periods seen so far (seconds, a copy), first to last."""
        n = min(max(self.ticks - 1, 0), self._periods.shape[0])
        return self._periods[:n].copy()

    def stats(self) -> JitterStats:
        n = min(max(self.ticks - 1, 0), self._periods.shape[0])
        late = (self.time_base.value, self.behind_s, self.slips, self.max_lag_s)
        if n == 0:
            return JitterStats(self.ticks, self.overruns, 0.0, 0.0, 0.0, 0.0, *late)
        p = self._periods[:n] * 1e6
        j = np.abs(p - self.period_s * 1e6)
        return JitterStats(
            ticks=self.ticks,
            overruns=self.overruns,
            period_median_us=float(np.median(p)),
            jitter_median_us=float(np.median(j)),
            jitter_p99_us=float(np.percentile(j, 99)),
            jitter_max_us=float(j.max()),
            time_base=late[0],
            behind_s=late[1],
            slips=late[2],
            max_lag_s=late[3],
        )

    def install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM set ``stop_requested`` (main thread only); undo with restore."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)

    def restore_signal_handlers(self) -> None:
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old)  # type: ignore[arg-type]
        self._old_handlers.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True
