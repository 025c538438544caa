"""A recording played back through the :class:`Station` interface.

The console, the analytics and the safety layer can then be exercised with any recording:
each tick returns the next recorded Sample, at 1x (paced against wall time by the station
itself) or as fast as the loop goes. Commands cannot change what was recorded: they are kept
(:attr:`ReplayStation.commands_ignored`) and said to be ignored. Channels the recording does
not have (older recordings predate some) read NaN-free defaults and are listed in
:attr:`ReplayStation.missing_channels`; the station layer does not read files, so the samples
come in as arrays (:class:`RecordedSamples`, filled by the session layer from a recording).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from gaitway.errors import UserError
from gaitway.station.channels import N_SAMPLE_CHANNELS, SAMPLE_CHANNEL_NAMES, SAMPLE_INDEX
from gaitway.station.interface import Command, Sample, Station, StationError

FloatArray = npt.NDArray[np.float64]
#: the fastest paced replay (faster: leave ``speed`` None for as fast as possible)
MAX_SPEED: Final[float] = 100.0
_ESTOP: Final[int] = SAMPLE_INDEX["estop"]


@dataclass(frozen=True)
class RecordedSamples:
    """Recorded Sample rows: ``values`` is (n, len(channel_names)), time in column 0's
    place given separately as ``time_s`` (seconds from the session's start)."""

    time_s: FloatArray
    channel_names: tuple[str, ...]
    values: FloatArray
    body_mass_kg: float
    simulated: bool
    label: str = ""
    dt: float = 0.001
    truth: FloatArray | None = None
    truth_names: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        n = self.time_s.shape[0]
        if n < 2:
            raise UserError("the recording holds fewer than 2 samples: nothing to replay")
        if self.values.shape != (n, len(self.channel_names)):
            raise UserError(f"recorded values have shape {self.values.shape}, expected "
                            f"({n}, {len(self.channel_names)})")
        if not np.all(np.diff(self.time_s) > 0):
            raise UserError("the recording's time goes backwards or stands still: it cannot "
                            "be replayed as a station")


class ReplayStation(Station):
    """Plays :class:`RecordedSamples` back, one row per tick.

    ``speed``: 1.0 replays in real time, 2.0 twice as fast; None as fast as the caller
    steps. After the last row the station stops (``running`` False) and repeats that row,
    so a loop that runs past the end sees a frozen sample, as a lost device would look.
    """

    def __init__(self, samples: RecordedSamples, *, speed: float | None = 1.0) -> None:
        if speed is not None and not (math.isfinite(speed) and 0.0 < speed <= MAX_SPEED):
            raise UserError(f"--speed must be above 0 and at most {MAX_SPEED:g} (or 'max'), "
                            f"got {speed}")
        super().__init__()
        self.samples = samples
        self.speed = speed
        self.simulated = samples.simulated
        self.dt = samples.dt
        n = samples.time_s.shape[0]
        rows = np.zeros((n, N_SAMPLE_CHANNELS))
        have = set(samples.channel_names)
        for j, name in enumerate(samples.channel_names):
            i = SAMPLE_INDEX.get(name)
            if i is not None:
                rows[:, i] = samples.values[:, j]
        rows[:, 0] = samples.time_s - samples.time_s[0]
        self._rows = rows
        self.missing_channels = tuple(c for c in SAMPLE_CHANNEL_NAMES[1:] if c not in have)
        self.truth = np.zeros(len(samples.truth_names))
        self.commands_ignored = 0
        self._i = 0
        self._stopped = False
        self._wall0 = 0.0
        #: the operator's emergency stop at this computer (a console watching the replay):
        #: recorded samples cannot show it, so the replay sets the e-stop input while pressed
        self.estop_pressed = False

    @property
    def quantised_channels(self) -> frozenset[str]:
        """Every recorded channel: a recording rounds its values (joint angles to 2e-5 rad,
        coarser than the sensors' noise), so at standstill a replayed reading repeats where
        the live one did not; and a file cannot stop arriving."""
        return frozenset(self.samples.channel_names) & frozenset(SAMPLE_CHANNEL_NAMES[1:])

    @property
    def n_samples(self) -> int:
        return int(self._rows.shape[0])

    @property
    def duration_s(self) -> float:
        return float(self._rows[-1, 0] + self.dt)

    def _emit_row(self, i: int) -> Sample:
        if self.samples.truth is not None:
            self.truth = self.samples.truth[i]
        row = self._rows[i].copy()
        if self.estop_pressed:
            row[_ESTOP] = 1.0
        return self._emit(Sample.trusted(row))

    def press_estop(self) -> None:
        """The operator presses the emergency stop (held until :meth:`release_estop`)."""
        self.estop_pressed = True

    def release_estop(self) -> None:
        self.estop_pressed = False

    def start(self) -> Sample:
        if self._stopped:
            raise StationError("this replay was stopped; create a new one to replay again")
        if self._running:
            raise StationError("replay already started")
        self._running = True
        self._i = 0
        self._wall0 = time.perf_counter()
        return self._emit_row(0)

    def step(self, command: Command) -> Sample:
        if self._last is None:
            raise StationError("replay is not running: use it as 'with station:'")
        if any(command[:4]) or command.belt_speed or command.harness_force:
            self.commands_ignored += 1
        if self._i + 1 >= self.n_samples:
            self._running = False
            return self._last
        self._i += 1
        sample = self._emit_row(self._i)
        if self.speed is not None:  # pace: the recorded time at the chosen speed
            due = self._wall0 + sample.time / self.speed
            wait = due - time.perf_counter()
            if wait > 0.002:
                time.sleep(wait - 0.001)
            while time.perf_counter() < due:
                pass
        return sample

    def stop(self) -> None:
        self._running = False
        self._stopped = True

    def engage_belt_brake(self) -> None:
        """A recording's belt cannot be braked: the replay shows what was recorded."""

    def release_belt_brake(self) -> None:
        """See :meth:`engage_belt_brake`."""

    @property
    def body_mass_kg(self) -> float:
        return self.samples.body_mass_kg

    def truth_source(self) -> ReplayStation | None:
        """The recording's truth, when it kept one."""
        return self if self.samples.truth is not None else None
