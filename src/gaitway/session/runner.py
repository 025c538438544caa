"""Headless simulated sessions: station, virtual patient, controller and recorder, flat out.

This is the main job of `gaitway simulate`. One call runs one session and leaves behind a
directory with the recording and ``summary.json``. The loop does no I/O of its own: rows go to
the recorder's bounded queue, which a background thread compresses and writes.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import mujoco
import numpy as np

import gaitway
from gaitway.control.impedance import GuidanceImpedance
from gaitway.errors import UserError
from gaitway.recording import RECORDING_FILENAME, RecordingWriter
from gaitway.safety.session import SessionSafety
from gaitway.station.channels import (
    N_SAMPLE_CHANNELS,
    RECORDED_CHANNELS,
    SAMPLE_INDEX,
    TRUTH_CHANNELS,
)
from gaitway.station.sim.emg import EMG_DESCRIPTION
from gaitway.station.sim.patient import VirtualPatient
from gaitway.station.sim.profiles import get_profile
from gaitway.station.sim.twin import SimStation

SUMMARY_FILENAME: Final[str] = "summary.json"
MIN_SPEED_KMH: Final[float] = 0.5
MAX_SPEED_KMH: Final[float] = 3.2
MAX_MINUTES: Final[float] = 240.0
GRAVITY: Final[float] = 9.81
#: heel-strike counter on the force plates: rise above HS_ON after at least HS_MIN_SWING_S
#: below HS_OFF (a Schmitt trigger with a swing-duration debounce)
HS_ON_N: Final[float] = 60.0
HS_OFF_N: Final[float] = 25.0
HS_MIN_SWING_S: Final[float] = 0.15


@dataclass(frozen=True)
class SessionConfig:
    """One simulated session's settings. Percentages and km/h at this edge, SI inside."""

    profile: str
    minutes: float
    seed: int
    out_dir: Path
    guidance_pct: float = 60.0
    bws_pct: float = 30.0
    speed_kmh: float = 2.0
    controller: str = "guidance"
    lateral_pelvis: bool = False
    patient_events: bool = True
    #: seconds at the start in which guidance ramps from 100 % down to the set level
    warmup_s: float = 8.0
    session_index: int = 0
    initial_fatigue: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    #: faults to inject, as "FAULT@SECONDS" (see `gaitway faults`)
    injections: tuple[str, ...] = ()

    def validate(self) -> None:
        get_profile(self.profile)
        SessionSafety.validate_injections(self.injections)
        if not (math.isfinite(self.minutes) and 0.0 < self.minutes <= MAX_MINUTES):
            raise UserError(
                f"--minutes must be a number above 0 and at most {MAX_MINUTES:.0f}, "
                f"got {self.minutes}"
            )
        if not (math.isfinite(self.speed_kmh)
                and MIN_SPEED_KMH <= self.speed_kmh <= MAX_SPEED_KMH):
            raise UserError(
                f"--speed {self.speed_kmh} km/h is beyond what the device can reach: choose "
                f"{MIN_SPEED_KMH}-{MAX_SPEED_KMH} km/h"
            )
        if not (math.isfinite(self.guidance_pct) and 0.0 <= self.guidance_pct <= 100.0):
            raise UserError(f"--guidance must be within 0-100 %, got {self.guidance_pct}")
        if not (math.isfinite(self.bws_pct) and 0.0 <= self.bws_pct <= 80.0):
            raise UserError(
                f"--bws must be within 0-80 % of body weight, got {self.bws_pct}"
            )
        if self.controller != "guidance":
            raise UserError(f"unknown controller {self.controller!r}; available: guidance")
        if self.seed < 0:
            raise UserError(f"--seed must be 0 or positive, got {self.seed}")

    @property
    def session_id(self) -> str:
        """Deterministic: the same settings and seed are the same simulated session."""
        key = json.dumps(
            {k: v for k, v in self.settings().items() if k != "out_dir"}, sort_keys=True
        )
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gaitway-sim:{key}"))

    def settings(self) -> dict[str, Any]:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        d["injections"] = list(self.injections)
        if not self.injections:  # sessions without faults keep their ids and settings
            del d["injections"]
        return d


def prepare_out_dir(out_dir: Path) -> Path:
    """Create the output folder or say clearly why it cannot be written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output folder {out_dir}: {exc.strerror}") from None
    if not out_dir.is_dir():
        raise UserError(f"output path {out_dir} exists and is not a folder")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UserError(f"output folder {out_dir} is not writable; choose another with --out")
    if (out_dir / RECORDING_FILENAME).exists():
        raise UserError(
            f"{out_dir} already holds a recording; choose an empty folder so nothing recorded "
            "is overwritten"
        )
    return out_dir


class HeelStrikeCounter:
    """Counts strides per side live from the plates' vertical force (see HS_* above)."""

    def __init__(self) -> None:
        self.count = [0, 0]
        self.times: list[list[float]] = [[], []]
        self._loaded = [True, True]
        self._unloaded_since = [0.0, 0.0]
        self._iz = (SAMPLE_INDEX["grf_z_left"], SAMPLE_INDEX["grf_z_right"])

    def push(self, t: float, values: np.ndarray) -> None:
        for s in (0, 1):
            fz = float(values[self._iz[s]])
            if self._loaded[s]:
                if fz < HS_OFF_N:
                    self._loaded[s] = False
                    self._unloaded_since[s] = t
            elif fz > HS_ON_N:
                self._loaded[s] = True
                if t - self._unloaded_since[s] >= HS_MIN_SWING_S:
                    self.count[s] += 1
                    self.times[s].append(t)


