"""Recording of console sessions and their import into the clinic store.

Every console session writes a recording with the same channels and metadata as a headless
simulated session (``gaitway.session.runner``), labelled SIMULATED, into its own directory
under the clinic data directory. The loop thread only appends rows (the writer compresses and
writes in its own thread). When the session ends, ``summary.json`` is written (not for a
session that ended while holding a fault's safe state: the store then marks it
``interrupted``) and a separate thread imports the directory into the clinic store, so the
patient's and therapist's progress pages show it.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

import mujoco
import numpy as np

import gaitway
from gaitway.recording import RECORDING_FILENAME, RecordingWriter
from gaitway.session.loop import PhasePlan
from gaitway.station.channels import (
    N_SAMPLE_CHANNELS,
    RECORDED_CHANNELS,
    RECORDED_COMMAND,
    TRUTH_CHANNELS,
)
from gaitway.station.interface import Command, Sample
from gaitway.station.sim.emg import EMG_DESCRIPTION
from gaitway.station.sim.profiles import PatientProfile

SUMMARY_FILENAME: Final[str] = "summary.json"
LABEL: Final[str] = ("SIMULATED SESSION: virtual patient on the MuJoCo twin, run live from the "
                     "web console")

#: imports a finished session directory; returns the stored session's id
Importer = Callable[[Path, str], str]


class LiveRecorder:
    """One console session's recording: open at start, rows per tick, summary at the end."""

    def __init__(self, directory: Path, *, station_name: str, patient: str,
                 profile: PatientProfile, seed: int, dt_s: float, plan: PhasePlan,
                 settings: dict[str, Any]) -> None:
        self.session_id = str(uuid.uuid4())
        started = dt.datetime.now(dt.UTC)
        self.directory = directory / f"{started:%Y%m%dT%H%M%S}-{self.session_id[:8]}"
        self.directory.mkdir(parents=True, exist_ok=False)
        metadata = {
            "simulated": True,
            "label": LABEL,
            "session_id": self.session_id,
            "started_at": started.isoformat(),
            "gaitway_version": gaitway.__version__,
            "station": {"name": station_name, "kind": "sim-twin",
                        "model": "gaitway_lokomat_twin", "mujoco_version": mujoco.__version__,
                        "dt_s": dt_s},
            "patient": {**asdict(profile), "body_mass_kg": profile.mass_kg,
                        "paretic_side": profile.paretic_side, "pseudonym": patient},
            "settings": settings,
            "phase_plan_s": asdict(plan),
            "seed": seed,
            "emg": EMG_DESCRIPTION,
        }
        self.started_at = started
        self.writer = RecordingWriter(self.directory / RECORDING_FILENAME,
                                      channels=RECORDED_CHANNELS, truth_channels=TRUTH_CHANNELS,
                                      metadata=metadata, dt=dt_s)
        self._row = np.zeros(len(RECORDED_CHANNELS))
        self._lock = threading.Lock()
        self.closed = False

    def append(self, sample: Sample, control: list[float], command: Command,
               truth: np.ndarray[Any, Any]) -> None:
        """One tick, as the runner records it (cmd_* channels: what the drives got)."""
        row, n_s = self._row, N_SAMPLE_CHANNELS
        row[:n_s] = sample.values
        row[n_s:] = control
        row[RECORDED_COMMAND] = command
        self.writer.append(row, truth)

    def event(self, time_s: float, kind: str, source: str, **details: Any) -> None:
        """Record an event; from any thread, and quietly dropped once the recording closed."""
        with self._lock:
            if not self.closed:
                self.writer.event(time_s, kind, source, **details)

    def finish(self, summary: dict[str, Any], *, interrupted: bool) -> None:
        """Close the recording; write summary.json unless the session was interrupted."""
        with self._lock:
            self.closed = True
            self.writer.close(final={"summary": summary, "ended_by": summary["ended_by"]})
        if not interrupted:
            (self.directory / SUMMARY_FILENAME).write_text(json.dumps(summary, indent=2) + "\n")


def store_importer(store: Any) -> Importer:
    """An importer into ``store`` (a ClinicStore) for sessions of the pseudonymised patient."""
    from gaitway.clinic.importer import import_session

    def run(directory: Path, patient: str) -> str:
        return import_session(store, directory, actor="web:live-session",
                              patient_ref=patient).session_id

    return run
