"""What a therapist sets for a session's control: one typed, validated settings object.

Kept apart from the stack so that the controller registry (which takes each controller's
settings from it) and the stack (which runs them) both build on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

from gaitway.control.aan import AanSettings
from gaitway.control.base import ExoModel, JointGains
from gaitway.control.fatigue import FatigueSettings
from gaitway.control.guidance import check_fraction
from gaitway.control.resist import (
    DEFAULT_RESIST_DAMPING,
    MAX_RESIST_DAMPING,
    MAX_RESIST_TORQUE_NM,
    check_resistance,
)
from gaitway.errors import UserError
from gaitway.gait.reference import RomSettings


@dataclass(frozen=True, slots=True)
class ControlSettings:
    """What a therapist sets for a session (SI units; fractions 0-1)."""

    #: a name in gaitway.control.registry (checked where the controller is built)
    controller: str = "guidance"
    guidance: float = 1.0
    tunnel_width_rad: float = math.radians(5.0)
    path_flow_nm: float = 0.0
    aan: AanSettings = field(default_factory=AanSettings)
    resist_damping: float = DEFAULT_RESIST_DAMPING
    resist_torque_nm: float = 0.0
    #: the extension end of the patient's hip range (rad), where resistance has eased off
    #: (the session builder passes the safety layer's PatientLimits.hip_rom.soft_lo)
    hip_extension_limit_rad: float = -0.25
    bws_fraction: float = 0.3
    speed_m_s: float = 0.56
    self_paced: bool = False
    rom: RomSettings = field(default_factory=RomSettings)
    gains: JointGains = field(default_factory=JointGains)
    #: None: the station's exoskeleton set to the patient's height
    exo: ExoModel | None = None
    belt_acceleration_m_s2: float = 0.5
    #: the belt starts at rest and ramps up (False: already at speed, e.g. a resumed session)
    belt_from_rest: bool = True
    #: respond to fatigue automatically, within these bounds
    adapt_to_fatigue: bool = True
    max_guidance: float = 1.0
    max_bws_fraction: float = 0.5
    emg_muscle: str = "vastus_lateralis"
    #: the drives' continuous torque at the joint, hip and knee (N*m): the session builder
    #: passes the safety layer's soft limits (DeviceLimits.hip/knee_torque_soft); the stack
    #: keeps every command within DRIVE_TORQUE_SHARE of it (see ControlStack.step)
    drive_torque_limit_nm: tuple[float, float] = (90.0, 70.0)
    #: the most the harness may be asked to hold, as a share of body weight (the safety
    #: layer's DeviceLimits.harness_max_fraction, passed by the builder): the force loop
    #: plans within it
    harness_max_fraction: float = 1.0
    fatigue: FatigueSettings = field(default_factory=FatigueSettings)

    def __post_init__(self) -> None:
        check_fraction("guidance", self.guidance)
        check_fraction("maximum guidance", self.max_guidance)
        if not all(math.isfinite(x) and x > 0.0 for x in self.drive_torque_limit_nm):
            raise UserError(f"drive torque limits must be positive, got "
                            f"{self.drive_torque_limit_nm}")
        if not (math.isfinite(self.harness_max_fraction) and self.harness_max_fraction > 0.0):
            raise UserError(f"harness limit must be a positive share of body weight, got "
                            f"{self.harness_max_fraction}")
        check_resistance(self.resist_damping, self.resist_torque_nm)
        for label, value, top, unit in _setting_ranges(self):
            if not (math.isfinite(value) and 0.0 <= value <= top):
                raise UserError(f"{label} must be a number within 0-{top:g} {unit}, got {value}")


#: Upper bounds of the person-set controller settings (see _setting_ranges); the session's
#: settings (gaitway.session.settings) check what a therapist gives against these same numbers.
MAX_FLOW_NM: Final = 30.0
#: the resistance's range: gaitway.control.resist (MAX_RESIST_DAMPING, MAX_RESIST_TORQUE_NM),
#: from what resistance studies in the Lokomat set
MAX_TUNNEL_WIDTH_DEG: Final = 30.0
#: the range-of-motion scale of the reference's hip and knee excursion a therapist may set
#: (gaitway validate envelope runs a session at each edge)
ROM_SCALE: Final[tuple[float, float]] = (0.5, 1.5)


def _setting_ranges(s: ControlSettings) -> tuple[tuple[str, float, float, str], ...]:
    """The controller settings a person sets, with their plausible range: within what the
    drives can give (peak 70 N*m at the knee) and never non-finite."""
    return (
        ("path flow", s.path_flow_nm, MAX_FLOW_NM, "N*m"),
        ("tunnel half-width", s.tunnel_width_rad, math.radians(MAX_TUNNEL_WIDTH_DEG), "rad"),
    )


__all__ = ["MAX_FLOW_NM", "MAX_RESIST_DAMPING", "MAX_RESIST_TORQUE_NM", "MAX_TUNNEL_WIDTH_DEG",
           "ROM_SCALE", "ControlSettings"]
