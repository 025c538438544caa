"""Compress one block of samples: quantise, delta encode, zigzag, byte-shuffle, zstd.

Why each step: a channel's resolution (ChannelSpec.resolution) says how finely it is worth
keeping, so quantising to it turns floats into integers without losing anything that matters;
smooth signals at 1 kHz change little from tick to tick, so differences along time (order 0 to 3,
chosen per channel and block by an estimate of the bits they need; 0 for noise such as EMG) are
small; zigzag maps small negative numbers to small positive ones, so high bytes are zero; the
byte shuffle puts equal-significance bytes together, and each byte plane gets its own zstd frame
so that random low bytes (noise) do not spoil the entropy coding of the structured higher ones.

Values that cannot be quantised (NaN, +inf, -inf, or more than 2**53 steps) are kept exactly as
"exceptions": their position and raw float64 bits, with a 0 in their place in the integer grid.

Payload layout (little-endian)::

    u32[9] frame lengths     frame 0: the head; frames 1-8: byte planes 0 (lowest) to 7;
                             length 0 means "all zero bytes" and no frame is stored
    frame 0 (zstd): u32 n_rows, u32 n_cols, u32 n_exceptions,
                    u8[n_cols] delta order per column,
                    u32[n_exceptions] flat positions (column * n_rows + row, ascending),
                    f64[n_exceptions] the raw values at those positions
    frames 1-8 (zstd): u8[n_cols, n_rows], byte k of each zigzagged integer (column, row)

Decoding reconstructs only the columns asked for, so reading a few channels of a long
recording costs the decompression of one block at a time and integer work for those channels.
That integer work runs in a compiled kernel where the package build could compile it
(:mod:`gaitway.recording.native`, one pass per column), else in numpy (the same values, bit
for bit).
"""

from __future__ import annotations

import math
import struct
import threading
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import zstandard

from gaitway.recording.errors import RecordingError
from gaitway.recording.native import decoder

FloatArray = npt.NDArray[np.float64]
#: What decoding returns: float64, or float32 when the caller's output is float32.
Decoded = npt.NDArray[np.float64] | npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

_HEAD: Final = struct.Struct("<III")
_FRAMES: Final = struct.Struct("<9I")
_MAX_STEPS: Final = float(2**53)
#: zstd level: on the twin's byte planes 1 is both faster and smaller than 3 (measured on a
#: session's blocks: 56.9 vs 57.7 MB per 30 min; 0.8 vs 0.9-1.3 ms a block), as the delta and
#: byte-plane steps have already done the modelling that higher levels search for.
DEFAULT_LEVEL: Final = 1
MAX_DELTA_ORDER: Final = 3


def quantise(values: FloatArray, resolution: FloatArray) -> FloatArray:
    """What a recording returns for ``values``: each finite value rounded to its resolution.

    Values that are not finite or too large to quantise come back unchanged (bit for bit);
    a negative zero (or anything rounding to it) comes back as 0.0.
    """
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        scaled = values / resolution
        keep = np.abs(scaled) <= _MAX_STEPS
        out = np.rint(scaled) * resolution + 0.0
    return np.where(keep, out, values)


def _delta(q: IntArray) -> IntArray:
    """First difference along the last axis, the first element kept (inverse of cumsum)."""
    d = np.empty_like(q)
    d[..., :1] = q[..., :1]
    np.subtract(q[..., 1:], q[..., :-1], out=d[..., 1:])
    return d


def _choose_orders(q: IntArray) -> npt.NDArray[np.uint8]:
    """The delta order per channel (row of ``q``) whose values need the fewest bits by
    :func:`_bits_of` (the lowest order on a tie). Differences of every order are taken only at
    the sampled positions (every 4th from index 3) from the values just before them: the same
    numbers as differencing whole rows, for a quarter of the work."""
    n = q.shape[-1]
    if n <= MAX_DELTA_ORDER:
        return np.zeros(q.shape[0], dtype=np.uint8)
    # x[j]: the values j ticks before each sampled position (all of equal length)
    x = [q[..., MAX_DELTA_ORDER - j : n - j : 4] for j in range(MAX_DELTA_ORDER + 1)]
    least = _bits_of(x[0])
    orders = np.zeros(q.shape[0], dtype=np.uint8)
    for order in range(1, MAX_DELTA_ORDER + 1):  # k-th difference: sum (-1)^j C(k, j) x[j]
        d = x[0].copy()
        for j in range(1, order + 1):
            d += (-1) ** j * math.comb(order, j) * x[j]
        bits = _bits_of(d)
        better = bits < least
        orders[better] = order
        np.minimum(least, bits, out=least)
    return orders


