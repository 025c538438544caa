"""A whole session on the Lab Streaming Layer, across processes: ``gaitway simulate --lsl``
read by this process, and an EMG amplifier in another process recorded in a session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
from tests.station.test_lsl import EMG_AMP, READER

from gaitway.errors import UserError
from gaitway.recording import open_recording
from gaitway.session.lsl_bridge import LslOptions, parse_inlet
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.station.lsl import InletSpec

GAITWAY = str(Path(sys.executable).with_name("gaitway"))


@pytest.mark.timeout(300)
def test_simulate_streams_its_channels_and_events_to_another_process(tmp_path: Path) -> None:
    sim = subprocess.Popen(
        [GAITWAY, "simulate", "--profile", "healthy", "--minutes", "0.2", "--seed", "2",
         "--out", str(tmp_path / "s"), "--lsl", "--lsl-rate", "50", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GAITWAY_DATA_DIR": str(tmp_path)})
    # the outlet's source id is the session's: deterministic from its settings
    settings = SessionSettings(profile="healthy", minutes=0.2, seed=2, guidance_pct=60.0)
    src = f"gaitway-{settings.session_id}"
    reader = subprocess.run([sys.executable, "-c", READER, src], capture_output=True,
                            text=True, timeout=150)
    _out, err = sim.communicate(timeout=150)
    assert sim.returncode == 0, err
    assert reader.stdout.strip(), f"the reader got nothing: {reader.stderr[-2000:]}"
    got = json.loads(reader.stdout.splitlines()[-1])
    labels = [m[0] for m in got["meta"]]
    assert "hip_angle_left" in labels
    assert "grf_z_right" in labels
    assert {m[0]: m[1] for m in got["meta"]}["hip_angle_left"] == "rad"
    assert got["rate"] == pytest.approx(50.0)
    assert got["simulated"] == "true"
    assert len(got["rows"]) >= 20
    assert got["markers"], "no event marker arrived"
    # the session ran at real time (LSL streams are on the wall clock)
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert summary["real_time_factor"] < 1.5


@pytest.mark.timeout(120)
def test_an_emg_amplifier_in_another_process_is_recorded_in_the_session(tmp_path: Path) -> None:
    name = f"gaitway-emg-{uuid.uuid4().hex[:8]}"
    amp = subprocess.Popen([sys.executable, "-c", EMG_AMP, name], stdout=subprocess.PIPE,
                           text=True)
    try:
        assert amp.stdout is not None
        assert amp.stdout.readline().strip() == "streaming"
        s = run_session(SessionSettings(profile="healthy", minutes=0.05, seed=1), tmp_path / "r",
                        lsl=LslOptions(inputs=(InletSpec("EMG", name=name, timeout_s=10.0),)))
    finally:
        amp.kill()
    rec = open_recording(tmp_path / "r")
    ts = rec.read(["emg_vastus_lateralis_right", "emg_tibialis_anterior_left"])
    late = ts.time > 0.5  # once the first chunk arrived: the amplifier's values, not the twin's
    assert np.allclose(ts["emg_vastus_lateralis_right"][late], -2e-4, rtol=1e-3)
    assert rec.metadata["station"]["lsl_inputs"] == [{"type": "EMG", "name": name}]
    assert s.duration_s > 2.0


def test_lsl_options_refuse_what_cannot_work() -> None:
    with pytest.raises(UserError, match="lsl-rate"):
        LslOptions(outlet=True, rate_hz=500.0)
    with pytest.raises(UserError, match="stream's LSL type"):
        parse_inlet(":name")
    assert parse_inlet("EMG:Amp1") == InletSpec("EMG", "Amp1")
    with pytest.raises(UserError, match="no LSL stream of type 'NoSuchType'"):
        run_session(SessionSettings(profile="healthy", minutes=0.05), Path("/nonexistent/x"),
                    lsl=LslOptions(inputs=(InletSpec("NoSuchType", timeout_s=0.5),)))
