"""Headless simulated sessions: summary, recording, determinism, crash safety, every profile."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from gaitway.errors import UserError
from gaitway.recording import open_recording
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import SCHEMA_VERSION, SessionSummary
from gaitway.station.channels import RECORDED_CHANNELS, TRUTH_CHANNELS
from gaitway.station.sim.profiles import PROFILES

REQUIRED_PROFILES = {
    "healthy",
    "hemiparetic-left-mild", "hemiparetic-left-moderate", "hemiparetic-left-severe",
    "hemiparetic-right-mild", "hemiparetic-right-moderate", "hemiparetic-right-severe",
    "sci-incomplete",
}


def test_every_required_profile_is_registered() -> None:
    assert set(PROFILES) >= REQUIRED_PROFILES


def test_summary_holds_what_the_issue_names(tmp_path: Path) -> None:
    summary = run_session(SessionSettings(profile="healthy", minutes=0.25, seed=4,
                                          patient_events=False), tmp_path)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == summary.to_dict()
    assert SessionSummary.read(tmp_path) == summary  # written and read by the same code
    assert on_disk["schema_version"] == SCHEMA_VERSION
    assert summary.simulated is True
    assert summary.profile == "healthy"
    assert summary.seed == 4
    assert summary.duration_s == pytest.approx(15.0)
    assert isinstance(summary.real_time_factor, float)
    assert summary.real_time_factor > 0
    # 15 s at 2 km/h, strides of about 1.5-1.8 s after the belt's ramp
    assert 6 <= summary.strides.left <= 11
    assert abs(summary.strides.left - summary.strides.right) <= 1


def test_recording_reads_back_with_truth_and_labels(tmp_path: Path) -> None:
    run_session(SessionSettings(profile="hemiparetic-right-mild", minutes=0.1, seed=2,
                                patient_events=False), tmp_path)
    rec = open_recording(tmp_path)
    assert rec.complete
    assert not rec.cut_off
    assert rec.simulated
    assert rec.metadata["label"].startswith("SIMULATED")
    assert rec.metadata["emg"].startswith("synthetic")
    assert [c.name for c in rec.channels] == [c.name for c in RECORDED_CHANNELS]
    assert [c.name for c in rec.truth_channels] == [c.name for c in TRUTH_CHANNELS]
    assert rec.n_samples == 6000
    ts = rec.read(["knee_angle_right", "truth_contact_right"], start_s=2.0, end_s=4.0)
    assert ts.time[0] >= 2.0
    assert ts.time[-1] <= 4.0
    assert set(np.unique(ts["truth_contact_right"])) <= {0.0, 1.0}
    kinds = [e.kind for e in rec.events]
    assert kinds[0] == "session_started"
    assert kinds[-1] == "session_finished"


def test_same_seed_same_session_bit_for_bit(tmp_path: Path) -> None:
    cfg = {"profile": "hemiparetic-left-moderate", "minutes": 0.1, "seed": 11}
    a = run_session(SessionSettings(**cfg), tmp_path / "a")  # type: ignore[arg-type]
    b = run_session(SessionSettings(**cfg), tmp_path / "b")  # type: ignore[arg-type]
    c = run_session(SessionSettings(**{**cfg, "seed": 12}),  # type: ignore[arg-type]
                    tmp_path / "c")
    ra, rb, rc = (open_recording(tmp_path / x).read() for x in "abc")
    for name in ra.data:
        assert np.array_equal(ra[name], rb[name], equal_nan=True), name
    assert not np.array_equal(ra["grf_z_left"], rc["grf_z_left"])
    assert a.session_id == b.session_id != c.session_id
    assert a.strides == b.strides


def test_a_killed_session_reads_back_up_to_a_second_before_the_kill(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    script = textwrap.dedent(f"""
        from pathlib import Path
        from gaitway.session.runner import run_session
        from gaitway.session.settings import SessionSettings
        hb = Path({str(heartbeat)!r})
        def progress(t, total):
            hb.write_text(repr(t))
        run_session(SessionSettings(profile="healthy", minutes=10, seed=1,
                                    patient_events=False),
                    Path({str(tmp_path / "s")!r}), progress=progress)
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if heartbeat.exists() and heartbeat.read_text() and float(heartbeat.read_text()) > 8:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the simulated session did not get going within 120 s")
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    last_heartbeat = float(heartbeat.read_text())
    rec = open_recording(tmp_path / "s")
    assert rec.cut_off
    assert not rec.complete
    assert any("cut off" in p for p in rec.problems)
    # everything up to at most 1 s before the kill is there (the kill came after the heartbeat)
    assert rec.end_time_s >= last_heartbeat - 1.0
    ts = rec.read(["time", "hip_angle_left"])
    assert np.all(np.diff(ts.time) > 0)
    assert len(ts.time) == rec.n_samples


@pytest.mark.parametrize(
    "bad",
    [
        {"profile": "nobody"},
        {"minutes": -1.0},
        {"minutes": float("nan")},
        {"speed_kmh": 5.0},
        {"speed_kmh": 0.2},
        {"guidance_pct": 120.0},
        {"bws_pct": 95.0},
        {"seed": -3},
    ],
)
def test_bad_settings_are_clear_errors(tmp_path: Path, bad: dict[str, object]) -> None:
    cfg = {"profile": "healthy", "minutes": 1.0, "seed": 1} | bad
    with pytest.raises(UserError):
        run_session(SessionSettings(**cfg), tmp_path)  # type: ignore[arg-type]
    assert not (tmp_path / "recording.gwrec").exists()


def test_an_existing_recording_is_never_overwritten(tmp_path: Path) -> None:
    run_session(SessionSettings(profile="healthy", minutes=0.02, seed=1), tmp_path)
    before = (tmp_path / "recording.gwrec").read_bytes()
    with pytest.raises(UserError, match="already holds a recording"):
        run_session(SessionSettings(profile="healthy", minutes=0.02, seed=2), tmp_path)
    assert (tmp_path / "recording.gwrec").read_bytes() == before


@pytest.mark.slow
@pytest.mark.parametrize("profile", sorted(REQUIRED_PROFILES))
def test_five_minute_session_of_every_profile_runs_and_reads_back(
    tmp_path: Path, profile: str
) -> None:
    summary = run_session(SessionSettings(profile=profile, minutes=5.0, seed=7,
                                          patient_events=False), tmp_path)
    rec = open_recording(tmp_path)
    assert rec.complete
    assert rec.duration_s == pytest.approx(300.0, abs=0.01)
    ts = rec.read(["grf_z_left", "grf_z_right", "hip_angle_left"], start_s=290.0)
    assert np.isfinite(ts["hip_angle_left"]).all()
    # walking all along: strides on both sides, roughly one per 1.3-2.2 s
    for side in ("left", "right"):
        assert 130 <= getattr(summary.strides, side) <= 230, (side, summary.strides)
    assert (tmp_path / "recording.gwrec").stat().st_size < 60e6 / 6  # 60 MB per 30 min
