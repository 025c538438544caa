"""The one in-memory shape every input (recording, C3D, CSV) is turned into before analysis.

Readers differ (units, frames, rates); the algorithms should not. Signals come in blocks that
each carry their own time axis, because a lab file samples forces at 1 kHz and joint angles at
100 Hz: nothing is resampled behind the analyst's back. Everything is SI in the belt frame
(x forward, y left, z up), vertical force positive when loaded, angles in radians.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gaitway.errors import UserError

#: Signals: float64, or float32 as a long recording is read (half the memory).
FloatArray = npt.NDArray[np.floating[Any]]
Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
EventKind = Literal["heel_strike", "toe_off"]
#: Where an event comes from: a force plate or belt, the kinematic (marker or joint-angle)
#: method, the file's own annotation, or a simulation's true contact.
EventSource = Literal["force_plate", "kinematics", "file", "simulation_truth"]


@dataclass(frozen=True, slots=True)
class GaitEvent:
    """A gait event: time in seconds from the start of the file, and its source."""

    time_s: float
    side: Side
    kind: EventKind
    source: EventSource = "force_plate"

    def as_dict(self) -> dict[str, object]:
        return {"time_s": round(self.time_s, 4), "side": self.side, "kind": self.kind,
                "source": self.source}


class DerivedChannels(Mapping[str, FloatArray]):
    """Channels, some of them computed from others only when first asked for (and then
    kept): a long recording's derived channels (foot positions from joint angles, 7 MB each
    for 30 minutes) cost memory only in the analyses that use them."""

    def __init__(self, stored: dict[str, FloatArray],
                 derived: dict[str, Callable[[], FloatArray]]) -> None:
        self.stored = stored
        self._derived = {n: f for n, f in derived.items() if n not in stored}

    def __getitem__(self, name: str) -> FloatArray:
        if name not in self.stored and name in self._derived:
            self.stored[name] = self._derived.pop(name)()
        return self.stored[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*self.stored, *self._derived])

    def __len__(self) -> int:
        return len(self.stored) + len(self._derived)

    def __contains__(self, name: object) -> bool:
        return name in self.stored or name in self._derived

    def get(self, name: str, default: Any = None) -> Any:  # the fast path of Mapping.get
        v = self.stored.get(name)
        if v is not None:
            return v
        return self[name] if name in self._derived else default


@dataclass
class SignalBlock:
    """Channels sampled together on one uniform time axis."""

    time: FloatArray
    sampling_rate_hz: float
    channels: Mapping[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.time)
        # derived channels are made from checked ones, on the same axis
        stored = self.channels.stored if isinstance(self.channels, DerivedChannels) else (
            self.channels)
        for name, values in stored.items():
            if len(values) != n:
                raise UserError(
                    f"channel {name!r} has {len(values)} values but the time axis has {n}; "
                    "the file is inconsistent"
                )
        # t[k + 1] > t[k] is np.diff(t) > 0 (a difference of doubles is positive exactly
        # when the first is larger), without a whole-channel array of differences
        if n > 1 and not np.all(self.time[1:] > self.time[:-1]):
            raise UserError("the time axis does not increase; the file is corrupt or unsorted")
        if self.sampling_rate_hz <= 0:
            raise UserError(f"sampling rate must be positive, got {self.sampling_rate_hz}")

    def has(self, *names: str) -> bool:
        return all(n in self.channels for n in names)

    def get(self, name: str) -> FloatArray | None:
        return self.channels.get(name)


@dataclass
class GaitData:
    """Everything the analysis needs, from any source.

    ``forces`` holds grf_{x,y,z}_{side} (N), cop_{x,y}_{side} (m), belt_speed_{side} (m/s).
    ``kinematics`` holds {hip,knee,ankle}_angle_{side} (rad), ref_*_angle_*, foot_x_{side}
    (forward foot position relative to the pelvis, m), heel_x_{side} (forward heel position in
    the lab frame, m), pelvis_lateral (m), interaction torques,
    joint velocities, assist_level, guidance, truth_* channels.
    ``emg`` holds emg_<muscle>_<side> (V).
    """

    source: Literal["simulated", "real"]
    origin: str
    forces: SignalBlock | None = None
    kinematics: SignalBlock | None = None
    emg: SignalBlock | None = None
    body_mass_kg: float | None = None
    file_events: list[GaitEvent] = field(default_factory=list)
    belt_speed_m_s: float | None = None
    #: overground trials: the walker's mean speed over the ground (the belt speed is 0 there)
    walking_speed_m_s: float | None = None
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    #: the share of one belt's load the other belt's plate reads, as the station declares it
    #: (a Gaitway recording's ``station.force_plate_crosstalk``); None: not declared, the
    #: event detector assumes its preset's
    plate_crosstalk: float | None = None

    def sides_with_force(self) -> list[Side]:
        if self.forces is None:
            return []
        return [s for s in SIDES if self.forces.has(f"grf_z_{s}")]
