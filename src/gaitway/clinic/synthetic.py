"""Synthetic session data and recordings (always SIMULATED) for tests and benchmarks.

It stands in for "a recording analysed by gaitway.analytics" where a test needs many sessions
or a 30-minute session without simulating one: stride records, session metrics and joint
cycles shaped like the analysis output, from a seeded random generator. Settings and summaries
are the production types (:class:`SessionSettings`, :class:`SessionSummary`), written by the
same code that writes a real session's summary.json.
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from gaitway.analytics.result import AnalysisResult
from gaitway.clinic.importer import SessionData
from gaitway.recording import RecordingWriter
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import JointValues, SessionSummary, SideCounts, SideValues
from gaitway.station.channels import RECORDED_CHANNELS


def synthetic_summary(*, session_id: str, settings: SessionSettings, duration_s: float,
                      strides: SideCounts, participation_nm: float = -1.5,
                      tracking_error_deg: float = 2.5, ended_by: str = "completed",
                      controller: str = "guidance") -> SessionSummary:
    """A finished session's summary (SIMULATED), as a session writes it."""
    return SessionSummary(
        session_id=session_id, simulated=True, label="SIMULATED synthetic session (tests)",
        profile=settings.profile, seed=settings.seed, controller=controller,
        settings=settings, ended_by=ended_by, duration_s=duration_s, strides=strides,
        tracking_error_rms_deg=JointValues(*(tracking_error_deg,) * 4),
        active_participation_nm=SideValues(participation_nm, participation_nm))


def synthetic_session(
    *, seed: int, started_at: dt.datetime, minutes: float = 2.0, profile: str = "synthetic",
    speed_kmh: float = 1.8, guidance_pct: float = 80.0, bws_pct: float = 40.0,
    participation_nm: float = -1.5, asymmetry: float = 0.1, status: str = "complete",
    session_id: str | None = None,
) -> SessionData:
    """One simulated session's data; ``asymmetry`` 0 is symmetric, 0.2 clearly one-sided."""
    rng = np.random.default_rng(seed)
    stride_time = 1.25 + 0.5 * asymmetry
    n = max(int(minutes * 60 / stride_time), 1)
    strides: dict[str, list[dict[str, Any]]] = {}
    for k, side in enumerate(("left", "right")):
        affected = side == "left"
        t = 0.5 + k * stride_time / 2 + np.cumsum(np.r_[0, rng.normal(stride_time, 0.03, n - 1)])
        times = rng.normal(stride_time, 0.03, n)
        stance = rng.normal(62 + (-4 if affected else 4) * asymmetry * 5, 1.5, n)
        strides[side] = [
            {"start_s": float(t[i]), "end_s": float(t[i] + times[i]),
             "stride_time_s": float(times[i]), "stance_pct": float(stance[i]),
             "step_length_m": float(speed_kmh / 3.6 * times[i] / 2),
             "rom_hip_deg": float(rng.normal(35 - 10 * asymmetry * affected, 2)),
             "rom_knee_deg": float(rng.normal(50 - 15 * asymmetry * affected, 3)),
             "peak_force_pct_bw": float(rng.normal(70 - 30 * asymmetry * affected, 4)),
             "cadence_steps_per_min": float(120 / times[i])}
            for i in range(n)
        ]
    phase = np.linspace(0, 1, 101)
    hip = 10 + 20 * np.cos(2 * np.pi * phase)
    knee = 5 + 27 * (1 - np.cos(2 * np.pi * np.clip((phase - 0.55) / 0.45, 0, 1))) + \
        8 * np.sin(np.pi * np.clip(phase / 0.4, 0, 1))
    cycles = {
        side: {
            "hip": {"mean": list(hip * (0.8 if side == "left" else 1.0)), "sd": [3.0] * 101},
            "knee": {"mean": list(knee * (1 - asymmetry if side == "left" else 1.0)),
                     "sd": [4.0] * 101},
        }
        for side in ("left", "right")
    }
    wb_left = 45 - 40 * asymmetry
    metrics = {
        "steps": {"value": 2 * n, "unit": "count"},
        "symmetry_index_step_time_s": {"value": 100 * asymmetry * 0.8, "unit": "%"},
        "mean_stance_force_pct_bw_left_mean": {"value": wb_left, "unit": "%BW"},
        "mean_stance_force_pct_bw_right_mean": {"value": 100 - bws_pct - wb_left + 40,
                                                "unit": "%BW"},
        "walking_speed": {"value": speed_kmh / 3.6, "unit": "m/s"},
        "guidance_pct_left_mean": {"value": guidance_pct, "unit": "%"},
        "guidance_pct_right_mean": {"value": guidance_pct, "unit": "%"},
    }
    events = [{"time_s": 0.0, "kind": "session_start", "source": "session", "details": {}},
              {"time_s": minutes * 60, "kind": "session_stop", "source": "session",
               "details": {"ended_by": "completed"}}]
    sid = session_id or str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | seed))
    settings = SessionSettings(profile=profile, minutes=minutes, seed=seed, speed_kmh=speed_kmh,
                               guidance_pct=guidance_pct, bws_pct=bws_pct)
    summary = synthetic_summary(
        session_id=sid, settings=settings, duration_s=minutes * 60,
        strides=SideCounts(len(strides["left"]), len(strides["right"])),
        participation_nm=participation_nm)
    return SessionData(
        session_id=sid,
        status=status, simulated=True, duration_s=minutes * 60, started_at=started_at,
        ended_by="completed" if status == "complete" else "cut off", profile=profile,
        controller=summary.controller, settings=settings,
        summary=summary if status == "complete" else None,
        analysis=AnalysisResult.from_dict({"strides": strides, "metrics": metrics,
                                           "cycles": cycles, "source": "simulated",
                                           "origin": "synthetic"}),
        events=events,
    )


