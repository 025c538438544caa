"""Python's ``round(x, nd)`` of many floats at once, the same floats."""

from __future__ import annotations

import math
from typing import Any, Literal, overload

import numpy as np

from gaitway.analytics.gait_data import FloatArray

#: largest |x * 10**nd| rounded with numpy (a double holds every integer below 2**53)
_NUMPY_ROUND_LIMIT = 2.0**50


@overload
def rounded(values: FloatArray, nd: int) -> list[float | None]: ...
@overload
def rounded(values: FloatArray, nd: int, *, none_if_not_finite: Literal[True]
            ) -> list[float | None]: ...
@overload
def rounded(values: FloatArray, nd: int, *, none_if_not_finite: Literal[False]
            ) -> list[float]: ...
def rounded(values: FloatArray, nd: int, *, none_if_not_finite: bool = True
            ) -> list[float | None] | list[float]:
    """``[round(v, nd) if math.isfinite(v) else None for v in values]`` (Python's correctly
    rounded ``round``, as ``stride_record``'s ``_r``), in a few array passes; with
    ``none_if_not_finite=False`` a NaN or infinity stays itself, as ``round`` leaves it.

    ``np.round`` scales, rounds and unscales; its integer ``m = rint(x * 10**nd)`` is the one
    Python's ``round`` picks whenever the scaled product is not within rounding error of a
    half (the product is exact to half an ulp), and then ``m / 10**nd`` (an IEEE division
    of exact operands) is the double nearest to the decimal, as Python's ``round`` returns.
    The few values near a half, or too large, are rounded by Python itself."""
    x = np.asarray(values, dtype=np.float64)
    scale = 10.0**nd
    with np.errstate(invalid="ignore", over="ignore"):
        p = x * scale
        m = np.rint(p)
        near_half = np.abs(np.abs(p - m) - 0.5) <= 4 * np.spacing(np.abs(p))
        doubt = near_half | ~(np.abs(p) < _NUMPY_ROUND_LIMIT)
        out: list[Any] = (m / scale).tolist()
    for k in np.flatnonzero(doubt).tolist():
        v = float(x[k])
        out[k] = round(v, nd) if math.isfinite(v) or not none_if_not_finite else None
    return out
