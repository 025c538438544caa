"""The whole analysis of one file: events, strides, metrics, cycles, EMG, as one JSON dict.

``analyze_path`` is the public entry (the CLI and the clinic store call it); ``analyze_data``
does the work on a GaitData so tests and the validation can feed arrays directly.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from gaitway.analytics.emg import EmgParams, EmgPipeline, cycle_timing
from gaitway.analytics.events import (
    ForcePlateEventDetector,
    ForcePlateParams,
    KinematicEventDetector,
    events_from_contact,
)
from gaitway.analytics.gait_data import SIDES, FloatArray, GaitData, GaitEvent, Side
from gaitway.analytics.scoring import score_events
from gaitway.analytics.session_metrics import SYMMETRY_FORMULAS, session_metrics
from gaitway.analytics.stride_metrics import N_CYCLE, UNIT_CYCLE, stride_record
from gaitway.analytics.strides import build_strides
from gaitway.errors import UserError

SCHEMA_VERSION = 1
#: per-stride values that come from the belt under the foot (dropped when a foot crossed)
FORCE_KEYS = (
    "peak_force_n",
    "mean_stance_force_n",
    "peak_force_pct_bw",
    "mean_stance_force_pct_bw",
    "load_share_pct",
    "cop_path_length_m",
    "cop_ml_range_m",
)


def load_path(
    path: str | Path, *, emg: bool = True, truth: bool = True,
    start_s: float | None = None, end_s: float | None = None,
) -> tuple[GaitData, dict[str, FloatArray]]:
    """Read a Gaitway recording, C3D or CSV file; the dict holds simulation truth if any.

    ``emg=False`` / ``truth=False`` let a Gaitway recording skip channels the caller would
    drop (C3D and CSV files are read whole). ``start_s``/``end_s`` (session time, s) read a
    window of a Gaitway recording.
    """
    p = Path(path)
    if not p.exists():
        raise UserError(f"{p}: no such file or directory")
    suffix = p.suffix.lower()
    windowed = start_s is not None or end_s is not None
    if windowed and (p.is_file() and suffix != ".gwrec"):
        raise UserError(f"{p.name}: --from/--to read a window of a Gaitway recording only; "
                        "C3D and CSV files are analysed whole")
    if suffix in (".c3d", ".csv", ".txt") and not p.is_file():
        raise UserError(f"{p}: is not a file; give a {suffix} file")
    if suffix == ".c3d":
        from gaitway.analytics.readers.c3d_reader import read_c3d

        return read_c3d(p), {}
    if suffix in (".csv", ".txt"):
        from gaitway.analytics.readers.csv_reader import read_csv

        return read_csv(p), {}
    if p.is_dir() or suffix == ".gwrec":
        from gaitway.analytics.readers.recording_reader import read_recording

        return read_recording(p, emg=emg, truth=truth, start_s=start_s, end_s=end_s)
    raise UserError(
        f"{p.name}: unknown file type {suffix!r}; give a Gaitway recording (.gwrec or its "
        "folder), a .c3d or a .csv file"
    )


def detect_events(
    data: GaitData, params: ForcePlateParams | None = None
) -> tuple[list[GaitEvent], dict[str, object]]:
    """Force plates when there are any, else kinematics; raise when neither exists."""
    sides = data.sides_with_force()
    if sides and data.forces is not None:
        if params is None and len(sides) == 1:
            params = ForcePlateParams(crosstalk_coefficient=0.0)
        f = data.forces
        cop = {s: f.channels[f"cop_x_{s}"] for s in sides if f.has(f"cop_x_{s}")}
        belt: FloatArray | float | None = data.belt_speed_m_s
        if f.has("belt_speed_left", "belt_speed_right"):
            belt = 0.5 * (f.channels["belt_speed_left"] + f.channels["belt_speed_right"])
        det = ForcePlateEventDetector(params=params).detect(
            {s: f.channels[f"grf_z_{s}"] for s in sides},
            f.time,
            sampling_rate_hz=f.sampling_rate_hz,
            cop_x=cop or None,
            belt_speed_m_s=belt,
        )
        info = det.parameters()
        info["crossings"] = det.crossings_
        events = det.events_
        kin = data.kinematics
        if det.crossings_ and kin is not None and kin.has("foot_x_left", "foot_x_right"):
            events, n = _fill_toe_offs(events, data)
            info["toe_offs_from_kinematics"] = n
        info["load_reference_n"] = round(det.load_reference_n_, 2)
        info["thresholds_n"] = {k: round(v, 2) for k, v in det.thresholds_n_.items()}
        return events, info
    k = data.kinematics
    if k is not None and (k.has("foot_x_left") or k.has("foot_x_right")):
        return kinematic_events(data), KinematicEventDetector().parameters()
    raise UserError(
        f"{data.origin}: no force-plate data and no foot markers or joint angles: "
        "gait events cannot be detected"
    )


def kinematic_events(data: GaitData) -> list[GaitEvent]:
    """Events from foot positions (and foot heights when known) of the kinematics block."""
    k = data.kinematics
    assert k is not None

    def pick(q: str) -> dict[Side, FloatArray]:
        return {s: k.channels[f"{q}_{s}"] for s in SIDES if k.has(f"{q}_{s}")}

    det = KinematicEventDetector().detect(
        pick("foot_x"),
        k.time,
        sampling_rate_hz=k.sampling_rate_hz,
        toe_x=pick("toe_x") or None,
        foot_z=pick("foot_z") or None,
    )
    return det.events_


def _fill_toe_offs(events: list[GaitEvent], data: GaitData) -> tuple[list[GaitEvent], int]:
    """Toe-offs hidden by a crossing foot, taken from the marker method when it has exactly
    one toe-off inside the gap (a stance with a heel strike but no toe-off)."""
    kin = kinematic_events(data)
    added: list[GaitEvent] = []
    for side in SIDES:
        own = [e for e in events if e.side == side]
        for a, b in itertools.pairwise(own):
            if a.kind == "heel_strike" and b.kind == "heel_strike":
                cand = [
                    e
                    for e in kin
                    if e.side == side and e.kind == "toe_off" and a.time_s < e.time_s < b.time_s
                ]
                if len(cand) == 1:
                    added.append(cand[0])
    return sorted(events + added, key=lambda e: e.time_s), len(added)


def _cycles(curves: dict[Side, dict[str, list[FloatArray]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side, joints in curves.items():
        for joint, rows in joints.items():
            if not rows:
                continue
            m = np.vstack(rows)
            out.setdefault(side, {})[joint] = {
                "unit": "deg",
                "n_strides": len(rows),
                "mean": np.round(m.mean(axis=0), 3).tolist(),
                "sd": np.round(m.std(axis=0, ddof=1) if len(rows) > 1 else m[0] * 0, 3).tolist(),
            }
    return out


def _emg(
    data: GaitData, valid: dict[Side, list[tuple[float, float]]], params: EmgParams
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if data.emg is None:
        return out
    fs = data.emg.sampling_rate_hz
    for name, raw in data.emg.channels.items():
        side: Side = "left" if name.endswith("_left") else "right"
        pipe = EmgPipeline(params=params).process(raw, sampling_rate_hz=fs)
        cycles = valid.get(side, [])
        timing = cycle_timing(pipe.onsets_s_, pipe.offsets_s_, cycles)
        active = [sum(b - a for a, b in c) for c in timing]
        grid = (
            np.interp(
                (np.array(cycles)[:, :1] + np.diff(cycles, axis=1) * UNIT_CYCLE).ravel(),
                data.emg.time,
                pipe.normalised_,
            ).reshape(len(cycles), N_CYCLE)
            if cycles
            else []
        )
        out[name] = {
            "normalisation": params.normalisation,
            "normalisation_reference_v": pipe.normalisation_reference_v_,
            "onset_threshold_v": pipe.threshold_v_,
            "activation_per_cycle_pct": [[list(iv) for iv in c] for c in timing],
            "mean_active_pct_of_cycle": round(float(np.mean(active)), 2) if active else None,
            "envelope_cycle_mean": np.round(np.mean(grid, axis=0), 4).tolist() if len(grid) else [],
            "median_frequency": {
                "window_s": params.mdf_window_s,
                "time_s": np.round(pipe.mdf_time_s_, 3).tolist(),
                "hz": np.round(pipe.median_frequency_hz_, 2).tolist(),
                "slope_hz_per_min": None
                if math.isnan(pipe.mdf_slope_hz_per_min_)
                else round(pipe.mdf_slope_hz_per_min_, 3),
            },
        }
    return out


def analyze_data(
    data: GaitData,
    *,
    body_mass_kg: float | None = None,
    truth: dict[str, FloatArray] | None = None,
    force_params: ForcePlateParams | None = None,
    emg_params: EmgParams | None = None,
) -> dict[str, Any]:
    """Analyse one GaitData; returns the JSON-ready result (see the CLI's --json)."""
    if body_mass_kg is not None and not 10 <= body_mass_kg <= 400:
        raise UserError(f"body mass {body_mass_kg} kg is implausible; give it in kilograms")
    mass = body_mass_kg if body_mass_kg is not None else data.body_mass_kg
    mass_src = "argument" if body_mass_kg is not None else "file" if mass else "unknown"
    detected, ev_params = detect_events(data, force_params)
    events = detected
    comparison = None
    if data.file_events:
        events = data.file_events
        comparison = score_events(detected, data.file_events).as_dict()
    crossing_times = [float(c["time_s"]) for c in ev_params.get("crossings", [])]  # type: ignore[attr-defined]
    strides: dict[str, list[dict[str, float | None]]] = {}
    rejected: dict[str, list[dict[str, object]]] = {}
    curves: dict[Side, dict[str, list[FloatArray]]] = {}
    valid_cycles: dict[Side, list[tuple[float, float]]] = {}
    for side in SIDES:
        recs = []
        for s in build_strides(events, side):
            if not s.valid:
                rejected.setdefault(side, []).append(
                    {"start_s": round(s.heel_strike_s, 4), "reason": s.reason}
                )
                continue
            rec, c = stride_record(data, s, body_mass_kg=mass)
            if any(s.heel_strike_s - 0.2 <= t <= s.next_heel_strike_s for t in crossing_times):
                # A foot on the wrong belt: belt forces are not this leg's load.
                for key in FORCE_KEYS:
                    rec.pop(key, None)
                rec["foot_crossing"] = 1.0
            recs.append(rec)
            valid_cycles.setdefault(side, []).append((s.heel_strike_s, s.next_heel_strike_s))
            for joint, curve in c.items():
                curves.setdefault(side, {}).setdefault(joint, []).append(curve)
        if recs or any(e.side == side for e in events):
            strides[side] = recs
    hs = [e for e in events if e.kind == "heel_strike"]
    walking_s = (hs[-1].time_s - hs[0].time_s) if len(hs) > 1 else 0.0
    metrics = session_metrics(data, strides, len(hs), walking_s)
    emg_p = emg_params or EmgParams()
    result: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": data.source,
        "origin": data.origin,
        "notes": list(data.notes),
        "parameters": {
            "events": ev_params,
            "event_source": "file" if data.file_events else "detected",
            "strides": {"min_stride_s": 0.4, "max_stride_s": 5.0},
            "cycle_points": N_CYCLE,
            "body_mass_kg": mass,
            "body_mass_source": mass_src,
            "emg": asdict(emg_p),
            "symmetry_formulas": SYMMETRY_FORMULAS,
            "sides": "L = left, R = right",
        },
        "events": [e.as_dict() for e in events],
        "strides": strides,
        "rejected_strides": rejected,
        "metrics": metrics,
        "cycles": _cycles(curves),
        "emg": _emg(data, valid_cycles, emg_p),
    }
    if comparison is not None:
        result["detected_vs_file_events"] = comparison
    if truth:
        ref = []
        for side in SIDES:
            contact = truth.get(f"truth_contact_{side}")
            if contact is not None and data.forces is not None:
                ref += events_from_contact(contact, data.forces.time, side)
        if ref:
            result["validation"] = {
                "events_vs_simulation_truth": score_events(
                    detected, ref, window=(0.5, data.duration_s - 0.5)
                ).as_dict(),
                "window_s": [0.5, round(data.duration_s - 0.5, 3)],
            }
    if data.source == "simulated":
        result["notes"].insert(0, "SIMULATED data from a virtual patient, not a real person")
    return result


def analyze_path(path: str | Path, *, body_mass_kg: float | None = None) -> dict[str, Any]:
    """Analyse a Gaitway recording, C3D or CSV file: the JSON that ``gaitway analyze`` writes."""
    data, truth = load_path(path)
    return analyze_data(data, body_mass_kg=body_mass_kg, truth=truth)
