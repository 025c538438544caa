"""The typed interface of a treadmill gait-training station.

Every station, the MuJoCo twin, a hardware driver or a replay, implements :class:`Station`.
One immutable :class:`Sample` per tick comes out, one :class:`Command` per tick goes in.

A Sample wraps one read-only float vector in the order of ``SAMPLE_CHANNELS``: cheap to build
at 1 kHz, cheap to record, and still typed at the point of use through its accessors.
"""

from __future__ import annotations

import abc
import enum
import math
from collections.abc import Callable, Sequence
from functools import partial
from types import TracebackType
from typing import Final, NamedTuple, Protocol, Self, cast

import numpy as np
import numpy.typing as npt

from gaitway.errors import GaitwayError
from gaitway.station.channels import (
    CONTROL,
    CONTROL_CHANNEL_NAMES,
    DRIVEN_DOFS,
    N_SAMPLE_CHANNELS,
    SAMPLE_CHANNEL_NAMES,
    SAMPLE_INDEX,
    Side,
    channel_index,
)

FloatArray = npt.NDArray[np.float64]

_I = SAMPLE_INDEX


class FaultBit(enum.IntFlag):
    """Device-reported fault bits carried in the ``fault_word`` channel."""

    NONE = 0
    DRIVE_OVERCURRENT = 1 << 0
    DRIVE_OVERTEMPERATURE = 1 << 1
    ENCODER_MISMATCH = 1 << 2
    COMMUNICATION = 1 << 3
    HARNESS = 1 << 4
    BELT = 1 << 5
    SENSOR = 1 << 6
    #: a drive's safe-torque-off input is active (its torque is cut by the safety circuit)
    SAFE_TORQUE_OFF = 1 << 7
    #: a drive is in its FAULT state for a reason it did not name (no EMCY, or one with no
    #: more specific fault bit)
    DRIVE_FAULT = 1 << 8


class TimeBase(enum.Enum):
    """Whose clock a station's time is: it decides what a late control loop means.

    ``SIMULATED``: time advances by ``dt`` per :meth:`Station.step`, whatever the wall clock
    does; a loop that runs late (a busy host) only makes the session fall behind wall time,
    which is shown, not a fault. ``REAL``: the device moves on in wall time, so a late loop
    leaves drives on stale commands: a fault.
    """

    SIMULATED = "simulated"
    REAL = "real"


