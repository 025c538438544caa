"""The compiled block decoder (``_native/gwdecode.c``), loaded with ctypes when it was built.

Why compiled: numpy decodes a block's columns in ~20 array passes and ~40 calls, which is
most of the time a long recording takes to read (a 30-minute one: ~1.2 of ~1.7 s of decoding
on one core); the C kernel does the same work in one pass per column, bit for bit the same
values. Why ctypes and not an extension module: the kernel needs no Python API, loads in well
under a millisecond (numba's import alone cost 0.7 s), and ctypes releases the GIL during the
call, so the reader's decode threads run it in parallel.

The package build compiles it (``hatch_build.py``); where no C compiler was found, or
``GAITWAY_NATIVE_DECODE=0`` is set, :func:`decoder` returns None and the codec uses numpy.
uv rebuilds the project when the kernel's source, the hook or pyproject.toml change; a library
deleted by hand comes back with ``touch src/gaitway/recording/_native/gwdecode.c`` and
``scripts/setup.sh``.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

#: The kernel's ABI version this module speaks (``gw_decode_abi()``).
ABI: Final = 2
#: Set to 0 to decode with numpy even where the compiled kernel was built.
ENV_SWITCH: Final = "GAITWAY_NATIVE_DECODE"
_PLANES = ctypes.c_char_p * 8
#: Column plans kept (a read asks the same columns of every block).
_PLANS_KEPT = 16


def kernel_filename(stem: str) -> str:
    """A compiled kernel's file name on this platform, for each of the package's C kernels
    (the decoder here, analytics' lockstep filter; also spelled out in hatch_build.py)."""
    if sys.platform == "win32":
        return f"{stem}.dll"
    return f"lib{stem}.dylib" if sys.platform == "darwin" else f"lib{stem}.so"


def library_filename() -> str:
    """The decoder kernel's file name on this platform."""
    return kernel_filename("gwdecode")


def open_kernel(path: Path, abi_symbol: str, abi: int) -> ctypes.CDLL | None:
    """The library at ``path``, or None if it is missing, does not load, or speaks another
    ABI than ``abi`` (a library left by an older build), asked of its ``abi_symbol``."""
    try:
        lib = ctypes.CDLL(str(path))
        ask = getattr(lib, abi_symbol)
    except (OSError, AttributeError):
        return None
    ask.restype = ctypes.c_int
    ask.argtypes = []
    return lib if ask() == abi else None


LIBRARY: Final = Path(__file__).resolve().parent / "_native" / library_filename()


class _Plan(NamedTuple):
    """The asked columns and their resolutions as the kernel takes them, made once per set of
    columns (a 30-minute read decodes 6,403 blocks of the same columns: making these and
    their pointers for each block cost more than a tenth of the kernel's own time)."""

    cols: npt.NDArray[np.int64]
    scale: npt.NDArray[np.float64]
    cols_at: int
    scale_at: int


class NativeDecoder:
    """The loaded kernel: :meth:`decode` fills a block's asked columns."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        fn = lib.gw_decode_block
        fn.restype = ctypes.c_int
        fn.argtypes = [
            _PLANES, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
            ctypes.c_int, ctypes.c_size_t,
        ]
        self._fn = fn
        self._plans: dict[tuple[str, bytes, bytes], _Plan] = {}

    def _plan(self, cols: npt.NDArray[np.integer[Any]],
              resolution: npt.NDArray[np.float64]) -> _Plan:
        # keyed by content, not identity: a caller may change its arrays between calls
        key = (cols.dtype.str, cols.tobytes(), resolution.tobytes())
        plan = self._plans.get(key)
        if plan is None:
            c = np.array(cols, dtype=np.int64)
            scale = np.array(resolution[cols], dtype=np.float64)  # (IndexError as numpy's)
            plan = _Plan(c, scale, c.ctypes.data, scale.ctypes.data)
            if len(self._plans) >= _PLANS_KEPT:
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def decode(
        self,
        planes: list[bytes | None],
        n_rows: int,
        n_cols: int,
        head: bytes,
        orders_at: int,
        cols: npt.NDArray[np.integer[Any]],
        resolution: npt.NDArray[np.float64],
        out: npt.NDArray[np.float64] | npt.NDArray[np.float32],
        first_out: npt.NDArray[np.float64] | None,
    ) -> bool:
        """Decode into ``out`` (rows of contiguous values) and ``first_out``; False (nothing
        written) when the arrays do not suit the kernel or it refuses the block (a delta order
        above 3, an asked column outside the block), so that the caller decodes with numpy and
        reports what was wrong. ``head`` holds every column's delta order from ``orders_at``."""
        dtype = out.dtype
        double = dtype == np.float64
        if not (double or dtype == np.float32) or len(planes) != 8:
            return False
        rows, length = out.shape
        size = dtype.itemsize
        if length > 1 and out.strides[1] != size:
            return False
        if rows > 1 and (out.strides[0] < 0 or out.strides[0] % size):
            return False
        if not out.flags.writeable or (first_out is not None and (
                first_out.dtype != np.float64 or (first_out.size > 1 and first_out.strides[0] != 8)
                or not first_out.flags.writeable)):
            return False
        if len(head) < orders_at + n_cols:
            return False
        plan = self._plan(cols, resolution)
        status = self._fn(
            _PLANES(*planes), n_rows, n_cols, head, orders_at, plan.cols_at, plan.cols.size,
            plan.scale_at, None if first_out is None else first_out.ctypes.data,
            out.ctypes.data, int(double), out.strides[0] // size if rows > 1 else 0,
        )
        return bool(status == 0)


def load(path: Path = LIBRARY) -> NativeDecoder | None:
    """The kernel at ``path``, or None if it is missing, does not load, or speaks another
    ABI (a library left by an older build)."""
    lib = open_kernel(path, "gw_decode_abi", ABI)
    return None if lib is None else NativeDecoder(lib)


_LOADED: list[NativeDecoder | None] = []


def decoder() -> NativeDecoder | None:
    """The kernel, loaded once; None where it was not built or is switched off."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return None
    if not _LOADED:
        _LOADED.append(load())
    return _LOADED[0]
