"""Reductions over many slices of one array, each giving what the same reduction of the
slice alone gives, bit for bit: maxima and minima (their result does not depend on the order)
in one ``reduceat``; sums and dot products one numpy call per slice, because numpy sums a
slice pairwise (``0 + pairwise(x[a:b])``; ``reduceat`` computes ``x[a] + pairwise(x[a+1:b])``)
and BLAS blocks a dot product by its length, so no whole-array form rounds the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gaitway.analytics.gait_data import FloatArray

IntArray = npt.NDArray[np.intp]


def segment_reduce(ufunc: np.ufunc, x: npt.NDArray[Any], i: IntArray, j: IntArray
                   ) -> npt.NDArray[Any]:
    """``[ufunc.reduce(x[a:b]) for a, b in zip(i, j)]`` for a ufunc whose result does not
    depend on the order (``np.maximum``, ``np.minimum``); every ``b > a``. One
    ``reduceat`` over (start, end) pairs; an end at ``len(x)`` is folded in afterwards."""
    n = len(x)
    if len(i) == 0:
        return np.empty(0, dtype=x.dtype)
    idx = np.empty(2 * len(i), dtype=np.intp)
    idx[0::2] = i
    idx[1::2] = np.minimum(j, n - 1)
    out: npt.NDArray[Any] = ufunc.reduceat(x, idx)[0::2]
    end = j >= n
    if end.any():
        out[end] = ufunc(out[end], x[n - 1])
    return out


_add = np.add.reduce


def segment_sums(x: FloatArray, i: IntArray, j: IntArray) -> FloatArray:
    """``float(x[a:b].sum())`` of each segment (0 for an empty one), one numpy call each:
    the pairwise summation of exactly that slice."""
    return np.array([float(_add(x[a:b])) for a, b in zip(i.tolist(), j.tolist(), strict=True)],
                    dtype=np.float64)


def segment_dots(x: FloatArray, y: FloatArray, i: IntArray, j: IntArray) -> FloatArray:
    """``float(np.dot(x[a:b], y[a:b]))`` of each segment, one BLAS call each (its
    accumulation order depends on the slice's length)."""
    dot = np.dot
    return np.array([float(dot(x[a:b], y[a:b]))
                     for a, b in zip(i.tolist(), j.tolist(), strict=True)], dtype=np.float64)
