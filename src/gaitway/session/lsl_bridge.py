"""A session on the Lab Streaming Layer: its live channels and events out, external EMG
amplifiers and force plates in (``gaitway simulate --lsl``, ``--lsl-in``).

LSL streams are stamped on the wall clock, so a session that streams is paced at real time
(a headless session runs many times faster than real time and would squeeze its streams).
The inputs replace the station's own readings of the channels their labels name
(:class:`~gaitway.station.lsl.LslInputStation`), on the twin or on any chosen station, so
the safety layer, the control stack and the recording see them as they would a wired sensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from gaitway.errors import UserError
from gaitway.session.stations import StationChoice
from gaitway.station.interface import Sample, Station
from gaitway.station.lsl import (
    MAX_OUTLET_HZ,
    InletSpec,
    LslInlets,
    LslInputStation,
    LslOutlets,
)
from gaitway.station.sim.twin import SimStation

#: the events that go out as markers (what a lab synchronises with: phases, faults, stops)
MARKER_KINDS: Final[frozenset[str]] = frozenset({
    "session_started", "session_finished", "state", "fault_detected", "safe_state_reached",
    "fault_acknowledged", "stop_requested", "session_paused", "session_resumed",
    "change_applied", "stride"})


@dataclass(frozen=True)
class LslOptions:
    """What a session streams out and reads in over LSL."""

    outlet: bool = False
    rate_hz: float = MAX_OUTLET_HZ
    inputs: tuple[InletSpec, ...] = ()
    #: names the outlet streams (and makes them findable again after a restart)
    name: str = "Gaitway"

    def __post_init__(self) -> None:
        if not 0.0 < self.rate_hz <= MAX_OUTLET_HZ:
            raise UserError(f"--lsl-rate must be above 0 and at most {MAX_OUTLET_HZ:g} Hz, "
                            f"got {self.rate_hz:g}")

    @property
    def active(self) -> bool:
        return self.outlet or bool(self.inputs)


def parse_inlet(text: str) -> InletSpec:
    """``TYPE`` or ``TYPE:NAME`` (``EMG``, ``ForcePlate:Kistler``) as an inlet to read."""
    kind, _, name = text.partition(":")
    if not kind.strip():
        raise UserError(f"--lsl-in {text!r}: give the stream's LSL type, e.g. EMG or "
                        "EMG:Amplifier1")
    return InletSpec(stream_type=kind.strip(), name=name.strip() or None)


def with_inputs(choice: StationChoice | None, inlets: LslInlets) -> StationChoice:
    """The session's station (the twin, or the chosen one around it) with the LSL inputs
    in its Samples; the chosen station's limits and metadata stay."""

    def make(twin: SimStation) -> Station:
        inner = twin if choice is None else choice.make(twin)
        return LslInputStation(inner, inlets)

    meta: dict[str, Any] = dict(choice.metadata) if choice is not None else {}
    meta["lsl_inputs"] = [{"type": s.stream_type, "name": s.name} for s in inlets.specs]
    return StationChoice(transport=choice.transport if choice is not None else "twin",
                         make=make, limits=choice.limits if choice is not None else None,
                         metadata=meta)


class LslTap:
    """The loop's Samples and the session's events, out as LSL streams."""

    def __init__(self, options: LslOptions, *, loop_dt: float, simulated: bool,
                 source_id: str) -> None:
        self.outlets = LslOutlets(name=options.name, source_id=source_id,
                                  rate_hz=options.rate_hz, loop_dt=loop_dt,
                                  simulated=simulated)
        self.markers_sent = 0

    def sample(self, sample: Sample) -> None:
        self.outlets.push(sample)

    def event(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        if kind not in MARKER_KINDS:
            return
        what = details.get("fault") or details.get("new") or details.get("kind") or ""
        self.outlets.marker(f"{kind}{f' {what}' if what else ''} t={time_s:.3f}")
        self.markers_sent += 1

    def close(self) -> None:
        self.outlets.close()


__all__ = ["MARKER_KINDS", "LslOptions", "LslTap", "parse_inlet", "with_inputs"]
