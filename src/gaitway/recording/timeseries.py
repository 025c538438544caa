"""What reading a recording returns: time, named channels with units, events, gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from gaitway.recording.errors import RecordingError

FloatArray = npt.NDArray[np.float64]
#: A channel's values: float64, or float32 when the reader was asked for it (half the memory;
#: Recording.read(dtype=np.float32)); time is always float64.
ChannelArray = npt.NDArray[np.float64] | npt.NDArray[np.float32]

#: A time step longer than this many nominal steps is a gap.
GAP_FACTOR = 1.5


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened at ``time_s`` (s from session start), said by ``source``."""

    time_s: float
    kind: str
    source: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TimeSeries:
    """Samples of named channels on one time axis, with their units and the events inside.

    ``dt`` is the nominal tick period the recording was made at; gaps are measured against it.
    """

    time: FloatArray
    data: dict[str, ChannelArray]
    units: dict[str, str]
    events: list[Event]
    dt: float

    def __getitem__(self, name: str) -> ChannelArray:
        try:
            return self.data[name]
        except KeyError:
            raise RecordingError(
                f"no channel {name!r} in this time series; it has: {', '.join(self.data)}"
            ) from None

    @property
    def sampling_rate_hz(self) -> float:
        """The nominal rate (1 / dt): what the recording was made at, gaps aside."""
        return 1.0 / self.dt

    @property
    def gaps(self) -> list[tuple[float, float]]:
        """(start_s, end_s) of every irregular step: longer than 1.5 nominal steps, not forward
        (time standing still or going back), or NaN."""
        if self.time.size < 2:
            return []
        step = np.diff(self.time)
        bad = np.flatnonzero(~((step > 0.0) & (step <= GAP_FACTOR * self.dt)))
        return [(float(self.time[i]), float(self.time[i + 1])) for i in bad]

    def __len__(self) -> int:
        return int(self.time.size)