class Sample:
    """One tick of every sensor, SI units, immutable.

    ``values`` is a read-only float64 vector in ``SAMPLE_CHANNELS`` order; :attr:`floats` the
    same numbers as a list of Python floats, made once per Sample (the per-tick readers, the
    control stack and the safety supervisor, index floats: an element of a list costs a tenth
    of an element of an array).
    """

    __slots__ = ("_f", "_v")

    def __init__(self, values: FloatArray) -> None:
        if values.shape != (N_SAMPLE_CHANNELS,):
            raise ValueError(
                f"a Sample needs {N_SAMPLE_CHANNELS} values, got shape {values.shape}"
            )
        values.setflags(write=False)
        self._v = values
        self._f: list[float] | None = None

    @classmethod
    def trusted(cls, values: FloatArray, floats: list[float] | None = None) -> Sample:
        """A Sample over a vector that a station built itself in the schema (no shape check:
        this runs every tick); the vector is made read-only all the same. ``floats``: the
        vector's ``tolist()`` when the station has it already."""
        s = cls.__new__(cls)
        values.setflags(write=False)
        s._v = values
        s._f = floats
        return s

    @property
    def values(self) -> FloatArray:
        return self._v

    @property
    def floats(self) -> list[float]:
        """The values as Python floats, in ``SAMPLE_CHANNELS`` order; shared by every reader
        of this Sample, so read it, never change it."""
        f = self._f
        if f is None:
            f = self._f = self._v.tolist()
        return f

    @property
    def time(self) -> float:
        f = self._f
        return f[0] if f is not None else float(self._v[0])

    def __getitem__(self, name: str) -> float:
        return float(self._v[channel_index(name)])

    def joint_angle(self, joint: str, side: Side) -> float:
        return float(self._v[_I[f"{joint}_angle_{side}"]])

    def joint_velocity(self, joint: str, side: Side) -> float:
        return float(self._v[_I[f"{joint}_velocity_{side}"]])

    def drive_torque(self, joint: str, side: Side) -> float:
        return float(self._v[_I[f"{joint}_torque_{side}"]])

    def interaction_torque(self, cuff: str, side: Side) -> float:
        return float(self._v[_I[f"interaction_torque_{cuff}_{side}"]])

    def grf(self, side: Side) -> tuple[float, float, float]:
        i = _I[f"grf_x_{side}"]
        return float(self._v[i]), float(self._v[i + 1]), float(self._v[i + 2])

    def cop(self, side: Side) -> tuple[float, float]:
        i = _I[f"cop_x_{side}"]
        return float(self._v[i]), float(self._v[i + 1])

    @property
    def harness_force(self) -> float:
        return float(self._v[_I["harness_force"]])

    @property
    def pelvis_height(self) -> float:
        return float(self._v[_I["pelvis_height"]])

    def belt_speed(self, side: Side) -> float:
        return float(self._v[_I[f"belt_speed_{side}"]])

    def emg(self, muscle: str, side: Side) -> float:
        return float(self._v[_I[f"emg_{muscle}_{side}"]])

    @property
    def estop(self) -> bool:
        return bool(self._v[_I["estop"]] != 0.0)

    @property
    def stop_button(self) -> bool:
        return bool(self._v[_I["stop_button"]] != 0.0)

    @property
    def fault_word(self) -> FaultBit:
        v = self._v[_I["fault_word"]]
        return FaultBit(int(v)) if math.isfinite(v) else FaultBit.SENSOR

    def as_dict(self) -> dict[str, float]:
        return {n: float(x) for n, x in zip(SAMPLE_CHANNEL_NAMES, self._v, strict=True)}

    def __repr__(self) -> str:
        return f"Sample(time={self.time:.3f})"


class Command(NamedTuple):
    """What the controller asks of the drives for one tick (SI units). Immutable.

    Torques are drive output torques, flexion positive. ``harness_force`` is the unloading force
    the body-weight-support cable should hold this tick; ``belt_speed`` the speed of both belts
    (m/s). ``harness_setpoint`` is the unloading that is set (the support setting, ramped; N):
    the force loop's command swings around it as the pelvis moves, and a harness that holds
    far less than the set unloading for a while has come loose (the safety layer's slack
    check); 0 when the command comes with no set point (then the command is the reference).
    ``belt_setpoint`` is the belt speed that is set (m/s; the speed setting, also while a pause
    holds the belt at rest): ``belt_speed`` ramps toward it at a start or a resume. A twin's
    virtual patient steps for it while the belt ramps (gaitway.gait.reference); a device may
    ignore it; 0 when the command comes with none (a stop).
    A NamedTuple rather than a frozen dataclass: one is built every tick, and this is the
    cheapest immutable record Python has.
    """

    hip_torque_left: float = 0.0
    hip_torque_right: float = 0.0
    knee_torque_left: float = 0.0
    knee_torque_right: float = 0.0
    harness_force: float = 0.0
    belt_speed: float = 0.0
    harness_setpoint: float = 0.0
    belt_setpoint: float = 0.0

    def torque(self, joint: str, side: Side) -> float:
        return float(getattr(self, f"{joint}_torque_{side}"))

    def is_finite(self) -> bool:
        return all(
            math.isfinite(x)
            for x in (
                self.hip_torque_left,
                self.hip_torque_right,
                self.knee_torque_left,
                self.knee_torque_right,
                self.harness_force,
                self.belt_speed,
                self.harness_setpoint,
                self.belt_setpoint,
            )
        )