STRIDE_S = 1.2
STANCE = 0.6


def _phase(t: np.ndarray, side: str) -> np.ndarray:
    out: np.ndarray = ((t / STRIDE_S) + (0.0 if side == "left" else 0.5)) % 1.0
    return out


def write_session_dir(directory: Path, *, seconds: float = 12.0, session_id: str | None = None,
                      complete: bool = True, summary: bool = True, profile: str = "healthy",
                      events: list[tuple[float, str, str]] | None = None,
                      ended_by: str = "completed", planned_minutes: float | None = None) -> str:
    """A SIMULATED session directory written by the real recorder: periodic walking signals
    (joint angles, belt forces and centres of pressure, belt speed), a summary.json unless
    ``summary`` is False, no footer unless ``complete``. The footer and the summary carry the
    summary with ``ended_by`` (as a session writes them) and the plan's length
    (``planned_minutes``, default: the recorded time). Returns the session id."""
    sid = session_id or str(uuid.uuid4())
    names = [c.name for c in RECORDED_CHANNELS]
    idx = {n: i for i, n in enumerate(names)}
    t = np.arange(0.0, seconds, 0.001)
    rows = np.zeros((len(t), len(names)))
    rows[:, 0] = t
    for side in ("left", "right"):
        ph = _phase(t, side)
        stance = ph < STANCE
        rows[:, idx[f"hip_angle_{side}"]] = 0.35 * np.cos(2 * np.pi * ph)
        rows[:, idx[f"knee_angle_{side}"]] = 0.5 * np.clip(np.sin(np.pi * (ph - 0.55) / 0.45),
                                                            0, None) + 0.08
        rows[:, idx[f"ankle_angle_{side}"]] = 0.1 * np.sin(2 * np.pi * ph)
        rows[:, idx[f"grf_z_{side}"]] = np.where(stance, 650 * np.sin(np.pi * ph / STANCE), 0)
        rows[:, idx[f"grf_x_{side}"]] = np.where(stance, 60 * np.cos(np.pi * ph / STANCE), 0)
        rows[:, idx[f"cop_x_{side}"]] = np.where(stance, 0.15 - 0.3 * ph / STANCE, 0)
        rows[:, idx[f"cop_y_{side}"]] = np.where(stance, 0.1 if side == "left" else -0.1, 0)
        rows[:, idx[f"belt_speed_{side}"]] = 0.6
    rows[:, idx["guidance"]] = 0.7
    settings = SessionSettings(profile=profile, minutes=planned_minutes or seconds / 60.0,
                               seed=1, speed_kmh=2.16, guidance_pct=70.0, bws_pct=30.0)
    n = int(seconds / STRIDE_S)
    summary_data = synthetic_summary(session_id=sid, settings=settings, duration_s=seconds,
                                     strides=SideCounts(n, n), participation_nm=-2.5,
                                     tracking_error_deg=3.0, ended_by=ended_by)
    meta = {"simulated": True, "session_id": sid,
            "patient": {"id": profile, "body_mass_kg": 70.0, "height_m": 1.75},
            "settings": settings.to_dict()}
    with RecordingWriter(directory, channels=RECORDED_CHANNELS, metadata=meta) as w:
        for ev_t, kind, source in events or []:
            w.event(ev_t, kind, source)
        for row in rows:
            w.append(row)
        w.close(final={"summary": summary_data.to_dict(), "ended_by": ended_by})
    if not complete:
        drop_footer(directory / "recording.gwrec")
    if summary:
        summary_data.write(directory)
    return sid


def drop_footer(path: Path) -> None:
    """Cut the file just before its footer block, as a crash before close would leave it
    (block layout: see gaitway.recording.format)."""
    data = path.read_bytes()
    pos = 16
    while pos + 36 <= len(data):
        kind = data[pos]
        (length,) = struct.unpack_from("<I", data, pos + 4)
        if kind == 4:
            path.write_bytes(data[:pos])
            return
        pos += 36 + length
    raise ValueError(f"{path} has no footer block")
