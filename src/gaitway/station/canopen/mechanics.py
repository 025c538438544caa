"""What the emulated drives move: a mechanical model of the four driven joints.

:class:`LegPendulums` is a leg hanging in an exoskeleton (inertia, damping, gravity, end
stops, a holding brake): enough for commissioning checks, directions and benchmarks.
:class:`TwinMechanics` puts the MuJoCo twin with its virtual patient behind the drives, so a
whole session with a virtual patient runs over CAN; it also stands in for the station's other
devices (harness, belt, force plates, EMG, stop buttons), which are not on the CANopen bus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from gaitway.station.channels import SAMPLE_INDEX
from gaitway.station.interface import Command, Sample
from gaitway.station.sim.patient import PatientEvent
from gaitway.station.sim.twin import SimStation

FloatArray = npt.NDArray[np.float64]
GRAVITY: Final[float] = 9.81
_I = SAMPLE_INDEX


class Mechanics(Protocol):
    """Joint states the emulated drives measure, advanced one tick at a time (Command order:
    hip_left, hip_right, knee_left, knee_right)."""

    dt: float

    def advance(self, torques_nm: list[float], brakes: list[bool]) -> None: ...

    def angle(self, k: int) -> float: ...

    def velocity(self, k: int) -> float: ...

    def temperature(self, k: int) -> float: ...


@dataclass(frozen=True, slots=True)
class PendulumSpec:
    """One joint of the leg model."""

    inertia_kgm2: float
    damping_nms_per_rad: float
    gravity_nm: float  # m*g*l of what hangs below the joint
    stop_lo_rad: float
    stop_hi_rad: float


_HIP: Final = PendulumSpec(1.4, 2.0, 9.81 * 10.0 * 0.35, -0.6, 1.0)
_KNEE: Final = PendulumSpec(0.25, 0.8, 9.81 * 4.0 * 0.25, -0.1, 1.5)
_STOP_K: Final[float] = 2000.0  # N*m/rad of an end stop
_STOP_D: Final[float] = 40.0


class LegPendulums:
    """Four joints as damped pendulums with end stops; a joint whose brake holds stands."""

    def __init__(self, dt: float = 0.001, *, angles_rad: tuple[float, ...] = (0.0,) * 4) -> None:
        self.dt = dt
        self.specs = (_HIP, _HIP, _KNEE, _KNEE)
        self.q = list(angles_rad)
        self.dq = [0.0] * 4
        self.temp = [30.0] * 4

    def advance(self, torques_nm: list[float], brakes: list[bool]) -> None:
        dt = self.dt
        for k, sp in enumerate(self.specs):
            if brakes[k]:
                self.dq[k] = 0.0
                continue
            q, dq = self.q[k], self.dq[k]
            tau = torques_nm[k] - sp.damping_nms_per_rad * dq - sp.gravity_nm * math.sin(q)
            if q < sp.stop_lo_rad:
                tau += _STOP_K * (sp.stop_lo_rad - q) - _STOP_D * dq
            elif q > sp.stop_hi_rad:
                tau += _STOP_K * (sp.stop_hi_rad - q) - _STOP_D * dq
            dq += dt * tau / sp.inertia_kgm2
            self.dq[k] = dq
            self.q[k] = q + dt * dq

    def angle(self, k: int) -> float:
        return self.q[k]

    def velocity(self, k: int) -> float:
        return self.dq[k]

    def temperature(self, k: int) -> float:
        return self.temp[k]


class TwinMechanics:
    """The MuJoCo twin behind the drives: the drives' torques (received over CAN) and the
    harness and belt commands (the station's other devices) drive one twin tick per SYNC.

    Brakes: the twin's orthosis has none, so a brake that holds only takes the drive's torque
    away (the twin's joints stay free): a limitation of this emulation, said in the docs.
    """

    simulated = True
    #: the twin's sensors are noisy: none of its channels repeats at rest
    quantised_channels: frozenset[str] = frozenset()

    def __init__(self, twin: SimStation) -> None:
        """Powers the twin up: the drives report its joints from their first SYNC on."""
        self.twin = twin
        self.dt = twin.dt
        self.peripheral = Command()
        self._sample: Sample = twin.start()
        self._ia = [_I[f"{j}_angle_{s}"] for j in ("hip", "knee") for s in ("left", "right")]
        self._iv = [_I[f"{j}_velocity_{s}"] for j in ("hip", "knee") for s in ("left", "right")]
        self._it = [_I[f"{j}_drive_temperature_{s}"]
                    for j in ("hip", "knee") for s in ("left", "right")]

    def start(self) -> Sample:
        return self._sample

    @property
    def sample(self) -> Sample:
        return self._sample

    def advance(self, torques_nm: list[float], brakes: list[bool]) -> None:
        if not self.twin.running:
            return
        p = self.peripheral
        cmd = Command(torques_nm[0], torques_nm[1], torques_nm[2], torques_nm[3],
                      p.harness_force, p.belt_speed)
        self._sample = self.twin.step(cmd)

    def angle(self, k: int) -> float:
        return float(self.sample.values[self._ia[k]])

    def velocity(self, k: int) -> float:
        return float(self.sample.values[self._iv[k]])

    def temperature(self, k: int) -> float:
        return float(self.sample.values[self._it[k]])

    # -- the station's other devices (not on the CANopen bus) --------------------------------
    def command(self, harness_force: float, belt_speed: float) -> None:
        self.peripheral = Command(harness_force=harness_force, belt_speed=belt_speed)

    def engage_belt_brake(self) -> None:
        self.twin.engage_belt_brake()

    def release_belt_brake(self) -> None:
        self.twin.release_belt_brake()

    def stop(self) -> None:
        self.twin.stop()

    @property
    def body_mass_kg(self) -> float:
        return self.twin.body_mass_kg

    def truth_source(self) -> SimStation:
        return self.twin

    def drain_events(self) -> list[PatientEvent]:
        return self.twin.drain_events()
