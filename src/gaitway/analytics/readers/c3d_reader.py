"""C3D files from gait labs (Vicon, Qualisys, Motek) through ezc3d, into a GaitData.

ezc3d returns analog values already scaled (ANALOG:SCALE, OFFSET and GEN_SCALE applied; the
tests check this). Force platforms are computed here from FORCE_PLATFORM:TYPE, CHANNEL,
CORNERS, ORIGIN and CAL_MATRIX rather than taken as a black box, so that the centre of pressure
and the frame changes are visible and tested:

- type 1: Fx, Fy, Fz, COPx, COPy, Tz; type 2: Fx, Fy, Fz, Mx, My, Mz; type 3 (Kistler): eight
  channels fx12, fx34, fy14, fy23, fz1-fz4 with the sensor offsets a, b in ORIGIN, turned into
  forces and moments; type 4: as type 2 after multiplying the six channels by the 6x6
  calibration matrix. ezc3d's own force-platform extraction (types 1-4) is the cross-check
  in the tests.
- Plate axes from the corners (corner 1 in the +x+y quadrant, 2 in -x+y, 4 in +x-y), z = x cross y.
- ORIGIN is read as the vector from the surface centre to the sensor origin, in plate axes.
- Recorded plate forces are the force on the subject; in lab axes Fz is then positive when
  loaded whatever the sign in the file (checked: it must be, or the file is rejected).
- COP from moments about the sensor origin, at the plate surface.

The lab frame is turned into the belt frame (x forward, y left, z up) using the pelvis markers
when present (ASIS in front of PSIS); each plate is given to the foot whose heel marker is over
it when loaded, or plate 1 = left otherwise (and the output says so).
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from gaitway.analytics.gait_data import FloatArray, GaitData, GaitEvent, Side, SignalBlock
from gaitway.analytics.readers.c3d_frame import to_z_up as to_z_up_rotation
from gaitway.analytics.readers.c3d_frame import vertical_axis
from gaitway.errors import UserError

_UNIT_TO_SI = {
    "mm": 1e-3,
    "cm": 1e-2,
    "m": 1.0,
    "nmm": 1e-3,
    "nm": 1.0,
    "n.mm": 1e-3,
    "n.m": 1.0,
    "n*mm": 1e-3,
    "n*m": 1.0,
    "n": 1.0,
}


def _param(c: Any, group: str, name: str, default: Any = None) -> Any:
    try:
        return c["parameters"][group][name]["value"]
    except KeyError:
        return default


def check_c3d_complete(path: Path) -> None:
    """Refuse a file shorter than its header promises (ezc3d would silently read less)."""
    size = os.path.getsize(path)
    if size < 512:
        raise UserError(f"{path.name}: {size} bytes is too short to be a C3D file")
    with open(path, "rb") as fh:
        head = fh.read(512)
        if head[1] != 0x50 or head[0] < 1:
            raise UserError(f"{path.name}: not a C3D file (bad header key or parameter block)")
        fh.seek((head[0] - 1) * 512)
        pblock = fh.read(4)
    if len(pblock) < 4:
        raise UserError(f"{path.name}: the file is truncated inside its parameter section")
    proc = pblock[3] - 83  # 1 Intel, 2 DEC, 3 MIPS
    endian = ">" if proc == 3 else "<"
    words = struct.unpack(endian + "12H", head[:24])
    n_points, n_analog_per_frame = words[1], words[2]
    first, last = words[3], words[4]
    data_start = words[8]
    scale_bytes = head[12:16]
    sign_byte = {1: scale_bytes[3], 2: scale_bytes[1], 3: scale_bytes[0]}.get(proc, scale_bytes[3])
    is_float = bool(sign_byte & 0x80)
    if last < first or last == 0xFFFF:
        return  # long files keep the frame count in parameters only; nothing to check here
    n_frames = last - first + 1
    per_frame = (4 * n_points + n_analog_per_frame) * (4 if is_float else 2)
    expected = (data_start - 1) * 512 + n_frames * per_frame
    if size < expected:
        got = max(0, (size - (data_start - 1) * 512) // per_frame) if per_frame else 0
        raise UserError(
            f"{path.name}: the file is truncated: it holds {got} of the {n_frames} frames its "
            "header announces; export it again from the capture software"
        )


def _plate_axes(corners: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Rotation plate->lab (columns = plate axes) and the surface centre, from 4 corners."""
    c1, c2, _, c4 = corners
    x = c1 - c2
    y = c1 - c4
    x = x / np.linalg.norm(x)
    y = y - x * float(x @ y)
    y = y / np.linalg.norm(y)
    z = np.cross(x, y)
    return np.column_stack([x, y, z]), corners.mean(axis=0)


