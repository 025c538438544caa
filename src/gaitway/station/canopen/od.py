"""The object dictionary of a CiA 402 torque drive, as the station needs it.

Built in code when the device config names no EDS file: the emulated drives serve it, and
the station reads and writes a real drive through it. It holds what the station uses and no
more (communication objects of CiA 301, the CiA 402 objects of cyclic synchronous torque
mode, and two manufacturer-specific objects: the winding temperature at 2200h and the meaning
of the digital-input bits at 60FDh, given in the device config).
"""

from __future__ import annotations

from typing import Final

from canopen.objectdictionary import ObjectDictionary, ODArray, ODRecord, ODVariable
from canopen.objectdictionary.datatypes import (
    INTEGER8,
    INTEGER16,
    INTEGER32,
    UNSIGNED8,
    UNSIGNED16,
    UNSIGNED32,
)

from gaitway.station.canopen import cia402 as c

#: PDOs the station maps: RPDO1 target, TPDO1 state and position, TPDO2 velocity and inputs,
#: TPDO3 slow values (transmitted every TPDO3_EVERY_SYNCS SYNCs: temperatures change slowly)
N_PDOS: Final[int] = 4
TPDO3_EVERY_SYNCS: Final[int] = 100


def _var(name: str, index: int, sub: int, dtype: int, *, access: str = "rw",
         default: int | None = 0, mappable: bool = False) -> ODVariable:
    v = ODVariable(name, index, sub)
    v.data_type = dtype
    v.access_type = access
    v.default = default
    v.pdo_mappable = mappable
    return v


def _add(od: ObjectDictionary, name: str, index: int, dtype: int, *, access: str = "rw",
         default: int | None = 0, mappable: bool = False) -> None:
    od.add_object(_var(name, index, 0, dtype, access=access, default=default,
                       mappable=mappable))


def _pdo_objects(od: ObjectDictionary, kind: str, comm: int, mapping: int, n: int,
                 node_id: int) -> None:
    base_cob = {"RPDO": (0x200, 0x300, 0x400, 0x500), "TPDO": (0x180, 0x280, 0x380, 0x480)}
    for k in range(n):
        rec = ODRecord(f"{kind} {k + 1} communication parameter", comm + k)
        rec.add_member(_var("Highest sub-index supported", comm + k, 0, UNSIGNED8,
                            access="const", default=5))
        rec.add_member(_var(f"COB-ID used by {kind} {k + 1}", comm + k, 1, UNSIGNED32,
                            default=base_cob[kind][k] + node_id))
        rec.add_member(_var("Transmission type", comm + k, 2, UNSIGNED8, default=0xFF))
        rec.add_member(_var("Inhibit time", comm + k, 3, UNSIGNED16, default=0))
        rec.add_member(_var("Event timer", comm + k, 5, UNSIGNED16, default=0))
        od.add_object(rec)
        mrec = ODRecord(f"{kind} {k + 1} mapping parameter", mapping + k)
        mrec.add_member(_var("Number of mapped objects", mapping + k, 0, UNSIGNED8, default=0))
        for s in range(1, 9):
            mrec.add_member(_var(f"Mapped object {s}", mapping + k, s, UNSIGNED32, default=0))
        od.add_object(mrec)


