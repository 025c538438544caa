"""Replaying a recording as a station: the recording read into :class:`RecordedSamples`,
and a session run on it (the supervisor judges every replayed Sample, the control stack
answers it, its commands go nowhere), so safety, analytics and the console can be exercised
with any recording."""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from gaitway.errors import UserError
from gaitway.recording import open_recording
from gaitway.recording.errors import RecordingError
from gaitway.session.runner import run_session
from gaitway.session.settings import MAX_MINUTES, SessionSettings
from gaitway.session.stations import StationChoice
from gaitway.session.summary import SessionSummary, settings_from_v1
from gaitway.station.channels import SAMPLE_CHANNEL_NAMES
from gaitway.station.replay import RecordedSamples, ReplayStation


def recorded_samples(path: Path) -> tuple[RecordedSamples, dict[str, Any]]:
    """The Sample channels (and simulated truth) of a recording, and its metadata."""
    try:
        rec = open_recording(path)
    except (RecordingError, OSError) as exc:
        raise UserError(f"cannot replay {path}: {exc}") from None
    names = [n for n in SAMPLE_CHANNEL_NAMES[1:] if n in {c.name for c in rec.channels}]
    truth_names = [c.name for c in rec.truth_channels]
    ts = rec.read(names + truth_names)
    meta = rec.metadata
    mass = float(meta.get("patient", {}).get("body_mass_kg", 75.0))
    samples = RecordedSamples(
        time_s=ts.time, channel_names=tuple(names),
        values=np.column_stack([ts[n] for n in names]) if names else np.zeros((len(ts.time), 0)),
        body_mass_kg=mass, simulated=rec.simulated, label=str(meta.get("label", "")),
        dt=float(ts.dt),
        truth=np.column_stack([ts[n] for n in truth_names]) if truth_names else None,
        truth_names=tuple(truth_names))
    return samples, meta


def replay_choice(samples: RecordedSamples, source: Path, speed: float | None) -> StationChoice:
    """The replay as the session's station (the twin the runner builds stays idle); its
    recorded channels are quantised (:attr:`ReplayStation.quantised_channels`), so a replayed
    standstill is no stale signal."""
    return StationChoice(
        transport="replay",
        make=lambda twin: ReplayStation(samples, speed=speed),
        metadata={"kind": "replay", "source": str(source),
                  "speed": "max" if speed is None else speed,
                  "original_label": samples.label})


def replay_settings(path: Path, samples: RecordedSamples,
                    meta: dict[str, Any]) -> SessionSettings:
    """The session settings a replay of ``path`` runs with: the recorded session's own, for
    as long as the recording lasts.

    The control stack then answers the replayed samples as it answered them live, so
    command-and-response checks still agree (recordings of any version: version-1 setting
    names are renamed; the faults injected and their acknowledgements are in the recorded
    samples already; pauses are kept, so the stack stands when the recorded session stood)."""
    # the loop takes its first Sample at start and one per tick after: n rows give n-1 ticks
    minutes = min((samples.time_s[-1] - samples.time_s[0]) / 60.0, MAX_MINUTES)
    if not math.isfinite(minutes) or minutes <= 0.0:
        raise UserError(f"{path} covers no time: nothing to replay")
    known = {f.name for f in fields(SessionSettings)}
    settings = {k: v for k, v in settings_from_v1(dict(meta.get("settings") or {})).items()
                if k in known and k not in ("injections", "acknowledgements")}
    settings.setdefault("profile", meta.get("patient", {}).get("id", "healthy"))
    settings["minutes"] = minutes
    settings["patient_events"] = False
    return SessionSettings.from_dict(settings, where=f"{path}: its settings").validate()


def replay_session(path: Path, *,
                   speed: float | None = None) -> tuple[SessionSettings, StationChoice]:
    """What a session on a replay of ``path`` needs: its settings and its station."""
    samples, meta = recorded_samples(path)
    return replay_settings(path, samples, meta), replay_choice(samples, path, speed)


def run_replay(path: Path, out_dir: Path, *, speed: float | None = None) -> SessionSummary:
    """Run a session on a replay of the recording at ``path``; the new recording and its
    summary.json (``"transport": "replay"``) go to ``out_dir``."""
    config, choice = replay_session(path, speed=speed)
    return run_session(config, out_dir, station_choice=choice)
