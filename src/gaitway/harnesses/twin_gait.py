"""The twin's own gait against published data (SIMULATED): event recall against the twin's true
contact, mean joint cycles against normative slow walking, and each leg's stance and knee
figures for the hemiparetic signs.

Used by ``gaitway validate report`` (docs/validation/report.md, section 3) and by the tests of
the twin's realism. Cycles run from one true heel strike of a leg to its next; strides in the
first ``settle_s`` (the warm-up, where guidance ramps down to its set level) are left out, as
are strides more than 25 % off the median stride time.
"""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from gaitway.analytics.analyze import detect_events, load_path
from gaitway.analytics.events import events_from_contact
from gaitway.analytics.gait_data import SIDES, FloatArray
from gaitway.analytics.scoring import score_events
from gaitway.analytics.validation import truth_events
from gaitway.gait.normative import CYCLE_POINTS, NORMATIVE_JOINTS, CurveAgreement, agreement
from gaitway.recording import open_recording
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings

#: the session builder's warm-up (guidance ramps from 100 % to the set level) plus a stride
SETTLE_S: Final[float] = 10.0


@dataclass(frozen=True, slots=True)
class LegGait:
    """One leg's steady walking on the twin."""

    side: str
    strides: int
    stance_pct: float | None
    knee_stance_peak_deg: float | None  # loading-response flexion, first 30 % of the cycle
    knee_swing_peak_deg: float | None
    knee_swing_peak_pct: int | None
    ankle_dorsiflexion_peak_deg: float | None
    curves: tuple[CurveAgreement, ...]  # hip, knee, ankle against normative slow walking
    mean_cycle_deg: dict[str, FloatArray]


@dataclass(frozen=True, slots=True)
class TwinGait:
    """One session of one virtual patient: events and each leg's gait."""

    profile: str
    guidance_pct: float
    minutes: float
    seed: int
    event_recall: float
    event_precision: float
    legs: tuple[LegGait, ...]


def _angle_channel(joint: str, side: str) -> str:
    return f"ankle_angle_{side}" if joint == "ankle" else f"truth_{joint}_angle_{side}"


def leg_gait(path: Path, side: str, settle_s: float = SETTLE_S) -> LegGait:
    """Mean cycles and stance of one leg from a twin recording's true contact."""
    rec = open_recording(path)
    names = [f"truth_contact_{side}"] + [_angle_channel(j, side) for j in NORMATIVE_JOINTS]
    ts = rec.read(names)
    t = ts.time
    ev = events_from_contact(np.asarray(ts[f"truth_contact_{side}"]), t, side)  # type: ignore[arg-type]
    hs = np.array([e.time_s for e in ev if e.kind == "heel_strike" and e.time_s >= settle_s])
    to = np.array([e.time_s for e in ev if e.kind == "toe_off"])
    pairs = [(float(a), float(b)) for a, b in itertools.pairwise(hs)]
    if pairs:
        med = float(np.median([b - a for a, b in pairs]))
        pairs = [(a, b) for a, b in pairs if abs((b - a) - med) <= 0.25 * med]
    grid = np.linspace(0.0, 1.0, CYCLE_POINTS)
    cycles: dict[str, list[FloatArray]] = {j: [] for j in NORMATIVE_JOINTS}
    stance: list[float] = []
    for a, b in pairs:
        m = (t >= a) & (t <= b)
        ph = (t[m] - a) / (b - a)
        for j in NORMATIVE_JOINTS:
            x = np.degrees(np.asarray(ts[_angle_channel(j, side)])[m])
            cycles[j].append(np.interp(grid, ph, x))
        off = to[(to > a) & (to < b)]
        if off.size == 1:
            stance.append(100.0 * (float(off[0]) - a) / (b - a))
    if not pairs:
        return LegGait(side, 0, None, None, None, None, None, (), {})
    mean = {j: np.mean(np.array(c), axis=0) for j, c in cycles.items()}
    knee, ankle = mean["knee"], mean["ankle"]
    swing_pk = 40 + int(np.argmax(knee[40:]))
    return LegGait(
        side=side, strides=len(pairs),
        stance_pct=float(np.median(stance)) if stance else None,
        knee_stance_peak_deg=float(np.max(knee[:30])),
        knee_swing_peak_deg=float(knee[swing_pk]), knee_swing_peak_pct=swing_pk,
        ankle_dorsiflexion_peak_deg=float(np.max(ankle[:65])),
        curves=tuple(agreement(j, mean[j]) for j in NORMATIVE_JOINTS),
        mean_cycle_deg=mean)


def gait_of_recording(path: Path, profile: str, guidance_pct: float, minutes: float,
                      seed: int, settle_s: float = SETTLE_S) -> TwinGait:
    """Events against the true contact (as ``analyze`` scores them) and each leg's gait."""
    data, truth = load_path(path)
    ref = truth_events(data, truth)
    det, _ = detect_events(data)
    score = score_events(det, ref, window=(0.5, data.duration_s - 0.5))
    settle = min(settle_s, 0.4 * data.duration_s)
    legs = tuple(leg_gait(path, s, settle) for s in SIDES)
    return TwinGait(profile, guidance_pct, minutes, seed, score.recall, score.precision, legs)


def measure(profile: str, guidance_pct: float, minutes: float, seed: int = 1,
            settle_s: float = SETTLE_S) -> TwinGait:
    """Walk one virtual patient headless at 2 km/h and 30 % BWS, and measure its gait."""
    with tempfile.TemporaryDirectory() as d:
        run_session(SessionSettings(profile=profile, minutes=minutes, seed=seed,
                                    guidance_pct=guidance_pct), Path(d))
        return gait_of_recording(Path(d) / "recording.gwrec", profile, guidance_pct, minutes,
                                 seed, settle_s)
