"""Session directories written with the real recorder: SIMULATED periodic walking signals."""

from __future__ import annotations

import json
import struct
import uuid
from pathlib import Path

import numpy as np

from gaitway.recording import RecordingWriter
from gaitway.station.channels import RECORDED_CHANNELS

STRIDE_S = 1.2
STANCE = 0.6


def _phase(t: np.ndarray, side: str) -> np.ndarray:
    out: np.ndarray = ((t / STRIDE_S) + (0.0 if side == "left" else 0.5)) % 1.0
    return out


def write_session_dir(directory: Path, *, seconds: float = 12.0, session_id: str | None = None,
                      complete: bool = True, summary: bool = True, profile: str = "healthy",
                      events: list[tuple[float, str, str]] | None = None) -> str:
    """A session directory (recording + summary.json); returns the session id."""
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
    meta = {"simulated": True, "session_id": sid, "profile": profile,
            "patient": {"profile": profile, "body_mass_kg": 70.0, "height_m": 1.75},
            "settings": {"speed_kmh": 2.16, "guidance_pct": 70, "bws_pct": 30}}
    with RecordingWriter(directory, channels=RECORDED_CHANNELS, metadata=meta) as w:
        for ev_t, kind, source in events or []:
            w.event(ev_t, kind, source)
        for row in rows:
            w.append(row)
    if not complete:
        _drop_footer(directory / "recording.gwrec")
    if summary:
        (directory / "summary.json").write_text(json.dumps({
            "real_time_factor": 5.0, "strides": {"left": int(seconds / STRIDE_S),
                                                 "right": int(seconds / STRIDE_S)},
            "simulated": True, "profile": profile, "seed": 1, "duration_s": seconds,
            "session_id": sid, "settings": meta["settings"], "ended_by": "completed",
            "active_participation": 0.25, "tracking_error_rms_deg": 3.0}))
    return sid


def _drop_footer(path: Path) -> None:
    """Cut the file just before its footer block, as a crash before close would leave it."""
    data = path.read_bytes()
    pos = 16
    while pos + 36 <= len(data):
        kind = data[pos]
        (length,) = struct.unpack_from("<I", data, pos + 4)
        if kind == 4:
            path.write_bytes(data[:pos])
            return
        pos += 36 + length
    raise AssertionError("no footer block found")
