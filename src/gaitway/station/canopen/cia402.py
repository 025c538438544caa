"""The CiA 402 drive profile: the power state machine, its control words, and EMCY meanings.

Shared by the station (the master) and the emulated drives, so both read the statusword the
same way. Names and bit patterns follow CiA 402-2 (drive profile, power drive system state
machine); the error codes follow CiA 301 / CiA 402 (emergency error codes).
"""

from __future__ import annotations

import enum
from typing import Final

from gaitway.station.interface import FaultBit

#: object indices this package reads and writes (CiA 301 communication, CiA 402 drive)
DEVICE_TYPE: Final[int] = 0x1000
ERROR_REGISTER: Final[int] = 0x1001
SYNC_COB_ID: Final[int] = 0x1005
COMM_CYCLE_PERIOD: Final[int] = 0x1006
EMCY_COB_ID: Final[int] = 0x1014
CONSUMER_HEARTBEAT: Final[int] = 0x1016
PRODUCER_HEARTBEAT: Final[int] = 0x1017
IDENTITY: Final[int] = 0x1018
RPDO_COMM: Final[int] = 0x1400
RPDO_MAP: Final[int] = 0x1600
TPDO_COMM: Final[int] = 0x1800
TPDO_MAP: Final[int] = 0x1A00
ERROR_CODE: Final[int] = 0x603F
CONTROLWORD: Final[int] = 0x6040
STATUSWORD: Final[int] = 0x6041
QUICK_STOP_OPTION: Final[int] = 0x605A
MODES_OF_OPERATION: Final[int] = 0x6060
MODES_DISPLAY: Final[int] = 0x6061
POSITION_ACTUAL: Final[int] = 0x6064
VELOCITY_ACTUAL: Final[int] = 0x606C
TARGET_TORQUE: Final[int] = 0x6071
MAX_TORQUE: Final[int] = 0x6072
RATED_CURRENT: Final[int] = 0x6075
RATED_TORQUE: Final[int] = 0x6076
TORQUE_ACTUAL: Final[int] = 0x6077
CURRENT_ACTUAL: Final[int] = 0x6078
TORQUE_SLOPE: Final[int] = 0x6087
ENCODER_RESOLUTION: Final[int] = 0x608F
DIGITAL_INPUTS: Final[int] = 0x60FD
SUPPORTED_MODES: Final[int] = 0x6502
#: manufacturer-specific: winding temperature, 0.1 degC (the emulated drive and the example)
WINDING_TEMPERATURE: Final[int] = 0x2200

#: 1000h of a CiA 402 servo drive: device profile 402 (0x0192), type servo drive (0x0002)
DEVICE_TYPE_SERVO: Final[int] = 0x00020192
#: 6060h: cyclic synchronous torque mode
MODE_CST: Final[int] = 10
#: 6502h bit for cyclic synchronous torque mode
SUPPORTS_CST: Final[int] = 1 << 9
#: 605Ah = 2: slow down on the quick stop ramp, then switch on disabled
QUICK_STOP_RAMP_THEN_DISABLE: Final[int] = 2


class Controlword(enum.IntEnum):
    """The commands of the power state machine (6040h)."""

    DISABLE_VOLTAGE = 0x00  # torque off at once (any state -> switch on disabled)
    QUICK_STOP = 0x02  # operation enabled -> quick stop active (ramp down per 605Ah)
    SHUTDOWN = 0x06  # -> ready to switch on
    SWITCH_ON = 0x07  # -> switched on
    ENABLE_OPERATION = 0x0F  # -> operation enabled (torque follows the target)
    FAULT_RESET = 0x80  # rising edge: fault -> switch on disabled


class DriveState(enum.Enum):
    """The power drive system states, decoded from the statusword."""

    NOT_READY_TO_SWITCH_ON = "not_ready_to_switch_on"
    SWITCH_ON_DISABLED = "switch_on_disabled"
    READY_TO_SWITCH_ON = "ready_to_switch_on"
    SWITCHED_ON = "switched_on"
    OPERATION_ENABLED = "operation_enabled"
    QUICK_STOP_ACTIVE = "quick_stop_active"
    FAULT_REACTION_ACTIVE = "fault_reaction_active"
    FAULT = "fault"

    @property
    def torque_on(self) -> bool:
        """Whether the drive may produce torque in this state."""
        return self in _TORQUE_ON


_TORQUE_ON: Final = frozenset({DriveState.OPERATION_ENABLED, DriveState.QUICK_STOP_ACTIVE,
                               DriveState.FAULT_REACTION_ACTIVE})