def _bits_of(sampled: IntArray) -> FloatArray:
    """Rough bits each channel needs (sums over the last axis): enough to choose an order."""
    bits: FloatArray = np.log2(1.0 + np.abs(sampled.astype(np.float64))).sum(axis=-1)
    return bits


def encode_block(
    block: FloatArray,
    resolution: FloatArray,
    *,
    level: int = DEFAULT_LEVEL,
    compressor: zstandard.ZstdCompressor | None = None,
) -> bytes:
    """Encode ``block`` (rows = ticks, columns = channels) into one payload.

    Few, in-place array passes: a headless session encodes on its loop's thread, where every
    temporary megabyte costs cache misses and page faults (see gaitway.recording.writer).
    A caller that encodes many blocks passes its own ``compressor`` (made with ``level``; one
    thread at a time) so that zstd's working memory is not made anew for every block."""
    n_rows, n_cols = block.shape
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        scaled = block.T / resolution[:, None]  # (columns, rows): each channel contiguous
        # max() carries a NaN through, so one pass tells whether any value is an exception
        largest = np.max(np.abs(scaled)) if scaled.size else 0.0
        bad = ~(np.abs(scaled) <= _MAX_STEPS) if not largest <= _MAX_STEPS else None
    if bad is None:
        positions = np.empty(0, dtype="<u4")
        exceptions = np.empty(0, dtype="<f8")
    else:
        positions = np.flatnonzero(bad).astype("<u4")
        exceptions = block.T[bad].astype("<f8")  # (column, row) order: matches positions
        scaled[bad] = 0.0
    q = np.rint(scaled, out=scaled).astype(np.int64, order="C")  # rows of one channel

    orders = _choose_orders(q)
    best = q.copy()
    for order in range(1, MAX_DELTA_ORDER + 1):  # delta k times where order >= k
        cols = np.flatnonzero(orders >= order)
        if cols.size == n_cols:
            best = _delta(best)
        elif cols.size:
            best[cols] = _delta(best[cols])
    zig = np.left_shift(best, 1, out=q)  # q is no longer needed
    zig ^= np.right_shift(best, 63, out=best)
    planes = np.ascontiguousarray(
        zig.view(np.uint64).view(np.uint8).reshape(n_cols, n_rows, 8).transpose(2, 0, 1)
    )

    if compressor is None:
        compressor = zstandard.ZstdCompressor(level=level)
    head = b"".join(
        (
            _HEAD.pack(n_rows, n_cols, positions.size),
            orders.tobytes(),
            positions.tobytes(),
            exceptions.tobytes(),
        )
    )
    frames = [compressor.compress(head)]
    for plane in planes:
        frames.append(compressor.compress(plane) if plane.any() else b"")
    return _FRAMES.pack(*(len(f) for f in frames)) + b"".join(frames)


#: Each decoding thread keeps one decompressor (making one per block cost ~5 % of a read).
_LOCAL = threading.local()
#: The narrowest unsigned width (bytes) holding a block's zigzagged integers, by the number
#: of byte planes up to its highest stored one: fewer planes to assemble and narrower
#: integer work (a twin block needs 4 of 8).
_WIDTH: Final = (1, 1, 2, 4, 4, 8, 8, 8, 8)
_UNSIGNED: Final = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
_SIGNED: Final = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}


def _decompressor() -> zstandard.ZstdDecompressor:
    d: zstandard.ZstdDecompressor | None = getattr(_LOCAL, "decompressor", None)
    if d is None:
        d = _LOCAL.decompressor = zstandard.ZstdDecompressor()
    return d


