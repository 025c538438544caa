"""Session-level values and symmetry, each named by its formula so nobody has to guess."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from gaitway.analytics.gait_data import GaitData

Metric = dict[str, object]

SYMMETRY_FORMULAS = {
    "symmetry_index": "100 * (L - R) / (0.5 * (L + R))",
    "symmetry_ratio": "L / R",
    "gait_asymmetry": "100 * |ln(L / R)|",
}

#: per-stride key -> (session metric stem, unit)
AVERAGED = {
    "stride_time_s": "s",
    "step_time_s": "s",
    "stance_time_s": "s",
    "swing_time_s": "s",
    "stance_pct": "%",
    "swing_pct": "%",
    "double_support_pct": "%",
    "step_length_m": "m",
    "stride_length_m": "m",
    "peak_force_pct_bw": "%BW",
    "mean_stance_force_pct_bw": "%BW",
    "peak_force_n": "N",
    "mean_stance_force_n": "N",
    "load_share_pct": "%",
    "rom_hip_deg": "deg",
    "rom_knee_deg": "deg",
    "rom_ankle_deg": "deg",
    "tracking_rmse_hip_deg": "deg",
    "tracking_rmse_knee_deg": "deg",
    "participation_hip_stance_nm": "N*m",
    "participation_hip_swing_nm": "N*m",
    "participation_knee_stance_nm": "N*m",
    "participation_knee_swing_nm": "N*m",
    "assist_level_pct": "%",
    "guidance_pct": "%",
    "cop_path_length_m": "m",
    "pelvis_sway_ml_m": "m",
}
SYMMETRY_OF = (
    "step_time_s",
    "step_length_m",
    "stance_time_s",
    "swing_time_s",
    "peak_force_pct_bw",
    "peak_force_n",
    "load_share_pct",
)


def _mean(records: Sequence[dict[str, float | None]], key: str) -> float | None:
    vals = [r[key] for r in records if r.get(key) is not None]
    return float(np.mean(vals)) if vals else None  # type: ignore[arg-type]


def symmetry(left: float, right: float) -> dict[str, float | None]:
    si = 100 * (left - right) / (0.5 * (left + right)) if left + right != 0 else None
    sr = left / right if right != 0 else None
    ga = 100 * abs(math.log(left / right)) if left > 0 and right > 0 else None
    return {"symmetry_index": si, "symmetry_ratio": sr, "gait_asymmetry": ga}


def session_metrics(
    data: GaitData,
    strides: dict[str, list[dict[str, float | None]]],
    events_hs: int,
    walking_s: float,
) -> dict[str, Metric]:
    """Means per side, symmetry, and session totals."""
    out: dict[str, Metric] = {}

    def put(name: str, value: float | None, unit: str, **extra: object) -> None:
        if value is not None and math.isfinite(value):
            out[name] = {"value": round(float(value), 4), "unit": unit, **extra}

    for key, unit in AVERAGED.items():
        for side in ("left", "right"):
            put(f"{key}_{side}_mean", _mean(strides.get(side, []), key), unit)
    for key in SYMMETRY_OF:
        lm = _mean(strides.get("left", []), key)
        rm = _mean(strides.get("right", []), key)
        if lm is None or rm is None:
            continue
        for sym_name, val in symmetry(lm, rm).items():
            unit = "1" if sym_name == "symmetry_ratio" else "%"
            put(f"{sym_name}_{key}", val, unit, formula=SYMMETRY_FORMULAS[sym_name])
    n_left = len(strides.get("left", []))
    n_right = len(strides.get("right", []))
    put("valid_strides_left", n_left, "count")
    put("valid_strides_right", n_right, "count")
    put("steps", events_hs, "count")
    put("duration", data.duration_s, "s")
    all_st = [r["stride_time_s"] for s in strides.values() for r in s if r.get("stride_time_s")]
    if all_st:
        put("cadence", 120.0 / float(np.mean(all_st)), "steps/min")  # type: ignore[arg-type]
    speed, distance = _speed_and_distance(data, walking_s)
    put("walking_speed", speed, "m/s")
    put("distance", distance, "m")
    return out


def _speed_and_distance(data: GaitData, walking_s: float) -> tuple[float | None, float | None]:
    """Belt speed while moving and the distance the belts travelled (treadmill walking)."""
    f = data.forces
    if f is not None and f.has("belt_speed_left", "belt_speed_right"):
        v = 0.5 * (f.channels["belt_speed_left"] + f.channels["belt_speed_right"])
        moving = v[v > 0.05]
        speed = float(np.mean(moving)) if len(moving) else 0.0
        return speed, float(np.sum(np.clip(v, 0, None)) / f.sampling_rate_hz)
    if data.belt_speed_m_s is not None:
        return data.belt_speed_m_s, data.belt_speed_m_s * walking_s
    return None, None
