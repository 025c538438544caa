"""Per-stride clinical metrics, computed the same way offline and live.

Each metric is computed only when the signals it needs exist; a record never holds a made-up
value. Step length on a treadmill: the belt carries the trailing foot backwards, so the distance
between the feet at heel strike is belt speed x step time plus the difference of the two feet's
landing positions on the belt.

Active participation per joint and phase: the cuff torque the robot applies to the leg, taken
against the direction the joint moves. A passive leg must be pushed along its motion (negative
participation); a patient who leads the robot is held back by the cuff (positive). The same
formula on the simulation's true voluntary torque is its ground truth.
"""

from __future__ import annotations

import math

import numpy as np

from gaitway.analytics.gait_data import FloatArray, GaitData, Side, SignalBlock
from gaitway.analytics.strides import Stride

JOINTS = ("hip", "knee", "ankle")
DRIVEN = {"hip": "thigh", "knee": "shank"}
N_CYCLE = 101
#: The centre of pressure's path is measured on its 10-ms means: the sample-to-sample noise
#: of a plate's COP (about 1 mm a sample on the real overground trial's 2,400-Hz plates) adds
#: up with the sampling rate, and made a stance whose COP spans 7 cm report a 1.22-m path.
COP_BIN_S = 0.01
UNIT_CYCLE = np.linspace(0.0, 1.0, N_CYCLE)


def _idx(block: SignalBlock, t0: float, t1: float) -> tuple[int, int]:
    i, j = block.time.searchsorted((t0, t1)).tolist()
    return i, j


def _value_at(block: SignalBlock, name: str, t: float) -> float | None:
    x = block.get(name)
    if x is None:
        return None
    i = min(int(block.time.searchsorted(t)), len(x) - 1)
    v = float(x[i])
    return v if math.isfinite(v) else None


def _r(x: float | None, nd: int = 4) -> float | None:
    """``x`` rounded to ``nd`` decimals; None for None, NaN or infinite."""
    if x is None:
        return None
    v = float(x)
    return round(v, nd) if math.isfinite(v) else None


def foot_position_source(data: GaitData, side: Side) -> tuple[SignalBlock, str, float] | None:
    """Where a foot's forward landing position is read (lab frame, m): the block, the channel
    and the time offset after heel strike; None if the file has no source.

    One source per file for both feet, so a step never mixes frames: heel markers in the lab
    frame when both feet have them, else the plates' centre of pressure 30 ms after the
    strike (once the foot has settled on the plate), else the foot position from joint angles
    (pelvis-relative, valid only where the pelvis stays put: the twin's treadmill; overground
    the pelvis moves, so it is not used there). The per-stride and the batched metrics both
    ask this.
    """
    k, f = data.kinematics, data.forces
    if k is not None and k.has("heel_x_left", "heel_x_right"):
        return k, f"heel_x_{side}", 0.0
    if f is not None and f.has("cop_x_left", "cop_x_right"):
        return f, f"cop_x_{side}", 0.03
    if k is not None and k.has(f"foot_x_{side}") and data.walking_speed_m_s is None:
        return k, f"foot_x_{side}", 0.0
    return None


def foot_position(data: GaitData, side: Side, t: float) -> float | None:
    """Forward landing position of a foot shortly after heel strike (lab frame, m), from
    :func:`foot_position_source`."""
    src = foot_position_source(data, side)
    if src is None:
        return None
    block, channel, offset_s = src
    return _value_at(block, channel, t + offset_s)


def belt_speed(data: GaitData, side: Side, t0: float, t1: float) -> float | None:
    if data.forces is not None and data.forces.has(f"belt_speed_{side}"):
        i, j = _idx(data.forces, t0, t1)
        if j > i:
            return float(data.forces.channels[f"belt_speed_{side}"][i:j].sum()) / (j - i)
    return data.belt_speed_m_s


