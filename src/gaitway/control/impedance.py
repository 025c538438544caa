"""A first guidance controller: joint impedance around the reference gait.

Stiffness and damping scale with the guidance level (0-1). At 1 the drives hold the legs close to
the reference like a position controller; at 0 they apply no torque at all (the control stack
adds friction and gravity compensation for true transparency). The reference is timed from the
belt speed: the robot's phase advances at the normative stride frequency for the patient's
height, the right leg half a cycle after the left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gaitway.errors import UserError
from gaitway.gait.reference import ReferenceGait, RomSettings
from gaitway.station.interface import Command, Sample

_MIN_SPEED: Final[float] = 0.08  # m/s


@dataclass(frozen=True, slots=True)
class ImpedanceGains:
    """Joint stiffness (N*m/rad) and damping (N*m*s/rad) at 100 % guidance."""

    hip_stiffness: float = 1800.0
    hip_damping: float = 40.0
    knee_stiffness: float = 1800.0
    knee_damping: float = 35.0


class GuidanceImpedance:
    """Impedance control around a belt-timed reference; one call per tick."""

    name = "guidance"

    def __init__(self, *, height_m: float, guidance: float, gains: ImpedanceGains | None = None,
                 rom: RomSettings | None = None) -> None:
        if not 0.0 <= guidance <= 1.0:
            raise UserError(f"guidance must be within 0-100 %, got {guidance * 100:.0f} %")
        self.height_m = height_m
        self.guidance = guidance
        self.gains = gains or ImpedanceGains()
        self.rom = rom
        self.phase = 0.0
        self._speed = -1.0
        self._ref: ReferenceGait | None = None
        self.ref_angles = [0.0, 0.0, 0.0, 0.0]  # hip_l, hip_r, knee_l, knee_r

    def _retune(self, speed: float) -> None:
        self._speed = speed
        self._ref = (ReferenceGait(speed_m_s=speed, height_m=self.height_m, rom=self.rom)
                     if speed >= _MIN_SPEED else None)

    def compute(self, sample: Sample, *, dt: float, harness_force: float,
                belt_speed: float) -> Command:
        v = sample.values
        speed = float(v[46])
        if abs(speed - self._speed) > 0.03:
            self._retune(speed)
        ref = self._ref
        g = self.gains
        s = self.guidance
        if ref is None:
            hl = hr = 0.05
            kl = kr = 0.08
            dhl = dhr = dkl = dkr = 0.0
        else:
            f = 1.0 / ref.stride_time_s
            self.phase = (self.phase + dt * f) % 1.0
            hl, kl, dhl, dkl = ref.hip_knee(self.phase)
            hr, kr, dhr, dkr = ref.hip_knee(self.phase + 0.5)
            dhl *= f
            dkl *= f
            dhr *= f
            dkr *= f
        ra = self.ref_angles
        ra[0], ra[1], ra[2], ra[3] = hl, hr, kl, kr
        return Command(
            hip_torque_left=s * (g.hip_stiffness * (hl - v[1]) + g.hip_damping * (dhl - v[7])),
            hip_torque_right=s * (g.hip_stiffness * (hr - v[2]) + g.hip_damping * (dhr - v[8])),
            knee_torque_left=s * (g.knee_stiffness * (kl - v[3]) + g.knee_damping * (dkl - v[9])),
            knee_torque_right=s * (g.knee_stiffness * (kr - v[4])
                                   + g.knee_damping * (dkr - v[10])),
            harness_force=harness_force,
            belt_speed=belt_speed,
        )
