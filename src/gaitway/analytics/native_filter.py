"""The compiled lockstep filter (``_native/gwfilter.c``), loaded with ctypes when it was built.

Why compiled: a zero-phase filter's passes are recursive, one sample after another, and
scipy's ``sosfilt`` runs one channel at a time, bound by the latency of each sample's chain
of multiplies and adds (~13 ms a pass over a 30-minute channel, whatever the number of
sections). The kernel runs up to 8 channels of equal length in the lanes of one vector, in
place, with scipy's arithmetic per lane (bit for bit the same numbers, a property test): 4
channels (the EMG's group) cost about what one did, 8 about what 1.5 did. ctypes releases the
GIL during the call.

The package build compiles it (``hatch_build.py``); where no C compiler was found, or
``GAITWAY_NATIVE_FILTER=0`` is set, :func:`lockstep` returns None and
:mod:`gaitway.analytics.filters` filters each channel with scipy (the same values).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from gaitway.recording.native import kernel_filename, open_kernel

#: The kernel's ABI version this module speaks (``gw_filter_abi()``).
ABI: Final = 1
#: Set to 0 to filter with scipy even where the compiled kernel was built.
ENV_SWITCH: Final = "GAITWAY_NATIVE_FILTER"
#: Channels one call filters together, and sections a filter may have (gwfilter.c).
MAX_LANES: Final = 8
MAX_SECTIONS: Final = 16

Float32Array = npt.NDArray[np.float32]


def library_filename() -> str:
    """The compiled kernel's file name on this platform (also in hatch_build.py)."""
    return kernel_filename("gwfilter")


LIBRARY: Final = Path(__file__).resolve().parent / "_native" / library_filename()


class LockstepFilter:
    """The loaded kernel: :meth:`run` filters channels in place."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        fn = lib.gw_sosfilt_lanes
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int, ctypes.c_void_p,
                       ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
        self._fn = fn

    def run(self, sos: Float32Array, channels: Sequence[Float32Array], zi: Float32Array,
            *, backward: bool) -> None:
        """One pass of ``sos`` (float32, (sections, 6), C order) over each channel in place:
        what ``scipy.signal.sosfilt(sos, x, zi=zi[k])`` returns for channel k (reversed in
        and out when ``backward``); ``zi`` (float32, (channels, sections, 2), C order) ends
        as the final states. Channels: 1 to MAX_LANES contiguous, writable float32 arrays of
        one length."""
        lanes = len(channels)
        n_sections = sos.shape[0]
        if not 1 <= lanes <= MAX_LANES or not 1 <= n_sections <= MAX_SECTIONS:
            raise ValueError(f"the lockstep filter takes 1-{MAX_LANES} channels and "
                             f"1-{MAX_SECTIONS} sections, not {lanes} and {n_sections}")
        n = channels[0].shape[0]
        for x in channels:
            if (x.dtype != np.float32 or x.ndim != 1 or x.shape[0] != n
                    or not x.flags.c_contiguous or not x.flags.writeable):
                raise ValueError("the lockstep filter's channels must be writable, contiguous "
                                 "float32 arrays of one length")
        if (sos.dtype != np.float32 or sos.shape != (n_sections, 6)
                or not sos.flags.c_contiguous or zi.dtype != np.float32
                or zi.shape != (lanes, n_sections, 2) or not zi.flags.c_contiguous
                or not zi.flags.writeable):
            raise ValueError("the lockstep filter's sos and zi must be contiguous float32 "
                             "arrays of shape (sections, 6) and (channels, sections, 2)")
        pointers = (ctypes.c_void_p * lanes)(*(x.ctypes.data for x in channels))
        status = self._fn(pointers, n, lanes, sos.ctypes.data, n_sections, zi.ctypes.data,
                          int(backward))
        if status != 0:  # (the checks above rule this out)
            raise ValueError(f"the lockstep filter refused its arguments ({status})")


def load(path: Path = LIBRARY) -> LockstepFilter | None:
    """The kernel at ``path``, or None if it is missing, does not load, or speaks another
    ABI (a library left by an older build)."""
    lib = open_kernel(path, "gw_filter_abi", ABI)
    return None if lib is None else LockstepFilter(lib)


_LOADED: list[LockstepFilter | None] = []


def lockstep() -> LockstepFilter | None:
    """The kernel, loaded once; None where it was not built or is switched off."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return None
    if not _LOADED:
        _LOADED.append(load())
    return _LOADED[0]