def stride_record(
    data: GaitData, s: Stride, *, body_mass_kg: float | None
) -> tuple[dict[str, float | None], dict[str, FloatArray]]:
    """One stride's metrics and its normalised joint-angle curves (degrees, 101 points)."""
    a, b = s.heel_strike_s, s.next_heel_strike_s
    T = b - a
    rec: dict[str, float | None] = {
        "start_s": _r(a),
        "end_s": _r(b),
        "stride_time_s": _r(T),
        "cadence_steps_per_min": _r(120.0 / T, 2),
    }
    if s.toe_off_s is not None:
        stance = s.toe_off_s - a
        rec["stance_time_s"] = _r(stance)
        rec["swing_time_s"] = _r(b - s.toe_off_s)
        rec["stance_pct"] = _r(100 * stance / T, 2)
        rec["swing_pct"] = _r(100 * (b - s.toe_off_s) / T, 2)
        if (
            s.contra_toe_off_s is not None
            and s.contra_heel_strike_s is not None
            and s.contra_toe_off_s < s.toe_off_s
            and s.contra_heel_strike_s < s.toe_off_s
        ):
            ds = (s.contra_toe_off_s - a) + (s.toe_off_s - s.contra_heel_strike_s)
            rec["double_support_pct"] = _r(100 * ds / T, 2)
            rec["single_support_pct"] = _r(
                100 * (s.contra_heel_strike_s - s.contra_toe_off_s) / T, 2
            )
    step_t = None
    if s.prev_contra_heel_strike_s is not None:
        step_t = a - s.prev_contra_heel_strike_s
        rec["step_time_s"] = _r(step_t)
    v = belt_speed(data, s.side, a, b)
    if v is not None:
        rec["belt_speed_m_s"] = _r(v)
        other: Side = "right" if s.side == "left" else "left"
        p_here = foot_position(data, s.side, a)
        p_next = foot_position(data, s.side, b)
        if p_here is not None and p_next is not None:
            rec["stride_length_m"] = _r(v * T + p_next - p_here)
        if step_t is not None and s.prev_contra_heel_strike_s is not None:
            p_other = foot_position(data, other, s.prev_contra_heel_strike_s)
            if p_here is not None and p_other is not None:
                rec["step_length_m"] = _r(v * step_t + p_here - p_other)
    _force_metrics(data, s, rec, body_mass_kg)
    curves = _kinematic_metrics(data, s, rec)
    return rec, curves


def _force_metrics(
    data: GaitData, s: Stride, rec: dict[str, float | None], body_mass_kg: float | None
) -> None:
    f = data.forces
    if f is None or not f.has(f"grf_z_{s.side}"):
        return
    other: Side = "right" if s.side == "left" else "left"
    end = s.toe_off_s if s.toe_off_s is not None else s.next_heel_strike_s
    i, j = _idx(f, s.heel_strike_s, end)
    if j - i < 2:
        return
    fz = f.channels[f"grf_z_{s.side}"][i:j]
    peak, mean = float(fz.max()), float(fz.sum()) / len(fz)
    rec["peak_force_n"] = _r(peak, 1)
    rec["mean_stance_force_n"] = _r(mean, 1)
    if body_mass_kg:
        bw = body_mass_kg * 9.81
        rec["peak_force_pct_bw"] = _r(100 * peak / bw, 2)
        rec["mean_stance_force_pct_bw"] = _r(100 * mean / bw, 2)
    if f.has(f"grf_z_{other}"):
        k, m = _idx(f, s.heel_strike_s, s.next_heel_strike_s)
        own = float(np.maximum(f.channels[f"grf_z_{s.side}"][k:m], 0).sum())
        oth = float(np.maximum(f.channels[f"grf_z_{other}"][k:m], 0).sum())
        if own + oth > 0:
            rec["load_share_pct"] = _r(100 * own / (own + oth), 2)
    if f.has(f"cop_x_{s.side}", f"cop_y_{s.side}"):
        # Trim the first and last 10 % of stance: the centre of pressure is unreliable at
        # light load.
        n = j - i
        c0, c1 = i + n // 10, j - n // 10
        if c1 - c0 > 2:
            cx = f.channels[f"cop_x_{s.side}"][c0:c1]
            cy = f.channels[f"cop_y_{s.side}"][c0:c1]
            k = max(1, round(COP_BIN_S * f.sampling_rate_hz))
            m = (c1 - c0) // k
            if m > 2:  # the path of the bins' sums, divided by the bin length: of their means
                bx = cx[: m * k].reshape(m, k).sum(axis=1) if k > 1 else cx
                by = cy[: m * k].reshape(m, k).sum(axis=1) if k > 1 else cy
                path = float(np.hypot(np.diff(bx), np.diff(by)).sum()) / k
                rec["cop_path_length_m"] = _r(path)
            rec["cop_ml_range_m"] = _r(float(cy.max() - cy.min()))


