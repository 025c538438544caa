"""Lab Streaming Layer: the station's live channels out, external EMG and force plates in.

Out (:class:`LslOutlets`): one stream of the live channels, decimated to at most 100 Hz as
the live bus is, with each channel's label, unit and type in the stream's description (the
XDF file a LabRecorder writes keeps them), and a marker stream for events (stride, fault,
stop). In (:class:`LslInlets`): streams from an EMG amplifier or force plates whose channel
labels name Sample channels (``emg_tibialis_anterior_left``, ``grf_z_right``); a background
thread pulls their chunks, corrects each timestamp to this computer's clock with the inlet's
``time_correction()``, and keeps the latest value per channel; :class:`LslInputStation` puts
those values into each Sample of the station it wraps. The loop never waits on the network.

pylsl's wheel carries liblsl; streams are found on the local network (multicast), so two
processes on one computer see each other without any server.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pylsl

from gaitway.errors import UserError
from gaitway.station.channels import SAMPLE_CHANNELS, SAMPLE_INDEX, ChannelSpec
from gaitway.station.interface import Command, Sample, Station, StationWrapper, TimeBase

FloatArray = npt.NDArray[np.float64]
#: the live bus's rate (ARCHITECTURE: decimated streams at most 100 Hz)
MAX_OUTLET_HZ: Final[float] = 100.0
#: a channel's LSL type by its name's start (XDF/LSL channel-type vocabulary)
_TYPES: Final[tuple[tuple[str, str], ...]] = (
    ("emg_", "EMG"), ("grf_", "Force"), ("cop_", "Position"), ("interaction_", "Torque"),
    ("imu_acc", "Accelerometer"), ("imu_gyro", "Gyroscope"), ("belt_", "Speed"),
)


def _channel_type(spec: ChannelSpec) -> str:
    for prefix, kind in _TYPES:
        if spec.name.startswith(prefix):
            return kind
    if spec.unit == "rad":
        return "Angle"
    if spec.unit == "rad/s":
        return "AngularVelocity"
    if spec.unit == "N*m":
        return "Torque"
    return "Misc"


class LslOutlets:
    """Live channels and markers as LSL streams.

    ``source_id`` makes the stream findable again after a restart (LabRecorder resumes);
    ``rate_hz`` is the nominal rate pushed (the loop's samples decimated to it).
    """

    def __init__(self, *, name: str = "Gaitway", source_id: str = "gaitway-station",
                 channels: Sequence[str] | None = None, rate_hz: float = MAX_OUTLET_HZ,
                 loop_dt: float = 0.001, simulated: bool = True) -> None:
        if not (math.isfinite(rate_hz) and 0.0 < rate_hz <= MAX_OUTLET_HZ):
            raise UserError(f"LSL rate must be above 0 and at most {MAX_OUTLET_HZ:g} Hz")
        names = list(channels) if channels is not None else [c.name for c in SAMPLE_CHANNELS
                                                              if c.name != "time"]
        unknown = [n for n in names if n not in SAMPLE_INDEX]
        if unknown:
            raise UserError(f"unknown channel {unknown[0]!r} for the LSL outlet")
        specs = {c.name: c for c in SAMPLE_CHANNELS}
        self.channels = tuple(names)
        self._idx = np.array([SAMPLE_INDEX[n] for n in names], dtype=np.intp)
        self.every = max(1, round(1.0 / (rate_hz * loop_dt)))
        info = pylsl.StreamInfo(name, "Gait", len(names), 1.0 / (self.every * loop_dt),
                                pylsl.cf_double64, source_id)
        desc = info.desc()
        desc.append_child_value("manufacturer", "Gaitway")
        desc.append_child_value("simulated", "true" if simulated else "false")
        chs = desc.append_child("channels")
        for n in names:
            ch = chs.append_child("channel")
            ch.append_child_value("label", n)
            ch.append_child_value("unit", specs[n].unit)
            ch.append_child_value("type", _channel_type(specs[n]))
        self.outlet = pylsl.StreamOutlet(info)
        markers = pylsl.StreamInfo(f"{name} markers", "Markers", 1, pylsl.IRREGULAR_RATE,
                                   pylsl.cf_string, f"{source_id}-markers")
        self.markers = pylsl.StreamOutlet(markers)
        self._n = 0

    def push(self, sample: Sample) -> None:
        """Offer one loop Sample; every ``every``-th goes out (cheap otherwise)."""
        self._n += 1
        if self._n % self.every:
            return
        self.outlet.push_sample(sample.values[self._idx].tolist())

    def marker(self, text: str) -> None:
        """An event (stride, fault, stop, phase) as a marker, stamped now."""
        self.markers.push_sample([text])

    def close(self) -> None:
        del self.outlet
        del self.markers


@dataclass(frozen=True, slots=True)
class InletSpec:
    """An external stream to read: found by LSL stream type (and name, if given)."""

    stream_type: str  # "EMG", "ForcePlate", ...
    name: str | None = None
    timeout_s: float = 5.0


class LslInlets:
    """External streams whose channel labels name Sample channels, read in the background.

    :attr:`clock_offsets_s` holds each stream's last ``time_correction()`` (seconds to add to
    its timestamps for this computer's clock); :attr:`latest_time_s` the corrected time of the
    newest value per stream.
    """

    def __init__(self, specs: Sequence[InletSpec]) -> None:
        self.specs = tuple(specs)
        self._inlets: list[tuple[pylsl.StreamInlet, list[int], str]] = []
        for spec in specs:
            found = (pylsl.resolve_byprop("name", spec.name, timeout=spec.timeout_s)
                     if spec.name else
                     pylsl.resolve_byprop("type", spec.stream_type, timeout=spec.timeout_s))
            if not found:
                raise UserError(f"no LSL stream of type {spec.stream_type!r}"
                                + (f" named {spec.name!r}" if spec.name else "")
                                + f" found within {spec.timeout_s:g} s: is the device streaming?")
            inlet = pylsl.StreamInlet(found[0], max_buflen=2, processing_flags=0)
            labels = _labels(inlet.info(timeout=spec.timeout_s))
            cols = [SAMPLE_INDEX.get(lab, -1) for lab in labels]
            if all(c < 0 for c in cols):
                raise UserError(f"LSL stream {found[0].name()!r}: none of its channel labels "
                                f"({', '.join(labels[:4])}...) is a Gaitway channel name")
            self._inlets.append((inlet, cols, found[0].name()))
        self.values: dict[int, float] = {}
        self.clock_offsets_s: dict[str, float] = {}
        self.latest_time_s: dict[str, float] = {}
        self.samples_read = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lsl-inlets", daemon=True)

    def start(self) -> LslInlets:
        for inlet, _, name in self._inlets:
            inlet.open_stream(timeout=5.0)
            self.clock_offsets_s[name] = inlet.time_correction(timeout=5.0)
        self._thread.start()
        return self

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            got = False
            for inlet, cols, name in self._inlets:
                chunk, stamps = inlet.pull_chunk(timeout=0.0)
                if not stamps:
                    continue
                got = True
                last = chunk[-1]
                with self._lock:
                    for c, v in zip(cols, last, strict=False):
                        if c >= 0:
                            self.values[c] = float(v)
                    self.latest_time_s[name] = stamps[-1] + self.clock_offsets_s[name]
                    self.samples_read += len(stamps)
            n += 1
            if n % 500 == 0:  # the clocks drift: re-measure the offsets now and then
                for inlet, _, name in self._inlets:
                    self.clock_offsets_s[name] = inlet.time_correction(timeout=0.5)
            if not got:
                self._stop.wait(0.002)

    def apply(self, values: FloatArray) -> None:
        """Write the latest external values into a Sample vector (the loop's thread)."""
        with self._lock:
            for c, v in self.values.items():
                values[c] = v

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=1.0)
        for inlet, _, _ in self._inlets:
            inlet.close_stream()


def _labels(info: pylsl.StreamInfo) -> list[str]:
    out = []
    ch = info.desc().child("channels").child("channel")
    for _ in range(info.channel_count()):
        out.append(ch.child_value("label"))
        ch = ch.next_sibling()
    return out


def lsl_now() -> float:
    """LSL's clock on this computer (what corrected timestamps are on)."""
    return float(pylsl.local_clock())


class LslInputStation(StationWrapper):
    """A station whose Samples carry the external LSL inputs (EMG, force plates) in place of
    its own readings of those channels."""

    def __init__(self, inner: Station, inlets: LslInlets) -> None:
        super().__init__(inner)
        self.inlets = inlets

    def _merge(self, s: Sample) -> Sample:
        v = s.values.copy()
        self.inlets.apply(v)
        return self._emit(Sample.trusted(v))

    @property
    def time_base(self) -> TimeBase:
        """Real: the external inputs arrive on wall time, whatever clock the inner keeps."""
        return TimeBase.REAL

    def start(self) -> Sample:
        self.inlets.start()
        return self._merge(self.inner.start())

    def step(self, command: Command) -> Sample:
        return self._merge(self.inner.step(command))

    def stop(self) -> None:
        try:
            self.inner.stop()
        finally:
            self.inlets.close()
