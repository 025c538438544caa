"""Published normative sagittal joint angles of healthy slow walking, with their spread, and the
two figures the twin is held to: correlation with the mean curve and the share of the cycle
inside the band.

The values are the mean and one standard deviation at key points of the gait cycle (heel strike
= 0 %) for healthy adults walking slowly (about 0.5-0.6 m/s, 2 km/h), compiled from:

- Fukuchi, Fukuchi & Duarte 2018, "A public data set of overground and treadmill walking
  kinematics and kinetics in healthy individuals", PeerJ 6:e4640 (data and article CC BY 4.0):
  treadmill walking of 42 adults at eight speeds down to 40 % of their preferred speed;
- Koopman, van Asseldonk & van der Kooij 2014, "Speed-dependent reference joint trajectory
  generation for robotic gait support", J Biomech 47:1447 (key events of hip, knee and ankle
  regressed on speed, 0.5-5 km/h);
- Winter 1991, *The Biomechanics and Motor Control of Human Gait* (slow-cadence ensembles).

They are approximate key values read from those publications' slow-walking results (facts,
restated, not a copy of their data files), joined by periodic splines. They are the yardstick
for the twin's own gait (``docs/validation/report.md``, section 3); the robot's reference gait
(:mod:`gaitway.gait.reference`) is a separate curve.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.interpolate import CubicSpline

FloatArray = npt.NDArray[np.float64]
#: points of one normalised cycle, 0-100 % inclusive
CYCLE_POINTS: Final[int] = 101
#: the band the twin must stay within: mean +- (SD + this), degrees
BAND_WIDENING_DEG: Final[float] = 5.0
NORMATIVE_JOINTS: Final[tuple[str, str, str]] = ("hip", "knee", "ankle")

# (cycle %, mean deg, SD deg); flexion +, ankle dorsiflexion +. The last point is not 100 %:
# the spline is periodic.
_SLOW: Final[dict[str, tuple[tuple[float, float, float], ...]]] = {
    "hip": ((0, 24, 6), (10, 23, 6), (30, 9, 5), (50, -7, 5), (58, -6, 5), (70, 10, 6),
            (85, 25, 6), (92, 26, 6)),
    "knee": ((0, 4, 5), (15, 15, 5), (40, 5, 5), (50, 9, 5), (60, 28, 7), (72, 56, 6),
             (80, 47, 8), (85, 36, 9), (90, 19, 8), (95, 7, 6)),
    "ankle": ((0, 0, 4), (7, -4, 4), (25, 5, 4), (47, 12, 4), (55, 8, 5), (64, -9, 6),
              (75, -1, 5), (88, 2, 4)),
}


@dataclass(frozen=True, slots=True)
class NormativeCurve:
    """One joint's normative mean and SD over the cycle (degrees, ``CYCLE_POINTS`` points)."""

    joint: str
    mean_deg: FloatArray
    sd_deg: FloatArray


@dataclass(frozen=True, slots=True)
class CurveAgreement:
    """How a measured mean cycle compares with the normative curve."""

    joint: str
    correlation: float
    #: share of the cycle's points within mean +- (SD + ``BAND_WIDENING_DEG``)
    band_fraction: float
    peak_pct: int  # where the measured curve peaks (knee: swing peak, from 40 %)
    rmse_deg: float


def _periodic(points: tuple[tuple[float, float, float], ...], col: int) -> FloatArray:
    x = np.array([p[0] for p in points] + [100.0])
    y = np.array([p[col] for p in points] + [points[0][col]])
    spline = CubicSpline(x, y, bc_type="periodic")
    out: FloatArray = spline(np.linspace(0.0, 100.0, CYCLE_POINTS))
    return out


@functools.cache
def slow_walking(joint: str) -> NormativeCurve:
    """The normative slow-walking curve of ``joint`` (hip, knee or ankle)."""
    if joint not in _SLOW:
        raise ValueError(f"no normative curve for {joint!r}; known: {', '.join(_SLOW)}")
    pts = _SLOW[joint]
    return NormativeCurve(joint, _periodic(pts, 1), np.maximum(_periodic(pts, 2), 1.0))


def agreement(joint: str, measured_deg: npt.ArrayLike) -> CurveAgreement:
    """Correlation, share within the widened band, peak timing and RMSE of a measured mean
    cycle (``CYCLE_POINTS`` values in degrees, heel strike first) against the norm."""
    m = np.asarray(measured_deg, dtype=np.float64)
    if m.shape != (CYCLE_POINTS,):
        raise ValueError(f"a cycle has {CYCLE_POINTS} points, got shape {m.shape}")
    ref = slow_walking(joint)
    r = float(np.corrcoef(m, ref.mean_deg)[0, 1])
    inside = np.abs(m - ref.mean_deg) <= ref.sd_deg + BAND_WIDENING_DEG
    start = 40 if joint == "knee" else 0
    return CurveAgreement(
        joint=joint, correlation=r, band_fraction=float(np.mean(inside)),
        peak_pct=start + int(np.argmax(m[start:])),
        rmse_deg=float(np.sqrt(np.mean((m - ref.mean_deg) ** 2))))
