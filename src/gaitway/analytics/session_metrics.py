"""Session-level values and symmetry, each named by its formula so nobody has to guess."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from gaitway.analytics.gait_data import SIDES, GaitData

Metric = dict[str, object]


class Why(StrEnum):
    """Why a metric is absent: a closed set, so readers can act on it without parsing text."""

    NO_VALID_STRIDES = "no_valid_strides"
    ONE_SIDE_ONLY = "one_side_only"
    NOT_POSITIVE = "not_positive"
    NON_FINITE = "non_finite"
    IMPLAUSIBLE = "implausible"
    NO_BELT_SPEED = "no_belt_speed"
    CONSTANT_CHANNEL = "constant_channel"


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A metric that could not be computed: its name, the typed reason and a short detail."""

    name: str
    why: Why
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "why": self.why.value, "detail": self.detail}

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
    """The three symmetry measures of two positive side means; None when undefined.

    All three need both values positive: a duration, a length or a force that is zero or
    negative is a measurement failure, and near ``L + R = 0`` the index explodes (a
    step length averaging +0.5 m on one side and -0.49 m on the other gave 4,292 %).
    """
    if not (left > 0 and right > 0 and math.isfinite(left) and math.isfinite(right)):
        return {"symmetry_index": None, "symmetry_ratio": None, "gait_asymmetry": None}
    si = 100 * (left - right) / (0.5 * (left + right))
    return {
        "symmetry_index": si,
        "symmetry_ratio": left / right,
        "gait_asymmetry": 100 * abs(math.log(left / right)),
    }


def count_steps(heel_strikes_per_side: dict[str, int]) -> tuple[int, str]:
    """Steps and how they were counted: every heel strike when both feet are measured; twice
    one foot's heel strikes when only one is (a single belt or plate under one foot)."""
    measured = {s: n for s, n in heel_strikes_per_side.items() if n > 0}
    if len(measured) == 1:
        return 2 * next(iter(measured.values())), "2 x heel strikes of the one measured foot"
    return sum(measured.values()), "heel strikes of both feet"


def session_metrics(
    data: GaitData,
    strides: dict[str, list[dict[str, float | None]]],
    heel_strikes_per_side: dict[str, int],
    walking_s: float,
    unavailable: list[Unavailable] | None = None,
) -> dict[str, Metric]:
    """Means per side, symmetry, and session totals.

    A metric that cannot be computed is left out of the result and, when the caller passes
    ``unavailable``, recorded there with its typed reason.
    """
    out: dict[str, Metric] = {}
    gone = unavailable if unavailable is not None else []

    def put(name: str, value: float | None, unit: str, **extra: object) -> None:
        if value is not None and math.isfinite(value):
            out[name] = {"value": round(float(value), 4), "unit": unit, **extra}
        elif value is not None:
            gone.append(Unavailable(name, Why.NON_FINITE, f"computed {value!r}"))

    for key, unit in AVERAGED.items():
        for side in SIDES:
            put(f"{key}_{side}_mean", _mean(strides.get(side, []), key), unit)
    k = data.kinematics
    if (k is not None and k.has("pelvis_lateral") and any(strides.values())
            and not any("pelvis_sway_ml_m" in r for recs in strides.values() for r in recs)):
        gone.append(Unavailable("pelvis_sway_ml_m", Why.CONSTANT_CHANNEL,
                                "pelvis_lateral does not move in any stride (a model without "
                                "the pelvis's lateral motion records a constant)"))
    for key in SYMMETRY_OF:
        lm = _mean(strides.get("left", []), key)
        rm = _mean(strides.get("right", []), key)
        if lm is None or rm is None:
            if (lm is None) != (rm is None):
                gone.append(Unavailable(f"symmetry_{key}", Why.ONE_SIDE_ONLY,
                                        "only one side has this value"))
            continue
        sym = symmetry(lm, rm)
        si = sym["symmetry_index"]
        if si is None:
            gone.append(Unavailable(f"symmetry_{key}", Why.NOT_POSITIVE,
                                    f"side means L={lm:.4g}, R={rm:.4g} must both be > 0"))
            continue
        for sym_name, val in sym.items():
            unit = "1" if sym_name == "symmetry_ratio" else "%"
            put(f"{sym_name}_{key}", val, unit, formula=SYMMETRY_FORMULAS[sym_name])
    n_left = len(strides.get("left", []))
    n_right = len(strides.get("right", []))
    put("valid_strides_left", n_left, "count")
    put("valid_strides_right", n_right, "count")
    steps, how = count_steps(heel_strikes_per_side)
    put("steps", steps, "count", method=how)
    put("duration", data.duration_s, "s")
    all_st = [r["stride_time_s"] for s in strides.values() for r in s if r.get("stride_time_s")]
    if all_st:
        put("cadence", 120.0 / float(np.mean(all_st)), "steps/min")  # type: ignore[arg-type]
    else:
        gone.append(Unavailable("cadence", Why.NO_VALID_STRIDES, "no valid stride on any side"))
    speed, distance = _speed_and_distance(data, walking_s)
    if speed is None:
        gone.append(Unavailable("walking_speed", Why.NO_BELT_SPEED,
                                "no belt speed channel and none estimated from markers"))
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
    if data.walking_speed_m_s is not None:  # overground: the walker's own speed
        return data.walking_speed_m_s, data.walking_speed_m_s * walking_s
    if data.belt_speed_m_s is not None:
        return data.belt_speed_m_s, data.belt_speed_m_s * walking_s
    return None, None