#: a Command from its eight values in field order (a tuple or a list of 8): the same record as
#: ``Command(*values)`` without the NamedTuple's ``__new__``, a Python function (~0.15 us; the
#: control stack and the safety supervisor build one every tick). Eight values, unchecked.
command_of: Final[Callable[[Sequence[float]], Command]] = cast(
    "Callable[[Sequence[float]], Command]", partial(tuple.__new__, Command))


class DisturbanceHooks(Protocol):
    """Physical events a simulated station lets a test cause, so that injected faults act on
    the station itself rather than on its readings (see gaitway.safety.disturbances). A real
    device has none: its :meth:`Station.disturbance_hooks` is None."""

    def press_estop(self) -> None:
        """The emergency stop is pressed (it stays pressed until released)."""

    def release_estop(self) -> None:
        """The operator releases the emergency stop."""

    def press_stop_button(self, for_s: float) -> None:
        """The patient presses the stop button and holds it for ``for_s`` seconds."""

    def push_patient_joint(self, joint: str, side: Side, torque_nm: float) -> None:
        """A torque on the patient's own joint against the orthosis (a spasm), flexion +,
        held until set again (0: released)."""


if tuple(f"cmd_{f}" for f in Command._fields) != tuple(
        CONTROL_CHANNEL_NAMES[CONTROL.command]) or tuple(
        f"{j}_torque_{s}" for j, s in DRIVEN_DOFS) != Command._fields[:4]:
    raise AssertionError("Command's fields must follow DRIVEN_DOFS and the cmd_* channels")


class StationError(GaitwayError):
    """A station cannot do what was asked (not started, already stopped, bad command)."""


class StationEvent(Protocol):
    """Something a station reports beside its samples: a virtual patient's stop button or pain
    report, a drive's emergency message on the bus. The session records each one."""

    @property
    def time_s(self) -> float: ...

    @property
    def kind(self) -> str: ...

    @property
    def details(self) -> str: ...

    @property
    def source(self) -> str: ...


class TruthSource(Protocol):
    """What knows the ground truth behind each sample (only a simulation does): ``truth`` is
    the truth of the latest sample in ``TRUTH_CHANNELS`` order, read once per tick."""

    @property
    def truth(self) -> FloatArray: ...


