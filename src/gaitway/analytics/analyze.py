"""The whole analysis of one file: events, strides, metrics, cycles, EMG.

``analyze_result`` returns the typed :class:`~gaitway.analytics.result.AnalysisResult` (the
clinic store reads it); ``analyze_path`` and ``analyze_data`` its JSON (``gaitway analyze``),
from a file or from a GaitData that tests and the validation feed directly.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from gaitway.analytics.emg import EmgParams, cycle_timing, process_channels
from gaitway.analytics.events import (
    ForcePlateEventDetector,
    ForcePlateParams,
    KinematicEventDetector,
    events_from_contact,
)
from gaitway.analytics.gait_data import SIDES, FloatArray, GaitData, GaitEvent, Side
from gaitway.analytics.result import (
    ANALYSIS_SCHEMA_VERSION,
    AnalysisResult,
    GaitEventRecord,
    Metric,
)
from gaitway.analytics.scoring import TOLERANCE_S, agreement, score_events
from gaitway.analytics.session_metrics import (
    SYMMETRY_FORMULAS,
    Unavailable,
    Why,
    count_steps,
    session_metrics,
)
from gaitway.analytics.stride_batch import stride_records
from gaitway.analytics.stride_metrics import N_CYCLE, UNIT_CYCLE
from gaitway.analytics.strides import Stride, build_strides
from gaitway.errors import UserError

SCHEMA_VERSION = ANALYSIS_SCHEMA_VERSION
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
    kin_block = data.kinematics
    if (data.walking_speed_m_s is not None and sides and data.forces is not None
            and kin_block is not None and kin_block.has("foot_x_left", "foot_x_right")):
        return overground_events(data, params)
    if sides and data.forces is not None:
        if params is None and len(sides) == 1:
            params = ForcePlateParams(crosstalk_coefficient=0.0)
        elif params is None and data.plate_crosstalk is not None:
            # the plates' own leak (the twin's: none), not the treadmill preset's 4 %: a
            # threshold raised for a leak that is not there times a slowly unloading foot's
            # toe-off early (twin, hemiparetic, 30 % BWS: 10-16 ms)
            params = ForcePlateParams(crosstalk_coefficient=data.plate_crosstalk)
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
        info["partial_crossings"] = det.partial_crossings_
        events = det.events_
        kin = data.kinematics
        if det.crossings_ and kin is not None and kin.has("foot_x_left", "foot_x_right"):
            events, n = _fill_toe_offs(events, data, det.crossings_)
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


#: Overground, a plate contact times its foot's events only when the whole foot was on the
#: plate: its peak load is at least this fraction of body weight (a foot half on a plate
#: loads it less and its edges would be false events).
FULL_CONTACT_FRACTION = 0.6
#: One foot's centre of pressure runs from heel to toe, about a foot's length (0.2-0.3 m);
#: a longer run on one plate contact means a second foot on the same plate.
ONE_FOOT_COP_RANGE_M = 0.35
#: A kinematic event and a plate event of the same foot and kind this close are one event.
SAME_EVENT_S = 0.15


def overground_events(
    data: GaitData, params: ForcePlateParams | None = None
) -> tuple[list[GaitEvent], dict[str, object]]:
    """Every step of an overground trial: the marker method (Zeni) for all of them, replaced
    by the plate's timing where the foot landed fully on a plate. Each event says its source.
    """
    f = data.forces
    assert f is not None
    sides = data.sides_with_force()
    p = params or ForcePlateParams(crosstalk_coefficient=0.0)
    load = (data.body_mass_kg * 9.81 if data.body_mass_kg else
            float(max(np.max(f.channels[f"grf_z_{s}"]) for s in sides)))
    det = ForcePlateEventDetector(params=p).detect(
        {s: f.channels[f"grf_z_{s}"] for s in sides}, f.time,
        sampling_rate_hz=f.sampling_rate_hz, load_reference_n=load,
    )
    plate: list[GaitEvent] = []
    n_contacts = n_full = n_double = 0
    for side, runs in det.stance_runs_.items():
        x = det.filtered_forces_[side]  # type: ignore[index]
        cop = f.channels.get(f"cop_x_{side}")
        for a, b in runs:
            n_contacts += 1
            if a == 0 or b >= len(x) or float(np.max(x[a:b])) < FULL_CONTACT_FRACTION * load:
                continue  # cut by the file's ends, or a foot partly off the plate
            n_full += 1
            t0, t1 = float(f.time[a]), float(f.time[b])
            mine = [e for e in det.events_ if e.side == side and t0 - 0.05 <= e.time_s <= t1
                    + 0.05]
            firm = x[a:b] > 0.2 * float(np.max(x[a:b]))
            along = cop[a:b][firm] if cop is not None else np.empty(0)
            along = along[np.isfinite(along)]
            if along.size and float(along.max() - along.min()) > ONE_FOOT_COP_RANGE_M:
                # The other foot landed on the same plate before this one left: only the
                # first landing is this foot's; the rest is left to the marker method.
                n_double += 1
                mine = [e for e in mine if e.kind == "heel_strike" and e.time_s <= t0 + 0.05]
                assert cop is not None
                t2 = _second_landing(cop[a:b], x[a:b], f.time[a:b])
                if t2 is not None:  # the other foot's landing: where the pressure jumped
                    mine.append(GaitEvent(t2, "right" if side == "left" else "left",
                                          "heel_strike"))
            plate += mine
    kin = kinematic_events(data)
    merged: list[GaitEvent] = []
    for e in kin:
        same = [q for q in plate if q.side == e.side and q.kind == e.kind
                and abs(q.time_s - e.time_s) <= SAME_EVENT_S]
        merged.append(min(same, key=lambda q: abs(q.time_s - e.time_s)) if same else e)
    merged += [q for q in plate if q not in merged]
    merged.sort(key=lambda e: e.time_s)
    info = det.parameters()
    info.update({
        "mode": "overground: plate contacts combined with the marker method",
        "plate_contacts": n_contacts,
        "full_plate_contacts": n_full,
        "plate_contacts_with_both_feet": n_double,
        "load_reference_n": round(load, 2),
        "marker_method": KinematicEventDetector().parameters(),
        "events_by_source": {src: sum(e.source == src for e in merged)
                             for src in ("force_plate", "kinematics")},
    })
    return merged, info


#: Centre-of-pressure speeds (m/s): a foot rolls at well under 1 m/s; a second foot landing
#: ahead on the same plate makes the pressure jump at several m/s.
JUMP_SPEED_M_S = 2.0
ROLL_SPEED_M_S = 0.5


def _second_landing(cop: FloatArray, force: FloatArray, t: FloatArray) -> float | None:
    """When a second foot landed on a plate: the start of the centre of pressure's jump,
    on samples loaded firmly enough (20 % of the contact's peak) for the pressure to be
    steady, averaged over 10 ms."""
    ok = np.flatnonzero(np.isfinite(cop) & (force > 0.2 * float(np.max(force))))
    if len(ok) < 5:
        return None
    n = max(1, round(0.01 / float(np.median(np.diff(t)))))
    if len(ok) < 3 * n:
        return None
    smooth = np.convolve(cop[ok], np.ones(n) / n, mode="valid")  # no zero-padded edges
    ok = ok[n // 2: n // 2 + len(smooth)]
    v = np.gradient(smooth, t[ok])
    # The pressure settles for a few tens of ms after this foot's own landing: skip that.
    fast = np.flatnonzero((v > JUMP_SPEED_M_S) & (t[ok] > t[0] + 0.05))
    if len(fast) == 0:
        return None
    k = int(fast[0])
    while k > 0 and v[k - 1] > ROLL_SPEED_M_S and t[ok[k - 1]] > t[0] + 0.05:
        k -= 1
    return float(t[ok[k]])


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


def _fill_toe_offs(
    events: list[GaitEvent], data: GaitData, crossings: list[dict[str, object]]
) -> tuple[list[GaitEvent], int]:
    """Toe-offs hidden by a crossing foot, taken from the kinematic method when it has
    exactly one toe-off inside the gap: a stance with a heel strike but no toe-off before
    the next heel strike or, when the other foot came onto this belt after the last strike,
    before the end of the file. Their source says ``kinematics``."""
    kin = kinematic_events(data)
    added: list[GaitEvent] = []
    for side in SIDES:
        own = [e for e in events if e.side == side]
        gaps = [(a.time_s, b.time_s) for a, b in itertools.pairwise(own)
                if a.kind == "heel_strike" and b.kind == "heel_strike"]
        if own and own[-1].kind == "heel_strike" and any(
            c["belt"] == side and float(c["time_s"]) > own[-1].time_s  # type: ignore[arg-type]
            for c in crossings
        ):
            gaps.append((own[-1].time_s, data.duration_s))
        for t0, t1 in gaps:
            cand = [e for e in kin if e.side == side and e.kind == "toe_off" and t0 < e.time_s < t1]
            if len(cand) == 1:
                added.append(cand[0])
    return sorted(events + added, key=lambda e: e.time_s), len(added)


def _cycles(curves: dict[Side, dict[str, FloatArray]]) -> dict[str, Any]:
    """Each side's and joint's mean and SD curve over its strides (rows of ``curves``)."""
    out: dict[str, Any] = {}
    for side, joints in curves.items():
        for joint, m in joints.items():
            if not len(m):
                continue
            out.setdefault(side, {})[joint] = {
                "unit": "deg",
                "n_strides": len(m),
                "mean": np.round(m.mean(axis=0), 3).tolist(),
                "sd": np.round(m.std(axis=0, ddof=1) if len(m) > 1 else m[0] * 0, 3).tolist(),
            }
    return out


def _emg(
    data: GaitData, valid: dict[Side, list[tuple[float, float]]], params: EmgParams
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if data.emg is None:
        return out
    fs = data.emg.sampling_rate_hz
    names = list(data.emg.channels)
    # the channels' filters run together (a group at a time), each pipeline made as it is
    # taken here: the same values as EmgPipeline(params).process channel by channel
    pipes = process_channels([data.emg.channels[n] for n in names], sampling_rate_hz=fs,
                             params=params)
    # (not zip or enumerate: the result tuple they reuse would keep the last pipeline, and
    # its 14-MB envelope, alive while the next one is made)
    taken = 0
    for pipe in pipes:
        name = names[taken]
        taken += 1  # noqa: SIM113 (see above: not enumerate)
        side: Side = "left" if name.endswith("_left") else "right"
        cycles = valid.get(side, [])
        timing = cycle_timing(pipe.onsets_s_, pipe.offsets_s_, cycles)
        active = [sum(b - a for a, b in c) for c in timing]
        ref = pipe.normalisation_reference_v_
        grid: FloatArray | list[float] = (
            # interpolating the envelope and then normalising spares a normalised copy of
            # the whole channel (linear: the same values)
            (np.interp(
                (np.array(cycles)[:, :1] + np.diff(cycles, axis=1) * UNIT_CYCLE).ravel(),
                data.emg.time,
                pipe.envelope_,
            ) * (1.0 / ref if ref > 0 else 0.0)).reshape(len(cycles), N_CYCLE)
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
        # released before the next channel's pipeline is made (its envelope: 14 MB of a
        # 30-minute channel), not when the next one is assigned
        del pipe, grid
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
    return analyze_result(data, body_mass_kg=body_mass_kg, truth=truth,
                          force_params=force_params, emg_params=emg_params).to_dict()


def analyze_result(
    data: GaitData,
    *,
    body_mass_kg: float | None = None,
    truth: dict[str, FloatArray] | None = None,
    force_params: ForcePlateParams | None = None,
    emg_params: EmgParams | None = None,
) -> AnalysisResult:
    """Analyse one GaitData: the typed result (:class:`AnalysisResult`)."""
    if body_mass_kg is not None and not 10 <= body_mass_kg <= 400:
        raise UserError(f"body mass {body_mass_kg} kg is implausible; give it in kilograms")
    mass = body_mass_kg if body_mass_kg is not None else data.body_mass_kg
    mass_src = "argument" if body_mass_kg is not None else "file" if mass else "unknown"
    detected, ev_params = detect_events(data, force_params)
    events = detected
    comparison = None
    if data.file_events:
        events = data.file_events
        comparison = file_vs_detected(detected, data.file_events)
    crossing_times = [float(c["time_s"]) for c in ev_params.get("crossings", [])]  # type: ignore[attr-defined]
    partial = [(str(c["belt"]), float(c["time_s"]))
               for c in ev_params.get("partial_crossings", [])]  # type: ignore[attr-defined]
    from_kin = {(e.side, e.time_s) for e in events if e.source == "kinematics"}
    rejected: dict[str, list[dict[str, object]]] = {}
    built = {side: build_strides(events, side) for side in SIDES}
    valid_cycles: dict[Side, list[tuple[float, float]]] = {
        side: [(s.heel_strike_s, s.next_heel_strike_s) for s in b if s.valid]
        for side, b in built.items() if any(s.valid for s in b)}
    emg_p = emg_params or EmgParams()
    # The EMG before the per-stride metrics, not beside them on a thread (as until the fifth
    # pass of docs/benchmarks.md): its filters now take a group of channels at once, whose
    # arrays (4 x 7.2 MB for 30 minutes) on top of the stride records' ~50 MB took a long
    # recording's peak over 500 MB; one after the other, each phase has the memory alone.
    emg = _emg(data, valid_cycles, emg_p)
    strides, curves = _stride_records(data, built, mass, crossing_times, partial, from_kin,
                                      rejected, {e.side for e in events})
    hs = [e for e in events if e.kind == "heel_strike"]
    walking_s = (hs[-1].time_s - hs[0].time_s) if len(hs) > 1 else 0.0
    unavailable: list[Unavailable] = []
    hs_per_side: dict[str, int] = {side: sum(e.side == side for e in hs) for side in SIDES}
    metrics = session_metrics(data, strides, hs_per_side, walking_s, unavailable)
    notes = list(data.notes)
    if data.source == "simulated":
        notes.insert(0, "SIMULATED data from a virtual patient, not a real person")
    validation = None
    if truth:
        ref = []
        step: float | None = None  # the time axis's median step, found once for both sides
        for side in SIDES:
            contact = truth.get(f"truth_contact_{side}")
            if contact is not None and data.forces is not None:
                if step is None and len(data.forces.time) >= 2:
                    step = float(np.median(np.diff(data.forces.time)))
                ref += events_from_contact(contact, data.forces.time, side, step_s=step)
        if ref:
            validation = {
                "events_vs_simulation_truth": score_events(
                    detected, ref, window=(0.5, data.duration_s - 0.5)
                ).as_dict(),
                "window_s": [0.5, round(data.duration_s - 0.5, 3)],
            }
    # no NaN or inf anywhere in a result: a value that cannot be computed is None, each one
    # recorded with its typed reason (parameters.unavailable_metrics)
    clean: dict[str, Any] = {
        "strides": strides, "rejected_strides": rejected, "metrics": metrics,
        "cycles": _cycles(curves), "emg": emg,
        "detected_vs_file_events": comparison, "validation": validation}
    if not _json_ready(clean):
        clean = _finite_only(clean, "", unavailable)
    return AnalysisResult(
        schema_version=SCHEMA_VERSION,
        source=data.source,
        origin=data.origin,
        notes=tuple(notes),
        parameters={
            "events": ev_params,
            "event_source": "file" if data.file_events else "detected",
            "strides": {"min_stride_s": 0.4, "max_stride_s": 5.0},
            "cycle_points": N_CYCLE,
            "body_mass_kg": mass,
            "body_mass_source": mass_src,
            "emg": asdict(emg_p),
            "symmetry_formulas": SYMMETRY_FORMULAS,
            "sides": "L = left, R = right",
            "steps_method": count_steps(hs_per_side)[1],
            "unavailable_metrics": [u.as_dict() for u in unavailable],
        },
        events=tuple(GaitEventRecord(round(e.time_s, 4), e.side, e.kind, e.source)
                     for e in events),
        strides={side: tuple(recs) for side, recs in clean["strides"].items()},
        rejected_strides={side: tuple(r) for side, r in clean["rejected_strides"].items()},
        metrics={name: Metric(m["value"], str(m["unit"]),
                              None if m.get("formula") is None else str(m["formula"]))
                 for name, m in clean["metrics"].items()},
        cycles=clean["cycles"],
        emg=clean["emg"],
        detected_vs_file_events=clean["detected_vs_file_events"],
        validation=clean["validation"],
    )


def _stride_records(
    data: GaitData, built: dict[Side, list[Stride]], mass: float | None,
    crossing_times: list[float], partial: list[tuple[str, float]],
    from_kin: set[tuple[Side, float]], rejected: dict[str, list[dict[str, object]]],
    event_sides: set[str],
) -> tuple[dict[str, list[dict[str, float | None]]], dict[Side, dict[str, FloatArray]]]:
    """Each valid stride's record (flagged when a foot crossed, a crossing was partial or its
    events came from kinematics) and joint curves; invalid ones go to ``rejected``."""
    strides: dict[str, list[dict[str, float | None]]] = {}
    curves: dict[Side, dict[str, FloatArray]] = {}
    for side, candidates in built.items():
        for s in candidates:
            if not s.valid:
                rejected.setdefault(side, []).append(
                    {"start_s": round(s.heel_strike_s, 4), "reason": s.reason}
                )
        ok = [s for s in candidates if s.valid]
        # all of a side's strides at once: the same records as stride_record's, stride by
        # stride (stride_batch)
        recs, joint_rows = stride_records(data, ok, body_mass_kg=mass)
        for s, rec in zip(ok, recs, strict=True):
            if any(s.heel_strike_s - 0.2 <= t <= s.next_heel_strike_s for t in crossing_times):
                # A foot on the wrong belt: belt forces are not this leg's load.
                for key in FORCE_KEYS:
                    rec.pop(key, None)
                rec["foot_crossing"] = 1.0
            # Doubtful events are flagged on their stride, never silently averaged in.
            if any(b == side and s.heel_strike_s < t < s.next_heel_strike_s
                   for b, t in partial):
                rec["partial_crossing"] = 1.0  # the other foot rested on this belt at toe-off
            if (side, s.toe_off_s) in from_kin or (side, s.heel_strike_s) in from_kin:
                rec["events_from_kinematics"] = 1.0
        for joint, rows in joint_rows.items():
            if len(rows):
                curves.setdefault(side, {})[joint] = rows
        if recs or side in event_sides:
            strides[side] = recs
    return strides, curves


def file_vs_detected(detected: list[GaitEvent], file_events: list[GaitEvent]) -> dict[str, Any]:
    """The detector's own events beside the file's, with their agreement per kind and side."""
    return {
        "detected_events": [e.as_dict() for e in detected],
        "tolerances_ms": {k: v * 1000 for k, v in TOLERANCE_S.items()},
        "agreement": [a.as_dict() for a in agreement(detected, file_events)],
    }


def _json_ready(clean: dict[str, Any]) -> bool:
    """Whether ``json.dumps(clean, allow_nan=False)`` succeeds (nothing to replace: the
    common case). The stride records, most of a long session's values, are checked without
    encoding them: string keys, and float or None values, all finite; anything else is
    left to the encoder's verdict on the whole."""
    strides = clean.get("strides")
    if not _finite_records(strides):
        try:
            json.dumps(clean, allow_nan=False)
        except (ValueError, TypeError):
            return False
        return True
    try:  # the rest, at C speed
        json.dumps({k: v for k, v in clean.items() if k != "strides"}, allow_nan=False)
    except (ValueError, TypeError):
        return False
    return True