# (mask, value) per state, CiA 402-2 table "state coding": bits 0-3, 5 and 6
_DECODE: Final[tuple[tuple[int, int, DriveState], ...]] = (
    (0x4F, 0x00, DriveState.NOT_READY_TO_SWITCH_ON),
    (0x4F, 0x40, DriveState.SWITCH_ON_DISABLED),
    (0x6F, 0x21, DriveState.READY_TO_SWITCH_ON),
    (0x6F, 0x23, DriveState.SWITCHED_ON),
    (0x6F, 0x27, DriveState.OPERATION_ENABLED),
    (0x6F, 0x07, DriveState.QUICK_STOP_ACTIVE),
    (0x4F, 0x0F, DriveState.FAULT_REACTION_ACTIVE),
    (0x4F, 0x08, DriveState.FAULT),
)
#: the statusword bits a drive in each state reports (the emulated drive's encoder)
STATE_BITS: Final[dict[DriveState, int]] = {s: v for _, v, s in _DECODE}
#: statusword bit 4: voltage enabled; bit 7: warning; bit 9: remote (controlled over the bus)
SW_VOLTAGE_ENABLED: Final[int] = 1 << 4
SW_WARNING: Final[int] = 1 << 7
SW_REMOTE: Final[int] = 1 << 9
SW_TARGET_REACHED: Final[int] = 1 << 10


def decode_statusword(word: int) -> DriveState:
    """The named state a statusword reports."""
    for mask, value, state in _DECODE:
        if word & mask == value:
            return state
    return DriveState.NOT_READY_TO_SWITCH_ON


#: the next controlword on the way to operation enabled, from each state
ENABLE_PATH: Final[dict[DriveState, Controlword]] = {
    DriveState.SWITCH_ON_DISABLED: Controlword.SHUTDOWN,
    DriveState.READY_TO_SWITCH_ON: Controlword.SWITCH_ON,
    DriveState.SWITCHED_ON: Controlword.ENABLE_OPERATION,
    DriveState.FAULT: Controlword.FAULT_RESET,
}

#: device-specific EMCY code of the emulated drive (and the example) for STO while enabled
STO_EMCY_CODE: Final[int] = 0xFF01

# Error codes (CiA 301 table 21, CiA 402-2 annex): exact codes first, then code ranges.
_EMCY_EXACT: Final[dict[int, tuple[str, FaultBit]]] = {
    0x0000: ("error reset or no error", FaultBit.NONE),
    0x1000: ("generic error", FaultBit.DRIVE_FAULT),
    0x2310: ("continuous over-current", FaultBit.DRIVE_OVERCURRENT),
    0x2320: ("short circuit or earth leakage", FaultBit.DRIVE_OVERCURRENT),
    0x3210: ("DC link over-voltage", FaultBit.DRIVE_FAULT),
    0x3220: ("DC link under-voltage", FaultBit.DRIVE_FAULT),
    0x4210: ("excess temperature of the device", FaultBit.DRIVE_OVERTEMPERATURE),
    0x4310: ("excess temperature of the drive (motor winding)", FaultBit.DRIVE_OVERTEMPERATURE),
    0x6010: ("software reset (watchdog)", FaultBit.DRIVE_FAULT),
    0x7121: ("motor blocked", FaultBit.DRIVE_FAULT),
    0x7305: ("incremental sensor 1 fault (encoder)", FaultBit.ENCODER_MISMATCH),
    0x8110: ("CAN overrun (objects lost)", FaultBit.COMMUNICATION),
    0x8120: ("CAN in error passive mode", FaultBit.COMMUNICATION),
    0x8130: ("life guard or heartbeat error", FaultBit.COMMUNICATION),
    0x8140: ("recovered from bus off", FaultBit.COMMUNICATION),
    0x8250: ("RPDO timeout (SYNC or target lost)", FaultBit.COMMUNICATION),
    0x8611: ("following error", FaultBit.DRIVE_FAULT),
    STO_EMCY_CODE: ("safe torque off input active while enabled (device specific)",
                    FaultBit.SAFE_TORQUE_OFF),
}
_EMCY_RANGES: Final[tuple[tuple[int, str, FaultBit], ...]] = (
    (0x2000, "current", FaultBit.DRIVE_OVERCURRENT),
    (0x3000, "voltage", FaultBit.DRIVE_FAULT),
    (0x4000, "temperature", FaultBit.DRIVE_OVERTEMPERATURE),
    (0x5000, "device hardware", FaultBit.DRIVE_FAULT),
    (0x6000, "device software", FaultBit.DRIVE_FAULT),
    (0x7000, "additional modules (sensors)", FaultBit.ENCODER_MISMATCH),
    (0x8000, "monitoring (communication)", FaultBit.COMMUNICATION),
    (0x9000, "external error", FaultBit.DRIVE_FAULT),
    (0xF000, "additional functions", FaultBit.DRIVE_FAULT),
    (0xFF00, "device specific", FaultBit.DRIVE_FAULT),
)


def emcy_meaning(code: int) -> tuple[str, FaultBit]:
    """What an EMCY error code means, and the fault bit the supervisor answers it by.

    Current errors are ``drive_overcurrent``, temperature ``drive_overtemperature``, sensor
    ``encoder_mismatch``, monitoring ``communication_loss``, the STO code
    ``safe_torque_off``; every other (voltage, hardware, software, following error, codes
    without a meaning) takes the drive's own torque away too, and is ``drive_fault``, which
    the supervisor ends without resuming (have the drive checked). The recorded event keeps
    the code and its meaning.
    """
    if code in _EMCY_EXACT:
        return _EMCY_EXACT[code]
    for start, name, bit in reversed(_EMCY_RANGES):
        if code >= start:
            return f"{name} error 0x{code:04X}", bit
    return f"error 0x{code:04X}", FaultBit.DRIVE_FAULT
