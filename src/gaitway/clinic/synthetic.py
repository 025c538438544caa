"""Synthetic session data (always marked simulated) for tests and benchmarks of the store.

It stands in for "a recording analysed by gaitway.analytics" where a test needs many sessions
or a 30-minute session without simulating one: stride records, session metrics and joint
cycles shaped like the analysis output, from a seeded random generator.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import numpy as np

from gaitway.clinic.importer import SessionData


def synthetic_session(
    *, seed: int, started_at: dt.datetime, minutes: float = 2.0, profile: str = "synthetic",
    speed_kmh: float = 1.8, guidance_pct: float = 80.0, bws_pct: float = 40.0,
    participation: float = 0.3, asymmetry: float = 0.1, status: str = "complete",
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
    return SessionData(
        session_id=session_id or str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | seed)),
        status=status, simulated=True, duration_s=minutes * 60, started_at=started_at,
        ended_by="completed" if status == "complete" else "cut off", profile=profile,
        controller="impedance",
        settings={"speed_kmh": speed_kmh, "guidance_pct": guidance_pct, "bws_pct": bws_pct},
        summary={"simulated": True, "profile": profile, "seed": seed,
                 "active_participation": participation, "tracking_error_rms_deg": 2.5,
                 "strides": {s: len(v) for s, v in strides.items()}},
        analysis={"strides": strides, "metrics": metrics, "cycles": cycles,
                  "events": [], "source": "simulated"},
        events=events,
    )