def _unframe(payload: bytes) -> tuple[bytes, list[bytes | None]]:
    if len(payload) < _FRAMES.size:
        raise RecordingError("sample payload is shorter than its frame table")
    lengths = _FRAMES.unpack_from(payload)
    if _FRAMES.size + sum(lengths) != len(payload):
        raise RecordingError(
            f"sample payload has {len(payload)} bytes but its frame table adds up to "
            f"{_FRAMES.size + sum(lengths)}"
        )
    decompressor = _decompressor()
    view = memoryview(payload)  # frames sliced without copying them
    at = _FRAMES.size
    parts: list[bytes | None] = []
    try:
        for n in lengths:
            parts.append(decompressor.decompress(view[at : at + n]) if n else None)
            at += n
    except zstandard.ZstdError as exc:
        raise RecordingError(f"compressed samples do not decompress ({exc})") from None
    head = parts[0]
    if head is None:
        raise RecordingError("sample payload has no head frame")
    return head, parts[1:]


def block_rows(payload: bytes) -> int:
    """The rows a payload holds (its head's count), for a caller that sizes an output;
    :func:`decode_block` checks it again."""
    head, _ = _unframe(payload)
    if len(head) < _HEAD.size:
        raise RecordingError("sample payload head is shorter than its own header")
    return int(_HEAD.unpack_from(head)[0])