class Station(abc.ABC):
    """A treadmill gait-training station.

    Use as a context manager: ``with station:`` starts it; leaving the block, normally or by an
    exception, calls :meth:`stop`, which leaves every drive torque-free and the harness holding.

    The base keeps what every station shares: whether it runs (``_running``) and its latest
    Sample (``_last``, set by :meth:`_emit`). Optional capabilities are declared here with
    their "none" answer, so that a session asks a station, never probes it:
    :meth:`truth_source` (ground truth beside the samples) and :meth:`drain_events`.
    """

    #: True for the MuJoCo twin, so every recording and report can say "simulated".
    simulated: bool = False
    #: tick period in seconds
    dt: float = 0.001

    def __init__(self) -> None:
        self._running = False
        self._last: Sample | None = None

    @property
    def quantised_channels(self) -> frozenset[str]:
        """Channels whose readings repeat bit for bit while the quantity holds still: encoder
        counts, a recording's rounding. On these the safety supervisor does not take a repeat
        for a frozen sensor (a joint at rest would stop the session); their freshness is the
        station's to vouch for (a CAN station counts PDO arrivals and reports missing ones in
        ``fault_word``), and a quantised joint angle is still stale when it holds while its
        velocity reading says the joint moves. None by default: a live sensor is noisy."""
        return frozenset()

    def _emit(self, sample: Sample) -> Sample:
        """Keep ``sample`` as the latest and return it (a station's start and step end here)."""
        self._last = sample
        return sample

    @property
    def time_base(self) -> TimeBase:
        """Whose clock this station keeps (see :class:`TimeBase`). REAL unless a station says
        otherwise: a new driver is judged as hardware until it proves it is not."""
        return TimeBase.REAL

    @abc.abstractmethod
    def start(self) -> Sample:
        """Power up and return the first Sample."""

    @abc.abstractmethod
    def step(self, command: Command) -> Sample:
        """Apply one Command for one tick and return the next Sample."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Drives torque-free, belt stopped, harness holding. Safe to call more than once."""

    @abc.abstractmethod
    def engage_belt_brake(self) -> None:
        """Emergency brake (the immediate stop): the belt comes to standstill at the device's
        braking deceleration, faster than its normal ramp, and stays stopped until released."""

    @abc.abstractmethod
    def release_belt_brake(self) -> None:
        """Release the emergency brake (after an acknowledged stop); the belt then follows
        its command again at the normal ramp."""

    def drives_torque_off(self) -> None:
        """The immediate stop at the drives themselves, beside the zero-torque command: a
        CiA 402 drive is switched off (disable voltage, its brake holds), so no command
        can reach its motor until :meth:`drives_enable`. Nothing by default: the twin's drives
        give exactly the torque commanded."""
        return

    def drives_enable(self) -> None:
        """Enable the drives again after :meth:`drives_torque_off` (an acknowledged stop);
        raises StationError if one will not enable. Nothing by default."""
        return

    @property
    def running(self) -> bool:
        return self._running

    @property
    def last_sample(self) -> Sample:
        """The most recent Sample (from start() or step())."""
        if self._last is None:
            raise StationError(f"{type(self).__name__} has no sample yet: start it first")
        return self._last

    @property
    @abc.abstractmethod
    def body_mass_kg(self) -> float:
        """Mass of the patient on the station, for body-weight support in percent."""

    def truth_source(self) -> TruthSource | None:
        """Who knows the ground truth behind this station's samples (a simulation, a
        recording that kept it); None: no one, as on a real device."""
        return None

    def drain_events(self) -> Sequence[StationEvent]:
        """What the station reported since the last call (none by default)."""
        return ()

    def disturbance_hooks(self) -> DisturbanceHooks | None:
        """The hooks through which tests disturb this station (None: it has none, as a real
        device; injected faults then act on its readings only)."""
        return None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class StationWrapper(Station):
    """A station around another (fault injection, external inputs): it answers everything it
    does not change from the inner station. ``last_sample`` is its own once it emitted one."""

    def __init__(self, inner: Station) -> None:
        super().__init__()
        self.inner = inner
        self.simulated = inner.simulated
        self.dt = inner.dt

    def start(self) -> Sample:
        return self._emit(self.inner.start())

    def step(self, command: Command) -> Sample:
        return self._emit(self.inner.step(command))

    def stop(self) -> None:
        self.inner.stop()

    def engage_belt_brake(self) -> None:
        self.inner.engage_belt_brake()

    def release_belt_brake(self) -> None:
        self.inner.release_belt_brake()

    def drives_torque_off(self) -> None:
        self.inner.drives_torque_off()

    def drives_enable(self) -> None:
        self.inner.drives_enable()

    @property
    def running(self) -> bool:
        return self.inner.running

    @property
    def last_sample(self) -> Sample:
        return self._last if self._last is not None else self.inner.last_sample

    @property
    def body_mass_kg(self) -> float:
        return self.inner.body_mass_kg

    @property
    def time_base(self) -> TimeBase:
        return self.inner.time_base

    @property
    def quantised_channels(self) -> frozenset[str]:
        return self.inner.quantised_channels

    def truth_source(self) -> TruthSource | None:
        return self.inner.truth_source()

    def drain_events(self) -> Sequence[StationEvent]:
        return self.inner.drain_events()

    def disturbance_hooks(self) -> DisturbanceHooks | None:
        return self.inner.disturbance_hooks()
