"""The ``.gwrec`` file format: a framed block log that survives ``kill -9``.

Why not HDF5 or Arrow IPC: neither can be read back after the writer dies mid-write. Here every
block is self-describing and checksummed, and a block only counts once all its bytes are on
disk, so a cut-off file is readable up to its last whole block.

Layout (all integers little-endian)::

    file header, 16 bytes:
        8s  magic  b"GWREC\\r\\n\\x1a"   (catches text-mode mangling and non-recordings)
        u16 format version (1)
        u16 reserved (0)
        u32 CRC32 of the 12 bytes before it
    then blocks, each a 36-byte block header and a payload:
        u8  kind       1 META, 2 SAMPLES, 3 EVENTS, 4 FOOTER
        u8  flags      reserved (0)
        u16 reserved   (0)
        u32 length     payload bytes
        u32 count      SAMPLES: rows; EVENTS: events; otherwise 0
        f64 t_first    SAMPLES/EVENTS: first time (s); otherwise 0
        f64 t_last     SAMPLES/EVENTS: last time (s); otherwise 0
        u32 payload CRC32
        u32 header CRC32 of the 32 bytes before it
        payload

Block kinds and payloads:

- META, always the first block: UTF-8 JSON ``{"format": "gaitway-recording", "channels":
  [{name, unit, resolution, description}...], "truth_channels": [...], "dt": s,
  "block_seconds": s, "metadata": {...}}``.
- SAMPLES: one block of rows (at most ``block_seconds`` of session time), measured channels
  then truth channels as columns, encoded by :mod:`gaitway.recording.codec`.
- EVENTS: UTF-8 JSON list of ``[time_s, kind, source, details]``, written just before the
  SAMPLES block during which they were raised.
- FOOTER, written by a clean close and only then: UTF-8 JSON ``{"final": {...},
  "n_samples": int, "n_events": int}``. Its presence marks the recording complete.

A reader walks the block headers (seeking past sample payloads) to index the file. An incomplete
last block (short header, or a payload running past the end of the file) or a tail of zero bytes
(what a power loss can leave) means the recording was cut off: everything before it is read. A
bad checksum elsewhere is damage: everything before the damaged block is read and the loss is
reported (block, byte, time span, samples); bytes after the footer are ignored. See
:mod:`gaitway.recording.reader`.
"""

from __future__ import annotations

import enum
import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from gaitway.recording.errors import RecordingError

RECORDING_FILENAME: Final = "recording.gwrec"
MAGIC: Final = b"GWREC\r\n\x1a"
VERSION: Final = 1
FORMAT_NAME: Final = "gaitway-recording"

FILE_HEADER: Final = struct.Struct("<8sHHI")
BLOCK_HEADER: Final = struct.Struct("<BBHIIddII")


class BlockKind(enum.IntEnum):
    META = 1
    SAMPLES = 2
    EVENTS = 3
    FOOTER = 4


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """One block's header as read from disk."""

    kind: int
    length: int
    count: int
    t_first: float
    t_last: float
    payload_crc: int


def pack_file_header() -> bytes:
    head = FILE_HEADER.pack(MAGIC, VERSION, 0, 0)[:12]
    return head + struct.pack("<I", zlib.crc32(head))


def check_file_header(raw: bytes, path: Path) -> None:
    """Raise a clear error unless ``raw`` is a whole, valid file header of a known version."""
    what_to_do = "check that the path names a Gaitway recording (recording.gwrec)"
    if not raw:
        raise RecordingError(f"{path} is empty: the session wrote nothing; {what_to_do}")
    if not MAGIC.startswith(raw[: len(MAGIC)]):
        raise RecordingError(f"{path} is not a Gaitway recording (wrong magic); {what_to_do}")
    if len(raw) < FILE_HEADER.size:
        raise RecordingError(
            f"{path} is truncated inside its file header ({len(raw)} of {FILE_HEADER.size} "
            "bytes): it holds no readable data"
        )
    _magic, version, _reserved, crc = FILE_HEADER.unpack(raw[: FILE_HEADER.size])
    if crc != zlib.crc32(raw[:12]):
        raise RecordingError(f"{path}: the file header is damaged (checksum mismatch)")
    if version != VERSION:
        raise RecordingError(
            f"{path} has recording format version {version}; this Gaitway reads version "
            f"{VERSION}: update Gaitway to read it"
        )


def pack_block(
    kind: BlockKind,
    payload: bytes,
    *,
    count: int = 0,
    t_first: float = 0.0,
    t_last: float = 0.0,
) -> bytes:
    head = BLOCK_HEADER.pack(
        int(kind), 0, 0, len(payload), count, t_first, t_last, zlib.crc32(payload), 0
    )[:-4]
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def unpack_block_header(raw: bytes) -> BlockHeader | None:
    """The header in ``raw`` (exactly BLOCK_HEADER.size bytes), or None if its CRC is wrong."""
    kind, _flags, _res, length, count, t0, t1, pcrc, hcrc = BLOCK_HEADER.unpack(raw)
    if hcrc != zlib.crc32(raw[:-4]) or kind not in BlockKind._value2member_map_:
        return None
    return BlockHeader(kind, length, count, t0, t1, pcrc)


def _jsonable(value: Any) -> Any:
    """Turn the numpy scalars, arrays and paths a session naturally has into JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def dump_json(value: Any, what: str) -> bytes:
    """JSON bytes of ``value``; a clear RecordingError if it holds something JSON cannot."""
    try:
        return json.dumps(value, default=_jsonable, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise RecordingError(f"{what} must be JSON-serialisable: {exc}") from None


def load_json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise RecordingError(f"{what} is not valid JSON ({exc})") from None