def _finite_records(strides: Any) -> bool:
    """True when ``strides`` is a dict of str to lists of dicts of str to finite floats or
    None (what ``json.dumps(..., allow_nan=False)`` encodes without an error); False when it
    is not certainly so."""
    if type(strides) is not dict or any(type(k) is not str for k in strides):
        return False
    values: list[Any] = []
    keys: set[Any] = set()
    for recs in strides.values():
        if type(recs) is not list or any(type(r) is not dict for r in recs):
            return False
        for r in recs:
            keys.update(r)
            values.extend(r.values())
    numbers = [v for v in values if v is not None]
    return (all(type(k) is str for k in keys) and all(type(v) is float for v in numbers)
            and bool(np.isfinite(np.array(numbers, dtype=np.float64)).all()))


def _finite_only(obj: Any, path: str, unavailable: list[Unavailable]) -> Any:
    """The result with every non-finite float replaced by None, each one recorded: a value
    that cannot be computed is absent with its reason, never a NaN in the JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        unavailable.append(Unavailable(path, Why.NON_FINITE, f"computed {obj!r}"))
        return None
    if isinstance(obj, dict):
        return {k: _finite_only(v, f"{path}/{k}", unavailable) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite_only(v, f"{path}[{i}]", unavailable) for i, v in enumerate(obj)]
    if isinstance(obj, np.floating):
        return _finite_only(float(obj), path, unavailable)
    return obj


def analyze_path(path: str | Path, *, body_mass_kg: float | None = None) -> dict[str, Any]:
    """Analyse a Gaitway recording, C3D or CSV file: the JSON that ``gaitway analyze`` writes."""
    data, truth = load_path(path)
    return analyze_data(data, body_mass_kg=body_mass_kg, truth=truth)