def _plates(c: Any, analogs: FloatArray, labels: list[str],
            to_z_up: FloatArray | None = None) -> list[dict[str, FloatArray]]:
    """Force (N) and COP (m) in lab axes (turned by ``to_z_up`` when given: a lab whose
    vertical is not +z) for every plate, at the analog rate."""
    used = int(np.asarray(_param(c, "FORCE_PLATFORM", "USED", [0])).ravel()[0])
    if used == 0:
        return []
    types = np.asarray(_param(c, "FORCE_PLATFORM", "TYPE", [])).ravel().astype(int)
    chan = np.asarray(_param(c, "FORCE_PLATFORM", "CHANNEL", []))
    corners = np.asarray(_param(c, "FORCE_PLATFORM", "CORNERS", []), dtype=float)
    origin = np.asarray(_param(c, "FORCE_PLATFORM", "ORIGIN", []), dtype=float)
    cal = np.asarray(_param(c, "FORCE_PLATFORM", "CAL_MATRIX", []), dtype=float)
    units = [str(u).strip().lower() for u in _param(c, "ANALOG", "UNITS", [])]
    pos_unit = str(_param(c, "POINT", "UNITS", ["mm"])[0]).strip().lower()
    pscale = _UNIT_TO_SI.get(pos_unit)
    if pscale is None:
        raise UserError(f"unknown POINT:UNITS {pos_unit!r} (expected mm, cm or m)")
    if len(types) < used or chan.ndim != 2 or corners.shape[:2] != (3, 4):
        raise UserError("FORCE_PLATFORM parameters are incomplete (TYPE, CHANNEL or CORNERS)")
    if to_z_up is not None:
        corners = np.einsum("ij,jcp->icp", to_z_up, corners)
    out = []
    for k in range(used):
        ptype = int(types[k])
        if ptype not in (1, 2, 3, 4):
            raise UserError(f"force plate {k + 1} has type {ptype}; the C3D standard's types "
                            "1 to 4 are supported")
        n_ch = 8 if ptype == 3 else 6
        idx = chan[:, k].astype(int) - 1
        if len(idx) < n_ch or np.any(idx[:n_ch] < 0) or np.any(idx[:n_ch] >= len(analogs)):
            raise UserError(f"force plate {k + 1}: FORCE_PLATFORM:CHANNEL points past the analogs")
        raw = analogs[idx[:n_ch]].astype(np.float64)
        scale = np.array(
            [_UNIT_TO_SI.get(units[i], 1.0) if i < len(units) else 1.0 for i in idx[:n_ch]]
        )
        R, centre = _plate_axes(corners[:, :, k].T * pscale)
        org = origin[:, k] * pscale if origin.ndim == 2 and origin.shape[1] > k else np.zeros(3)
        if ptype == 3:
            kf, org_k = _kistler(raw * scale[:, None], org)
            org = np.asarray(org_k, dtype=np.float64)
            raw = np.asarray(kf, dtype=np.float64)
            scale = np.ones(6)
        o_lab = centre + R @ org
        if ptype == 4:
            if cal.ndim != 3 or cal.shape[2] <= k:
                raise UserError(f"force plate {k + 1} is type 4 but has no CAL_MATRIX")
            raw = cal[:, :, k].T @ raw
        F = raw[:3] * scale[:3, None]
        if ptype == 1:
            cop_p = np.vstack([raw[3] * scale[3], raw[4] * scale[4], np.zeros(raw.shape[1])])
            # Type 1 reports the COP relative to the surface centre.
            cop_lab = centre[:, None] + R @ cop_p
        else:
            M = raw[3:6] * scale[3:6, None]
            h = -org[2]  # surface height in plate axes, seen from the sensor origin
            fz = F[2]
            safe = np.where(np.abs(fz) > 1e-6, fz, np.nan)
            px = (h * F[0] - M[1]) / safe
            py = (M[0] + h * F[1]) / safe
            cop_p = np.vstack([px, py, np.full_like(px, h)])
            cop_lab = o_lab[:, None] + R @ cop_p
        F_lab = R @ F
        # The file may store the force on the plate or on the subject; the subject's vertical
        # reaction is upward, so the median loaded sample fixes the sign.
        big = np.abs(F_lab[2]) > 0.5 * np.max(np.abs(F_lab[2])) if F_lab.size else None
        if big is not None and np.any(big) and np.median(F_lab[2][big]) < 0:
            F_lab = -F_lab
        out.append({"force": F_lab, "cop": cop_lab, "centre": centre})
    return out


