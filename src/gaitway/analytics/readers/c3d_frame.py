"""Which lab axis points up in a C3D file, and the rotation that makes it +z.

The C3D format does not fix the lab's vertical axis: Vicon and Qualisys labs usually have z up,
others (Motion Analysis, some Codamotion and OpenSim-oriented set-ups) y up. The reader's
frame logic (plate sign, forward from the pelvis, belt frame) assumes z up, so a Y-up file is
first turned into a Z-up one; before this, a Y-up copy of the real treadmill trial gave stance
times of 0.29-0.40 s instead of 0.71 s.

The vertical axis comes from the force plates when they have corners (the floor's normal is
vertical), else from the markers (the pelvis is about a metre above the feet); its sense from
the markers (they are above the floor). Without either, z up is assumed, as before.
"""

from __future__ import annotations

import numpy as np

from gaitway.analytics.gait_data import FloatArray

#: Marker names (normalised as the reader matches them) of the pelvis and of the feet.
PELVIS_MARKERS = ("LASI", "RASI", "LASIS", "RASIS", "LPSI", "RPSI", "LPSIS", "RPSIS", "SACR",
                  "SACRUM")
FOOT_MARKERS = ("LHEE", "RHEE", "LHEEL", "RHEEL", "LTOE", "RTOE", "LANK", "RANK")


def _median_position(points: FloatArray, index: dict[str, int],
                     names: tuple[str, ...]) -> FloatArray | None:
    """Median position (file units) over the frames of the named markers the file holds."""
    cols = [index[n] for n in names if n in index]
    if not cols:
        return None
    xyz = points[:3, cols, :].reshape(3, -1)
    ok = np.isfinite(xyz).all(axis=0) & (np.abs(xyz).sum(axis=0) > 0)
    if not ok.any():
        return None
    out: FloatArray = np.median(xyz[:, ok], axis=1)
    return out


def _floor_normal(corners: FloatArray) -> tuple[int, float] | None:
    """The lab axis along the plates' normal (the one most plates agree on) and the floor's
    coordinate along it, from FORCE_PLATFORM:CORNERS (3 x 4 x plates); None when the corners
    are missing or degenerate."""
    if corners.ndim != 3 or corners.shape[:2] != (3, 4) or corners.shape[2] == 0:
        return None
    votes = []
    for k in range(corners.shape[2]):
        c1, c2, _, c4 = corners[:, :, k].T
        n = np.cross(c1 - c2, c1 - c4)
        if np.isfinite(n).all() and np.linalg.norm(n) > 0:
            votes.append(int(np.argmax(np.abs(n))))
    if not votes:
        return None
    axis = max(set(votes), key=votes.count)
    return axis, float(np.mean(corners[axis]))


def vertical_axis(points: FloatArray, index: dict[str, int],
                  corners: FloatArray | None) -> tuple[int, float] | None:
    """(lab axis 0-2, +1 or -1) that points up, or None when the file does not tell."""
    pelvis = _median_position(points, index, PELVIS_MARKERS)
    feet = _median_position(points, index, FOOT_MARKERS)
    floor = _floor_normal(corners) if corners is not None else None
    if floor is not None:
        axis, level = floor
        above = pelvis if pelvis is not None else feet
        if above is None:
            return axis, 1.0  # no marker: the sense is left to the plates' force sign
        return axis, 1.0 if above[axis] >= level else -1.0
    if pelvis is not None and feet is not None:
        d = pelvis - feet
        axis = int(np.argmax(np.abs(d)))
        return axis, 1.0 if d[axis] > 0 else -1.0
    return None


def to_z_up(axis: int, sense: float) -> FloatArray:
    """A rotation (det +1) taking lab coordinates to ones whose +z is ``sense`` along ``axis``;
    the identity for a Z-up lab. The first other lab axis is kept as the new x."""
    z = np.zeros(3)
    z[axis] = sense
    x = np.zeros(3)
    x[0 if axis != 0 else 1] = 1.0
    y = np.cross(z, x)
    rotation: FloatArray = np.vstack([x, y, z])
    return rotation
