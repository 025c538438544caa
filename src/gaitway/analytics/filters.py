"""Zero-phase filtering of long channels with fewer whole-channel copies, and of several
channels at once.

:func:`sosfiltfilt` returns exactly what ``scipy.signal.sosfiltfilt`` (odd padding, its default
pad length) returns for ``x`` converted to ``dtype``, built from scipy's own ``sosfilt`` and
``sosfilt_zi``. scipy's version holds the converted input, its padded copy and both passes'
outputs at once (four copies of a channel: 56 MB for a 30-minute channel in float64); here the
padded copy is made straight from the input in ``dtype`` and each pass's input is released
before the next, so at most two copies exist at a time.

:func:`zero_phase` filters channels already padded (:func:`padded`, :func:`odd_extend`) in
place, float32 channels of one length in lockstep, up to 8 at a time, where the compiled
kernel was built (:mod:`gaitway.analytics.native_filter`): the same numbers as scipy, channel
by channel, for a fraction of the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import signal

from gaitway.analytics.native_filter import MAX_LANES, MAX_SECTIONS, lockstep

Array = npt.NDArray[np.floating[Any]]


def padlen(sos: Array) -> int:
    """scipy.signal.sosfiltfilt's default pad length for ``sos``."""
    n_sections = sos.shape[0]
    ntaps = 2 * n_sections + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * int(ntaps)


def _check_length(n: int, edge: int) -> None:
    if n <= edge:
        raise ValueError(f"The length of the input vector x must be greater than padlen, "
                         f"which is {edge}.")


def padded(n: int, edge: int, dtype: type[np.floating[Any]]) -> Array:
    """An empty array for a channel of ``n`` samples and its ``edge`` samples of padding each
    side: the caller writes the channel into ``[edge:edge + n]``, then :func:`odd_extend`."""
    _check_length(n, edge)
    out: Array = np.empty(n + 2 * edge, dtype=dtype)
    return out


def odd_extend(ext: Array, edge: int) -> None:
    """Fill ``edge`` samples each side of ``ext[edge:-edge]`` with its odd extension, in the
    array's type, as scipy.signal's ``odd_ext`` computes it."""
    n = ext.shape[0] - 2 * edge
    _check_length(n, edge)
    ext[:edge] = 2 * ext[edge : edge + 1] - ext[2 * edge : edge : -1]
    ext[edge + n :] = 2 * ext[edge + n - 1 : edge + n] - ext[edge + n - 2 : n - 2 : -1]


def zero_phase(sos: Array, channels: Sequence[Array]) -> None:
    """Filter each padded channel (:func:`padded`) forward and backward in place: then
    ``channel[edge:-edge]`` is ``scipy.signal.sosfiltfilt(sos, x)`` of the channel ``x`` it
    was padded from, bit for bit, in the channels' type (``sos`` is converted to it).

    float32 channels of one length run in lockstep through the compiled kernel, up to
    MAX_LANES at a time; others (or without the kernel) one by one with scipy's ``sosfilt``,
    whose output is copied back (at most two copies of a channel at a time)."""
    kernel = lockstep()
    groups: dict[tuple[np.dtype[Any], int], list[Array]] = {}
    for x in channels:
        groups.setdefault((x.dtype, x.shape[0]), []).append(x)
    for (dtype, _), same in groups.items():
        coeffs = np.ascontiguousarray(sos, dtype=dtype)
        zi = signal.sosfilt_zi(coeffs)
        native = (kernel is not None and dtype == np.float32 and coeffs.shape[0] <= MAX_SECTIONS
                  and all(x.flags.c_contiguous and x.flags.writeable for x in same))
        if not native:
            for x in same:
                forward = signal.sosfilt(coeffs, x, zi=zi * x[:1])[0]
                x[:] = forward
                del forward
                backward = signal.sosfilt(coeffs, x[::-1], zi=zi * x[-1:])[0]
                x[::-1] = backward
            continue
        assert kernel is not None
        for at in range(0, len(same), MAX_LANES):
            lanes = same[at : at + MAX_LANES]
            state = np.ascontiguousarray(np.stack([zi * x[:1] for x in lanes]), dtype=dtype)
            kernel.run(coeffs, lanes, state, backward=False)
            state = np.ascontiguousarray(np.stack([zi * x[-1:] for x in lanes]), dtype=dtype)
            kernel.run(coeffs, lanes, state, backward=True)


def sosfiltfilt(sos: Array, x: Array, dtype: type[np.floating[Any]] = np.float64) -> Array:
    """``scipy.signal.sosfiltfilt(sos, np.asarray(x, dtype))`` for a 1-D ``x``, bit for bit."""
    edge = padlen(sos)
    n = x.shape[0]
    if dtype is np.float32 and sos.dtype == np.float32 and lockstep() is not None:
        ext32 = padded(n, edge, np.float32)
        ext32[edge : edge + n] = x
        odd_extend(ext32, edge)
        zero_phase(sos, [ext32])
        return ext32[edge : edge + n]
    _check_length(n, edge)
    ext = np.empty(n + 2 * edge, dtype=dtype)
    head = np.asarray(x[: edge + 1], dtype=dtype)
    tail = np.asarray(x[n - edge - 1 :], dtype=dtype)
    # odd extension, as scipy.signal's odd_ext computes it in dtype
    ext[:edge] = 2 * head[:1] - head[edge:0:-1]
    ext[edge : edge + n] = x
    ext[edge + n :] = 2 * tail[-1:] - tail[-2::-1]
    zi = signal.sosfilt_zi(sos)
    forward = signal.sosfilt(sos, ext, zi=zi * ext[:1])[0]
    del ext
    backward = signal.sosfilt(sos, forward[::-1], zi=zi * forward[-1:])[0]
    del forward
    out: Array = backward[::-1][edge:-edge]
    return out
