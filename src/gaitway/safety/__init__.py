"""The safety layer: limits as data, fault detection, graded stops, fault injection, hazards.

The supervisor sits between every controller and the drives and has the last word: the
controller proposes a Command, :class:`SafetySupervisor` passes, limits or replaces it.
"""

from gaitway.safety.faults import FAULTS, FaultKind, FaultRecord, FaultSpec, Reaction
from gaitway.safety.inject import FaultInjector, Injection, parse_injection
from gaitway.safety.limits import DeviceLimits, PatientLimits, RangeLimit, SafetyLimits
from gaitway.safety.supervisor import SafetySupervisor, SupervisorState

__all__ = [
    "FAULTS",
    "DeviceLimits",
    "FaultInjector",
    "FaultKind",
    "FaultRecord",
    "FaultSpec",
    "Injection",
    "PatientLimits",
    "RangeLimit",
    "Reaction",
    "SafetyLimits",
    "SafetySupervisor",
    "SupervisorState",
    "parse_injection",
]