def _phase_mean(x: FloatArray, sign: FloatArray) -> float | None:
    return float(np.dot(x, sign)) / len(x) if len(x) else None


def _kinematic_metrics(
    data: GaitData, s: Stride, rec: dict[str, float | None]
) -> dict[str, FloatArray]:
    k = data.kinematics
    curves: dict[str, FloatArray] = {}
    if k is None:
        return curves
    i, j = _idx(k, s.heel_strike_s, s.next_heel_strike_s)
    if j - i < 5:
        return curves
    t = k.time[i:j]
    grid = s.heel_strike_s + (s.next_heel_strike_s - s.heel_strike_s) * UNIT_CYCLE
    to_j = j if s.toe_off_s is None else int(k.time.searchsorted(s.toe_off_s))
    for joint in JOINTS:
        ang = k.get(f"{joint}_angle_{s.side}")
        if ang is None:
            continue
        seg = ang[i:j]
        deg = np.degrees(seg)
        if not math.isfinite(float(deg.sum())):
            continue
        rec[f"rom_{joint}_deg"] = _r(float(deg.max() - deg.min()), 2)
        curves[joint] = np.interp(grid, t, deg)
        ref = k.get(f"ref_{joint}_angle_{s.side}")
        if ref is not None:
            err = np.degrees(seg - ref[i:j])
            rec[f"tracking_rmse_{joint}_deg"] = _r(math.sqrt(float(np.dot(err, err)) / len(err)), 3)
        cuff = DRIVEN.get(joint)
        tau = k.get(f"interaction_torque_{cuff}_{s.side}") if cuff else None
        if tau is not None:
            vel = k.get(f"{joint}_velocity_{s.side}")
            w = vel[i:j] if vel is not None else np.diff(seg, append=seg[-1])
            sgn = np.sign(w)
            for phase, (p0, p1) in (("stance", (0, to_j - i)), ("swing", (to_j - i, j - i))):
                val = _phase_mean(-tau[i:j][p0:p1], sgn[p0:p1])
                rec[f"participation_{joint}_{phase}_nm"] = _r(val, 3)
                vol = k.get(f"truth_voluntary_torque_{joint}_{s.side}")
                if vol is not None:
                    tv = _phase_mean(vol[i:j][p0:p1], sgn[p0:p1])
                    rec[f"truth_participation_{joint}_{phase}_nm"] = _r(tv, 3)
    for name, key in (("assist_level", "assist_level_pct"), ("guidance", "guidance_pct")):
        x = k.get(name)
        if x is not None:
            rec[key] = _r(100 * float(x[i:j].sum()) / (j - i), 2)
    lat = k.get("pelvis_lateral")
    if lat is not None:
        sway = float(lat[i:j].max() - lat[i:j].min())
        # exactly no sway is a channel that does not move (a twin without the pelvis's lateral
        # slide records a clean zero), not a measurement: left out, said in the session's
        # unavailable metrics
        if math.isfinite(sway) and sway > 0.0:
            rec["pelvis_sway_ml_m"] = _r(sway)
    return curves