def _kistler(ch: FloatArray, org: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Type 3 (Kistler, eight channels) to forces and moments as a type 2 plate gives them.

    Channels fx12, fx34, fy14, fy23, fz1..fz4 (N); sensors 1-4 sit at (+a, +b), (-a, +b),
    (-a, -b), (+a, -b) in plate axes, and ORIGIN holds (a, b, az0): the moments are about
    the point (0, 0, az0), which is then the sensor origin of the type 2 formulas.
    """
    fx12, fx34, fy14, fy23, fz1, fz2, fz3, fz4 = ch
    # Distances, whatever sign the capture software stored them with (ezc3d reads them
    # negated); the sensor plane lies below the surface, as a type 2 plate's origin does.
    a, b, az0 = abs(float(org[0])), abs(float(org[1])), abs(float(org[2]))
    F = np.vstack([fx12 + fx34, fy14 + fy23, fz1 + fz2 + fz3 + fz4])
    M = np.vstack([
        b * (fz1 + fz2 - fz3 - fz4),
        a * (-fz1 + fz2 + fz3 - fz4),
        b * (-fx12 + fx34) + a * (fy14 - fy23),
    ])
    return np.vstack([F, M]), np.array([0.0, 0.0, az0])


def _norm_label(label: str) -> str:
    """A point label as labs vary it: without the subject prefix Vicon adds ("Anna:LASI"),
    case, spaces, dots and underscores ("L.ASIS", "l_asis" and "LASIS" are one name)."""
    return re.sub(r"[^A-Z0-9]", "", label.split(":")[-1].upper())


def _marker(points: FloatArray, labels: list[str], *names: str) -> FloatArray | None:
    """The first of ``names`` that the file holds with data, matched by :func:`_norm_label`."""
    index: dict[str, int] = {}
    for i, lab in enumerate(labels):
        index.setdefault(_norm_label(lab), i)
    for n in names:
        i = index.get(_norm_label(n), -1)
        if i >= 0:
            m = points[:3, i, :].astype(np.float64)
            if np.isfinite(m).any() and np.nanmax(np.abs(m)) > 0:
                return m
    return None


def read_c3d(path: Path) -> GaitData:
    """Read a C3D file into the belt frame; raise UserError on anything unusable."""
    import ezc3d  # heavy import only when a C3D is read

    check_c3d_complete(path)
    try:
        c = ezc3d.c3d(str(path))
    except Exception as exc:
        raise UserError(f"{path.name}: cannot read this C3D file ({exc})") from None
    notes: list[str] = []
    labels = [str(x).strip() for x in _param(c, "POINT", "LABELS", [])]
    points = np.asarray(c["data"]["points"], dtype=np.float64)
    p_rate = float(c["header"]["points"]["frame_rate"])
    a_rate = float(c["header"]["analogs"]["frame_rate"])
    first = int(c["header"]["points"]["first_frame"])
    pos_unit = str(_param(c, "POINT", "UNITS", ["mm"])[0]).strip().lower()
    pscale = _UNIT_TO_SI.get(pos_unit, 1e-3)
    analogs = np.asarray(c["data"]["analogs"], dtype=np.float64)
    analogs = analogs[0] if analogs.ndim == 3 else analogs
    a_labels = [str(x).strip() for x in _param(c, "ANALOG", "LABELS", [])]
    # A lab whose vertical is not +z (Y-up labs) is turned into a Z-up one: its markers and
    # plate corners; model outputs stored as points (joint angles) keep the file's values.
    lab_points = points
    index: dict[str, int] = {}
    for i, lab in enumerate(labels):
        index.setdefault(_norm_label(lab), i)
    corners = np.asarray(_param(c, "FORCE_PLATFORM", "CORNERS", []), dtype=float)
    vertical = vertical_axis(points, index, corners)
    to_z_up = None
    if vertical is not None and vertical != (2, 1.0):
        to_z_up = to_z_up_rotation(*vertical)
        points = points.copy()
        points[:3] = np.einsum("ij,jpf->ipf", to_z_up, points[:3])
        sense = "+" if vertical[1] > 0 else "-"
        notes.append(f"the lab's vertical axis is {sense}{'XYZ'[vertical[0]]}: "
                     "markers and plates turned to a Z-up frame")
    plates = _plates(c, analogs, a_labels, to_z_up) if analogs.size else []
    n_frames = points.shape[2]
    if n_frames == 0 and not analogs.size:
        raise UserError(f"{path.name}: the file holds no frames")

    # Belt frame from pelvis markers.
    asis = [
        m
        for m in (_marker(points, labels, n) for n in ("LASI", "RASI", "LASIS", "RASIS"))
        if m is not None
    ]
    psis = [
        m
        for m in (_marker(points, labels, n) for n in ("LPSI", "RPSI", "LPSIS", "RPSIS"))
        if m is not None
    ]
    if not psis:  # a single sacral marker instead of the two PSIS (Plug-in Gait allows it)
        sacrum = _marker(points, labels, "SACR", "SACRUM", "SAC")
        psis = [sacrum] if sacrum is not None else []
    up = np.array([0.0, 0.0, 1.0])
    pelvis = None
    if asis and psis:
        front = np.nanmean(np.stack(asis), axis=0)
        back = np.nanmean(np.stack(psis), axis=0)
        d = np.nanmean(front - back, axis=1)
        d[2] = 0.0
        fwd = d / np.linalg.norm(d)
        pelvis = 0.5 * (front + back) * pscale
    elif plates:
        span = np.ptp(np.stack([p["cop"] for p in plates]), axis=(0, 2))
        fwd = (
            np.array([1.0, 0.0, 0.0])
            if np.nanargmax(np.nan_to_num(span[:2])) == 0
            else np.array([0.0, 1.0, 0.0])
        )
        notes.append("no pelvis markers: forward taken as the lab axis along the plates")
    else:
        fwd = np.array([1.0, 0.0, 0.0])
    left = np.cross(up, fwd)
    to_belt = np.vstack([fwd, left, up])

    heels = {s: _marker(points, labels, f"{s[0].upper()}HEE", f"{s[0].upper()}HEEL",
                        f"{s[0].upper()}CAL") for s in ("left", "right")}
    toes = {
        s: _marker(points, labels, f"{s[0].upper()}TOE", f"{s[0].upper()}MT2",
                   f"{s[0].upper()}MET2", f"{s[0].upper()}MT1")
        for s in ("left", "right")
    }
    t_p = np.arange(n_frames) / p_rate if p_rate > 0 else np.empty(0)
    t_a = np.arange(analogs.shape[1]) / a_rate if analogs.size else np.empty(0)

    force_ch: dict[str, FloatArray] = {}
    overground_speed = None
    if pelvis is not None:
        overground_speed = _progression_speed(fwd @ pelvis, t_p)
    if plates and overground_speed is not None and all(h is not None for h in heels.values()):
        # Overground, either foot may step on any plate: each contact goes to its foot.
        force_ch = _contacts_to_feet(plates, heels, to_belt, t_a, t_p, pscale)
        notes.append("overground: each plate contact given to the foot whose heel is over it")
    elif plates:
        assign = _assign_plates(plates, heels, t_a, t_p, pscale, left)
        if assign[1] == "order":
            notes.append("plates given to feet by order (plate 1 = left): no heel markers")
        for side, k in assign[0].items():
            F = to_belt @ plates[k]["force"]
            cop = to_belt @ plates[k]["cop"]
            force_ch[f"grf_x_{side}"] = F[0]
            force_ch[f"grf_y_{side}"] = F[1]
            force_ch[f"grf_z_{side}"] = F[2]
            loaded = F[2] > 20.0
            force_ch[f"cop_x_{side}"] = np.where(loaded, cop[0], np.nan)
            force_ch[f"cop_y_{side}"] = np.where(loaded, cop[1], np.nan)
    kin: dict[str, FloatArray] = {}
    for side in ("left", "right"):
        L = side[0].upper()
        for joint, name in (("hip", "HipAngles"), ("knee", "KneeAngles"), ("ankle", "AnkleAngles")):
            m = _marker(lab_points, labels, f"{L}{name}")
            if m is not None:
                kin[f"{joint}_angle_{side}"] = np.radians(m[0])
        if pelvis is not None:
            pfwd = fwd @ pelvis
            h = heels[side]
            if h is not None:
                kin[f"foot_x_{side}"] = fwd @ (h * pscale) - pfwd
            tt = toes[side]
            if tt is not None:
                kin[f"toe_x_{side}"] = fwd @ (tt * pscale) - pfwd
            if h is not None:
                # In the lab (ground) frame: with the belt speed (zero overground) this gives
                # step lengths on a treadmill and overground alike.
                kin[f"heel_x_{side}"] = fwd @ (h * pscale)
    if pelvis is not None:
        kin["pelvis_lateral"] = left @ pelvis
        if overground_speed is not None:
            notes.append(f"overground walking: the pelvis travels at {overground_speed:.2f} m/s")
    mass = _param(c, "PROCESSING", "Bodymass")
    body_mass = float(np.asarray(mass).ravel()[0]) if mass is not None else None
    data = GaitData(
        source="real",
        origin=f"C3D file {path.name}",
        forces=SignalBlock(t_a, a_rate, force_ch) if force_ch else None,
        kinematics=SignalBlock(t_p, p_rate, kin) if kin else None,
        body_mass_kg=body_mass if body_mass and body_mass > 0 else None,
        notes=notes,
        duration_s=max(float(t_p[-1]) if len(t_p) else 0.0, float(t_a[-1]) if len(t_a) else 0.0),
    )
    data.file_events = _file_events(c, first / p_rate if p_rate else 0.0)
    if overground_speed is not None:
        data.belt_speed_m_s = 0.0
        data.walking_speed_m_s = overground_speed
    elif force_ch and heels["left"] is not None and data.forces is not None:
        data.belt_speed_m_s = _belt_speed(data, heels, fwd, pscale, t_p)
    return data


#: Pelvis speed over the ground above which a trial is overground walking, not a treadmill
#: (on a treadmill the pelvis stays within a few centimetres of its mean position).
OVERGROUND_MIN_SPEED_M_S = 0.15


def _progression_speed(pelvis_x: FloatArray, t_p: FloatArray) -> float | None:
    """The pelvis's mean forward speed over the ground, when it walks overground; else None."""
    ok = np.isfinite(pelvis_x)
    if ok.sum() < 10:
        return None
    x, t = pelvis_x[ok], t_p[ok]
    slope = float(np.polyfit(t, x, 1)[0])
    return abs(slope) if abs(slope) > OVERGROUND_MIN_SPEED_M_S else None


#: A plate is loaded (a contact) above this vertical force.
CONTACT_N = 20.0


def _contacts_to_feet(
    plates: list[dict[str, FloatArray]],
    heels: dict[str, FloatArray | None],
    to_belt: FloatArray,
    t_a: FloatArray,
    t_p: FloatArray,
    pscale: float,
) -> dict[str, FloatArray]:
    """Per-foot force and COP channels from plates that either foot may step on: each loaded
    run of a plate goes to the foot whose heel is nearest its centre of pressure 30 ms after
    the landing (the analysis spots a second foot on the same plate by its centre of
    pressure). Outside its contacts a foot reads zero force (off the plates)."""
    n = len(t_a)
    out: dict[str, FloatArray] = {}
    for side in ("left", "right"):
        for q in ("grf_x", "grf_y", "grf_z"):
            out[f"{q}_{side}"] = np.zeros(n)
        for q in ("cop_x", "cop_y"):
            out[f"{q}_{side}"] = np.full(n, np.nan)
    heel_xy = {s: np.vstack([np.interp(t_a, t_p, h[i] * pscale) for i in (0, 1)])
               for s, h in heels.items() if h is not None}
    for p in plates:
        F = to_belt @ p["force"]
        cop_belt = to_belt @ p["cop"]
        loaded = p["force"][2] > CONTACT_N
        d = np.diff(loaded.astype(np.int8), prepend=0, append=0)
        for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
            # Just after the landing the pressure is under the landing heel (at the peak
            # load it may be under the toes, next to the other, swinging heel).
            k = min(a + int(np.searchsorted(t_a[a:b], t_a[a] + 0.03)), b - 1)
            dist = {s: float(np.hypot(*(xy[:, k] - p["cop"][:2, k]))) for s, xy in heel_xy.items()
                    if np.all(np.isfinite(xy[:, k]))}
            if not dist or not np.all(np.isfinite(p["cop"][:2, k])):
                continue
            side = min(dist, key=dist.__getitem__)
            for i, q in enumerate(("grf_x", "grf_y", "grf_z")):
                out[f"{q}_{side}"][a:b] += F[i, a:b]
            out[f"cop_x_{side}"][a:b] = cop_belt[0, a:b]
            out[f"cop_y_{side}"][a:b] = cop_belt[1, a:b]
    return out


def _assign_plates(
    plates: list[dict[str, FloatArray]],
    heels: dict[str, FloatArray | None],
    t_a: FloatArray,
    t_p: FloatArray,
    pscale: float,
    lateral: FloatArray,
) -> tuple[dict[Side, int], str]:
    """Which plate is under which foot: the heel marker laterally nearest the loaded COP.

    Only the medio-lateral distance counts: along the belt, the swinging foot can be anywhere.
    """
    if len(plates) == 1:
        return {"left": 0}, "single"
    if heels["left"] is None or heels["right"] is None:
        return {"left": 0, "right": 1}, "order"
    score = np.zeros((len(plates), 2))
    for k, p in enumerate(plates):
        fz = p["force"][2]
        loaded = fz > 0.5 * np.nanmax(fz)
        cop = lateral @ (np.nanmedian(p["cop"][:, loaded], axis=1) if loaded.any() else p["centre"])
        tl = t_a[loaded]
        for j, side in enumerate(("left", "right")):
            h = heels[side]
            assert h is not None
            hl = np.interp(tl, t_p, lateral @ (h * pscale))
            score[k, j] = abs(float(np.nanmedian(hl)) - float(cop))
    k_left = int(np.argmin(score[:, 0] - score[:, 1]))
    k_right = int(np.argmin(score[:, 1] - score[:, 0]))
    if k_left == k_right:
        return {"left": 0, "right": 1}, "order"
    return {"left": k_left, "right": k_right}, "markers"


def _belt_speed(
    data: GaitData,
    heels: dict[str, FloatArray | None],
    fwd: FloatArray,
    pscale: float,
    t_p: FloatArray,
) -> float | None:
    """Belt speed from the heel marker's backward speed while its plate is loaded."""
    assert data.forces is not None
    speeds = []
    for side, h in heels.items():
        fz = data.forces.get(f"grf_z_{side}")
        if h is None or fz is None or len(t_p) < 3:
            continue
        x = fwd @ (h * pscale)
        v = np.gradient(x, t_p)
        load = np.interp(t_p, data.forces.time, fz)
        stance = load > 0.5 * np.nanmax(load)
        if stance.sum() > 5:
            speeds.append(float(-np.nanmedian(v[stance])))
    return float(np.mean(speeds)) if speeds else None


def _file_events(c: Any, t0: float) -> list[GaitEvent]:
    """Foot Strike / Foot Off events stored in the file, in seconds from its first frame."""
    used = _param(c, "EVENT", "USED")
    if used is None or int(np.asarray(used).ravel()[0]) == 0:
        return []
    times = np.asarray(_param(c, "EVENT", "TIMES", []), dtype=float)
    labels = [str(x).strip().lower() for x in _param(c, "EVENT", "LABELS", [])]
    ctx = [str(x).strip().lower() for x in _param(c, "EVENT", "CONTEXTS", [])]
    out = []
    for i, (lab, cx) in enumerate(zip(labels, ctx, strict=False)):
        kind = "heel_strike" if "strike" in lab else "toe_off" if "off" in lab else None
        side: Side | None = (
            "left" if cx.startswith("l") else "right" if cx.startswith("r") else None
        )
        if kind is None or side is None or times.ndim != 2:
            continue
        t = float(times[0, i] * 60.0 + times[1, i]) - t0
        out.append(GaitEvent(t, side, kind, "file"))  # type: ignore[arg-type]
    out.sort(key=lambda e: e.time_s)
    return out