def decode_block(
    payload: bytes,
    resolution: FloatArray,
    columns: npt.NDArray[np.intp] | None = None,
    out: Decoded | None = None,
    first_out: FloatArray | None = None,
) -> Decoded:
    """Decode a payload from :func:`encode_block`; returns (len(columns), rows), channel-major.

    ``out`` (float64 or float32, shape (len(columns), rows), e.g. a slice of a whole read's
    output) receives the values directly, with no float64 temporary: float32 gets each
    float64 value rounded once, the same as converting the float64 result. With ``first_out``
    (float64, shape (rows,)) the first asked column goes there instead (a read's time axis
    stays float64 beside float32 channels) and ``out`` holds the others.

    Raises :class:`RecordingError` (never a numpy or zstd error) if the payload is malformed;
    callers add which block it was.
    """
    head, planes = _unframe(payload)
    if len(head) < _HEAD.size:
        raise RecordingError("sample payload head is shorter than its own header")
    n_rows, n_cols, n_exc = _HEAD.unpack_from(head)
    if len(head) != _HEAD.size + n_cols + 12 * n_exc or n_cols != resolution.size:
        raise RecordingError(
            f"sample payload head does not match {n_cols} columns and {n_exc} exceptions "
            f"(the recording declares {resolution.size} columns)"
        )
    at = _HEAD.size + n_cols  # the delta orders come first; the kernel reads them in place
    if n_exc:  # (most blocks have none: no arrays made for them)
        positions = np.frombuffer(head, dtype="<u4", count=n_exc, offset=at).astype(np.int64)
        at += 4 * n_exc
        exceptions = np.frombuffer(head, dtype="<f8", count=n_exc, offset=at)
        if int(positions.max()) >= n_rows * n_cols:
            raise RecordingError("sample payload has an exception outside its rows and columns")

    cols = np.arange(n_cols, dtype=np.intp) if columns is None else columns
    split = first_out is not None
    if out is None:
        out = np.empty((cols.size - split, n_rows), dtype=np.float64)
    if out.shape != (cols.size - split, n_rows) or (
            first_out is not None and first_out.shape != (n_rows,)):
        raise RecordingError(f"sample payload holds {n_rows} rows of the {cols.size} columns "
                             f"asked; the output has shape {out.shape}")
    for k, plane in enumerate(planes):
        if plane is not None and len(plane) != n_cols * n_rows:
            raise RecordingError(f"byte plane {k} has {len(plane)} bytes, not {n_cols * n_rows}")
    native = decoder()
    if native is None or not native.decode(
            planes, n_rows, n_cols, head, _HEAD.size, cols, resolution, out, first_out):
        orders = np.frombuffer(head, dtype=np.uint8, count=n_cols, offset=_HEAD.size)
        if orders.size and int(orders.max()) > MAX_DELTA_ORDER:
            raise RecordingError(f"sample payload names delta order {int(orders.max())}")
        _decode_numpy(planes, n_rows, n_cols, cols, orders, resolution[cols], out, first_out)

    if n_exc:
        where = np.full(n_cols, -1, dtype=np.intp)
        where[cols] = np.arange(cols.size)
        target = where[positions // max(n_rows, 1)]
        hit = target >= 0
        target, at_row, values = target[hit], (positions % max(n_rows, 1))[hit], exceptions[hit]
        if first_out is not None:
            first = target == 0
            first_out[at_row[first]] = values[first]
            target, at_row, values = target[~first] - 1, at_row[~first], values[~first]
        with np.errstate(over="ignore"):
            out[target, at_row] = values
    return out


def _decode_numpy(
    planes: list[bytes | None],
    n_rows: int,
    n_cols: int,
    cols: npt.NDArray[np.intp],
    orders: npt.NDArray[np.uint8],
    scale: FloatArray,
    out: Decoded,
    first_out: FloatArray | None,
) -> None:
    """The asked columns' values (before exceptions) into ``out`` and ``first_out``, with
    numpy: what the compiled kernel (:mod:`gaitway.recording.native`) does where it was
    built, and the reference it is tested against."""
    width = _WIDTH[max((k + 1 for k, p in enumerate(planes) if p is not None), default=0)]
    # Columns gathered by delta order (lowest first, stable), so that each order's prefix sum
    # runs on one contiguous tail of rows instead of a gathered and scattered subset; the
    # rows go back to the asked order once, as integers, before scaling.
    sel_orders = orders[cols]
    counts = np.bincount(sel_orders, minlength=MAX_DELTA_ORDER + 1)
    sorted_already = bool(np.all(sel_orders[1:] >= sel_orders[:-1]))
    perm = None if sorted_already else np.argsort(sel_orders, kind="stable")
    gather = cols if perm is None else cols[perm]
    # The zigzagged integers assembled from their byte planes at the narrowest width the
    # block needs: each plane's asked rows gathered (contiguous) and shifted into place.
    unsigned = _UNSIGNED[width]
    zig: npt.NDArray[np.unsignedinteger[Any]] | None = None
    for k in range(width):
        plane = planes[k]
        if plane is None:
            continue
        byte = np.frombuffer(plane, dtype=np.uint8).reshape(n_cols, n_rows)[gather]
        byte = byte.astype(unsigned, copy=False)  # (the gather is already a new array)
        if k:
            byte <<= 8 * k
        if zig is None:
            zig = byte
        else:
            zig |= byte
    if zig is None:
        zig = np.zeros((cols.size, n_rows), dtype=unsigned)
    sign = zig & 1
    np.negative(sign, out=sign)  # 0 or all ones (unsigned wrap-around)
    zig >>= 1
    zig ^= sign  # zigzag undone, in place: the signed integers' bits
    small = zig.view(_SIGNED[width])
    q: IntArray | npt.NDArray[np.signedinteger[Any]] = small
    if counts[0] < cols.size:  # prefix sums in int64: the integers themselves may need 64 bits
        q = small.astype(np.int64)
        at = int(counts[0])
        for order in range(1, MAX_DELTA_ORDER + 1):
            if at < cols.size:
                tail = q[at:]
                np.add.accumulate(tail, axis=1, out=tail)
            at += int(counts[order])
    if perm is not None:
        back = np.empty_like(perm)
        back[perm] = np.arange(perm.size)
        q = q[back]
    # the float64 product, stored in out's type (rounded once for float32)
    per_row = scale[:, None]
    with np.errstate(over="ignore"):  # beyond float32's range: inf, as a cast gives
        if first_out is not None:
            np.multiply(q[0], per_row[0], out=first_out)
            np.multiply(q[1:], per_row[1:], out=out, casting="unsafe")
        else:
            np.multiply(q, per_row, out=out, casting="unsafe")