ProgressCallback = Callable[[float, float], None]


def run_session(config: SessionConfig, *, progress: ProgressCallback | None = None
                ) -> dict[str, Any]:
    """Run one headless simulated session; write the recording and summary.json; return it."""
    config.validate()
    out_dir = prepare_out_dir(Path(config.out_dir))
    profile = get_profile(config.profile)
    patient = VirtualPatient(profile, seed=config.seed, session_index=config.session_index,
                             fatigue=config.initial_fatigue, events=config.patient_events)
    station = SimStation(patient, seed=config.seed, lateral_pelvis=config.lateral_pelvis)
    station.check_speed(config.speed_kmh / 3.6)
    safety = SessionSafety(station, config.injections)  # supervisor + fault injector
    io = safety.station  # the station as the loop sees it (with any injected faults)
    guidance = config.guidance_pct / 100.0
    controller = GuidanceImpedance(height_m=profile.height_m, guidance=1.0)
    bws_force = config.bws_pct / 100.0 * profile.mass_kg * GRAVITY
    speed = config.speed_kmh / 3.6
    n_ticks = round(config.minutes * 60.0 / station.dt)
    metadata = {
        "simulated": True,
        "label": "SIMULATED SESSION: virtual patient on the MuJoCo twin",
        "session_id": config.session_id,
        "gaitway_version": gaitway.__version__,
        "station": {"kind": "sim-twin", "model": "gaitway_lokomat_twin",
                    "mujoco_version": mujoco.__version__, "dt_s": station.dt},
        "patient": {**asdict(profile), "body_mass_kg": profile.mass_kg,
                    "paretic_side": profile.paretic_side},
        "settings": config.settings(),
        "seed": config.seed,
        "emg": EMG_DESCRIPTION,
    }
    counter = HeelStrikeCounter()
    row = np.zeros(len(RECORDED_CHANNELS))
    n_s = N_SAMPLE_CHANNELS
    ended_by = "completed"
    ticks_done = 0
    wall0 = time.perf_counter()
    with RecordingWriter(out_dir / RECORDING_FILENAME, channels=RECORDED_CHANNELS,
                         truth_channels=TRUTH_CHANNELS, metadata=metadata,
                         dt=station.dt) as writer, io:
        sample = io.last_sample
        writer.event(0.0, "session_started", "session", profile=profile.id, seed=config.seed)
        warm = max(config.warmup_s, 1e-9)
        warm_done = False
        ra = controller.ref_angles
        for tick in range(n_ticks):
            t = sample.time
            if t < warm:
                controller.guidance = guidance + (1.0 - guidance) * (1.0 - t / warm)
            elif not warm_done:
                controller.guidance = guidance
                warm_done = True
                writer.event(t, "warmup_finished", "session", guidance=guidance)
            cmd = controller.compute(sample, dt=station.dt, harness_force=bws_force,
                                     belt_speed=speed)
            cmd = safety.judge(sample, cmd)  # safety has the last word
            sample = io.step(cmd)
            row[:n_s] = sample.values
            row[n_s] = ra[0]
            row[n_s + 1] = ra[1]
            row[n_s + 2] = ra[2]
            row[n_s + 3] = ra[3]
            row[n_s + 4] = cmd.hip_torque_left
            row[n_s + 5] = cmd.hip_torque_right
            row[n_s + 6] = cmd.knee_torque_left
            row[n_s + 7] = cmd.knee_torque_right
            row[n_s + 8] = cmd.harness_force
            row[n_s + 9] = cmd.belt_speed
            row[n_s + 10] = controller.guidance
            row[n_s + 11] = controller.guidance
            row[n_s + 12] = controller.phase
            row[n_s + 13] = (controller.phase + 0.5) % 1.0
            writer.append(row, station.truth)
            counter.push(sample.time, sample.values)
            ticks_done = tick + 1
            if safety.pending or safety.latched:
                safety.record(writer)
                if safety.session_over(sample.time):
                    ended_by = safety.ended_by()
                    break
            if tick % 1000 == 999:
                for ev in station.drain_events():
                    writer.event(ev.time_s, ev.kind, "patient", details=ev.details)
                if progress is not None:
                    progress(sample.time, n_ticks * station.dt)
        for ev in station.drain_events():
            writer.event(ev.time_s, ev.kind, "patient", details=ev.details)
        wall = time.perf_counter() - wall0
        duration = ticks_done * station.dt
        strides = {"left": counter.count[0], "right": counter.count[1]}
        walking_s = max(duration - config.warmup_s / 2.0, 1e-9)
        summary: dict[str, Any] = {
            "session_id": config.session_id,
            "simulated": True,
            "profile": profile.id,
            "seed": config.seed,
            "duration_s": round(duration, 3),
            "real_time_factor": round(duration / wall, 2) if wall > 0 else None,
            "wall_time_s": round(wall, 3),
            "strides": strides,
            "mean_cadence_steps_per_min": round(
                (strides["left"] + strides["right"]) / walking_s * 60.0, 1),
            "controller": config.controller,
            "settings": config.settings(),
            "ended_by": ended_by,
            "recording": RECORDING_FILENAME,
            "patient_fatigue_end": round(patient.fatigue, 4),
            **safety.summary(),
        }
        writer.event(duration, "session_finished", "session", ended_by=ended_by)
        writer.close(final={"summary": summary, "ended_by": ended_by})
    (out_dir / SUMMARY_FILENAME).write_text(json.dumps(summary, indent=2) + "\n")
    return summary
