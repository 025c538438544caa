"""A whole session with a virtual patient over CANopen: emulated CiA 402 drives move the twin."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from gaitway.recording import open_recording
from gaitway.safety.faults import Reaction
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.session.stations import (
    HEADLESS_HEARTBEAT_CONSUMER_MS,
    HEADLESS_PDO_DEADLINE_MS,
    emulated_canopen,
)
from gaitway.station.canopen.config import load_config
from gaitway.station.canopen.emulator import EmulatedDrives, emulated_station
from gaitway.station.interface import Command, Sample, Station, StationWrapper
from gaitway.station.sim.twin import SimStation

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "exo4_canopen.toml"


@pytest.mark.slow
def test_a_30_second_session_runs_over_canopen(tmp_path: Path) -> None:
    cfg = load_config(EXAMPLE)
    summary = run_session(SessionSettings(profile="hemiparetic-left-moderate", minutes=0.5,
                                          seed=2), tmp_path,
                          station_choice=emulated_canopen(cfg))
    assert summary.transport == "canopen"
    assert summary.ended_by == "completed"
    assert summary.duration_s == pytest.approx(30.0, abs=0.01)
    assert min(summary.strides.left, summary.strides.right) >= 15
    assert all(v is not None and v < 5.0 for v in asdict(summary.tracking_error_rms_deg).values())
    assert not [f for f in summary.faults if f["reaction"] != "warn"]
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["transport"] == "canopen"
    rec = open_recording(tmp_path)
    assert rec.complete
    station = rec.metadata["station"]
    assert station["kind"] == "canopen"
    assert station["drives"]["knee_right"] == {"bus": "right", "node_id": 2}
    assert "drives_enabled" in {e.kind for e in rec.events}
    ts = rec.read(["knee_brake_left", "hip_sto_right"])
    assert float(ts["knee_brake_left"].max()) == 0.0  # released while the session ran
    assert float(ts["hip_sto_right"].max()) == 0.0


@pytest.mark.slow
def test_an_immediate_stop_switches_the_drives_off_and_an_acknowledged_resume_enables_them(
        tmp_path: Path) -> None:
    """An emergency stop over CANopen: the drives are switched off at the drive (disable
    voltage, brakes hold), not merely sent zero torque; the acknowledged resume walks them
    back to operation enabled and the session walks on to its end."""
    summary = run_session(SessionSettings(profile="healthy", minutes=9.0 / 60.0, seed=3,
                                          patient_events=False,
                                          injections=("emergency_stop@3",),
                                          acknowledgements=("therapist-A@5",)),
                          tmp_path, station_choice=emulated_canopen(load_config(EXAMPLE)))
    assert summary.ended_by == "completed"
    stop = next(f for f in summary.faults if f["kind"] == "emergency_stop")
    assert stop["reaction"] == "immediate_stop"
    assert stop["safe_state_at_s"] is not None
    assert stop["acknowledged_by"] == "therapist-A"
    rec = open_recording(tmp_path)
    enabled = sorted(e.time_s for e in rec.events if e.kind == "drives_enabled")
    assert len(enabled) == 4  # two buses at the start, two again on the resume
    assert enabled[2] >= stop["acknowledged_at_s"] - 0.01
    ts = rec.read(["knee_brake_left", "hip_brake_right"])
    t = ts.time
    stopped = (t > stop["detected_at_s"] + 0.05) & (t < stop["acknowledged_at_s"] - 0.01)
    walking_again = t > enabled[2] + 0.1
    for name in ("knee_brake_left", "hip_brake_right"):
        assert float(ts[name][stopped].min()) == 1.0  # switched off: the brake holds
        assert float(ts[name][walking_again].max()) == 0.0  # enabled again: released


class _LoseKneeAt(StationWrapper):
    """The left knee drive's PDOs stop arriving from ``at_s`` on (a cut cable)."""

    def __init__(self, inner: Station, rig: EmulatedDrives, at_s: float) -> None:
        super().__init__(inner)
        self.rig, self.at_s = rig, at_s

    def step(self, command: Command) -> Sample:
        s = super().step(command)
        if s.time >= self.at_s:
            self.rig.drive("knee_left").drop_tpdos = 10**9
        return s


@pytest.mark.slow
def test_a_drive_lost_mid_session_ends_in_the_safe_state(tmp_path: Path) -> None:
    """A drive whose PDOs stop: communication loss, immediate stop, the safe state reached;
    its readings are NaN from then on (no held value passes for a reading) and the station
    no longer waits for it each tick, so the session ends promptly."""
    cfg = replace(load_config(EXAMPLE), pdo_deadline_ms=HEADLESS_PDO_DEADLINE_MS,
                  heartbeat_consumer_ms=HEADLESS_HEARTBEAT_CONSUMER_MS)  # a loaded host is no fault

    def make(twin: SimStation) -> Station:
        station, rig = emulated_station(cfg, twin)
        return _LoseKneeAt(station, rig, 3.0)

    choice = replace(emulated_canopen(cfg), make=make)
    summary = run_session(SessionSettings(profile="healthy", minutes=6.0 / 60.0, seed=1,
                                          patient_events=False), tmp_path,
                          station_choice=choice)
    # a warning may come first (once at load 8-13: an interaction_force warning, the healthy
    # start's cuff torque near the 60 N*m warning level); the drive's loss must be the first
    # fault that stops the session, and nothing stopped it before
    stops = [f for f in summary.faults if f["reaction"] != Reaction.WARN.label]
    first = stops[0]
    assert (first["kind"], first["reaction"]) == ("communication_loss", "immediate_stop")
    assert 3.0 <= first["detected_at_s"] <= 3.0 + 0.010
    assert first["safe_state_at_s"] is not None
    assert summary.ended_by.startswith("fault")
    ts = open_recording(tmp_path).read(["knee_angle_left", "hip_angle_left"])
    after = ts.time > first["detected_at_s"]
    assert np.isnan(ts["knee_angle_left"][after]).all()
    assert all(math.isfinite(x) for x in ts["hip_angle_left"])  # the others still read