def cia402_dictionary(node_id: int, *, rated_torque_mnm: int = 1000,
                      rated_current_ma: int = 10000, encoder_increments: int = 16384
                      ) -> ObjectDictionary:
    """The dictionary of one torque drive at ``node_id``; the defaults are its factory values
    (the station writes its own values at start-up)."""
    od = ObjectDictionary()  # type: ignore[no-untyped-call]
    od.node_id = node_id
    _add(od, "Device type", c.DEVICE_TYPE, UNSIGNED32, access="ro", default=c.DEVICE_TYPE_SERVO)
    _add(od, "Error register", c.ERROR_REGISTER, UNSIGNED8, access="ro")
    _add(od, "COB-ID SYNC", c.SYNC_COB_ID, UNSIGNED32, default=0x80)
    _add(od, "Communication cycle period", c.COMM_CYCLE_PERIOD, UNSIGNED32)
    _add(od, "COB-ID EMCY", c.EMCY_COB_ID, UNSIGNED32, default=0x80 + node_id)
    hb = ODArray("Consumer heartbeat time", c.CONSUMER_HEARTBEAT)
    hb.add_member(_var("Number of entries", c.CONSUMER_HEARTBEAT, 0, UNSIGNED8, access="ro",
                       default=1))
    hb.add_member(_var("Consumer heartbeat time 1", c.CONSUMER_HEARTBEAT, 1, UNSIGNED32))
    od.add_object(hb)
    _add(od, "Producer heartbeat time", c.PRODUCER_HEARTBEAT, UNSIGNED16)
    ident = ODRecord("Identity object", c.IDENTITY)
    ident.add_member(_var("Number of entries", c.IDENTITY, 0, UNSIGNED8, access="const",
                          default=2))
    ident.add_member(_var("Vendor-ID", c.IDENTITY, 1, UNSIGNED32, access="ro", default=0))
    ident.add_member(_var("Product code", c.IDENTITY, 2, UNSIGNED32, access="ro", default=0))
    od.add_object(ident)
    _pdo_objects(od, "RPDO", c.RPDO_COMM, c.RPDO_MAP, N_PDOS, node_id)
    _pdo_objects(od, "TPDO", c.TPDO_COMM, c.TPDO_MAP, N_PDOS, node_id)
    _add(od, "Winding temperature", c.WINDING_TEMPERATURE, INTEGER16, access="ro",
         mappable=True)
    _add(od, "Error code", c.ERROR_CODE, UNSIGNED16, access="ro", mappable=True)
    _add(od, "Controlword", c.CONTROLWORD, UNSIGNED16, mappable=True)
    _add(od, "Statusword", c.STATUSWORD, UNSIGNED16, access="ro", mappable=True)
    _add(od, "Quick stop option code", c.QUICK_STOP_OPTION, INTEGER16,
         default=c.QUICK_STOP_RAMP_THEN_DISABLE)
    _add(od, "Modes of operation", c.MODES_OF_OPERATION, INTEGER8, mappable=True)
    _add(od, "Modes of operation display", c.MODES_DISPLAY, INTEGER8, access="ro",
         mappable=True)
    _add(od, "Position actual value", c.POSITION_ACTUAL, INTEGER32, access="ro", mappable=True)
    _add(od, "Velocity actual value", c.VELOCITY_ACTUAL, INTEGER32, access="ro", mappable=True)
    _add(od, "Target torque", c.TARGET_TORQUE, INTEGER16, mappable=True)
    _add(od, "Max torque", c.MAX_TORQUE, UNSIGNED16, default=1000)
    _add(od, "Motor rated current", c.RATED_CURRENT, UNSIGNED32, default=rated_current_ma)
    _add(od, "Motor rated torque", c.RATED_TORQUE, UNSIGNED32, default=rated_torque_mnm)
    _add(od, "Torque actual value", c.TORQUE_ACTUAL, INTEGER16, access="ro", mappable=True)
    _add(od, "Current actual value", c.CURRENT_ACTUAL, INTEGER16, access="ro", mappable=True)
    _add(od, "Torque slope", c.TORQUE_SLOPE, UNSIGNED32, default=0)
    enc = ODRecord("Position encoder resolution", c.ENCODER_RESOLUTION)
    enc.add_member(_var("Highest sub-index supported", c.ENCODER_RESOLUTION, 0, UNSIGNED8,
                        access="const", default=2))
    enc.add_member(_var("Encoder increments", c.ENCODER_RESOLUTION, 1, UNSIGNED32,
                        default=encoder_increments))
    enc.add_member(_var("Motor revolutions", c.ENCODER_RESOLUTION, 2, UNSIGNED32, default=1))
    od.add_object(enc)
    _add(od, "Digital inputs", c.DIGITAL_INPUTS, UNSIGNED32, access="ro", mappable=True)
    _add(od, "Supported drive modes", c.SUPPORTED_MODES, UNSIGNED32, access="ro",
         default=c.SUPPORTS_CST)
    return od


def mapping_entry(index: int, sub: int, bits: int) -> int:
    """A PDO mapping entry (1600h.. / 1A00h.. sub 1-8): index, sub-index, length in bits."""
    return (index << 16) | (sub << 8) | bits


#: what the station maps, in order: (object, bits) per PDO
RPDO1: Final[tuple[tuple[int, int], ...]] = ((c.CONTROLWORD, 16), (c.TARGET_TORQUE, 16))
TPDO1: Final[tuple[tuple[int, int], ...]] = ((c.STATUSWORD, 16), (c.TORQUE_ACTUAL, 16),
                                             (c.POSITION_ACTUAL, 32))
TPDO2: Final[tuple[tuple[int, int], ...]] = ((c.VELOCITY_ACTUAL, 32), (c.DIGITAL_INPUTS, 32))
TPDO3: Final[tuple[tuple[int, int], ...]] = ((c.WINDING_TEMPERATURE, 16),
                                             (c.CURRENT_ACTUAL, 16))
