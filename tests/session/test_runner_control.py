"""The runner and `gaitway simulate` with the control stack: summary fields, controllers,
recorded control channels and events (simulated sessions)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from gaitway.cli.main import main
from gaitway.errors import UserError
from gaitway.recording import open_recording
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import SessionSummary
from gaitway.session.validation import phase_error
from gaitway.station.channels import EMG_MUSCLES


def test_summary_reports_controller_tracking_and_participation(tmp_path: Path) -> None:
    s = run_session(SessionSettings(profile="hemiparetic-left-severe", minutes=0.4, seed=3,
                                    guidance_pct=100.0, patient_events=False), tmp_path)
    assert s.controller == "guidance"
    err = asdict(s.tracking_error_rms_deg)
    assert set(err) == {"hip_left", "knee_left", "hip_right", "knee_right"}
    assert all(v is not None and 0.0 < v <= 3.0 for v in err.values())
    assert isinstance(s.active_participation_nm.left, float)
    assert isinstance(s.active_participation_nm.right, float)
    # robot work with and against the patient, per joint; the patient's own share (truth)
    assist, resist, net = (s.robot_assist_work_per_stride_j, s.robot_resist_work_per_stride_j,
                           s.robot_work_per_stride_j)
    assert assist is not None
    assert resist is not None
    assert net is not None
    e = s.effort
    assert e is not None
    for j in ("hip_left", "knee_left", "hip_right", "knee_right"):
        a, r = getattr(assist, j), getattr(resist, j)
        assert a is not None
        assert r is not None
        assert a >= 0.0
        assert r >= 0.0
        assert getattr(net, j) == pytest.approx(a - r, abs=2e-3)
        assert getattr(e.patient_positive_work_per_stride_j, j) >= 0.0
        assert 0.0 <= getattr(e.active_participation_pct_by_joint, j) <= 100.0
    assert e.active_participation_pct is not None
    assert 0.0 < e.active_participation_pct < 100.0
    assert "SIMULATED" in e.label
    assert e.activation is not None
    assert 0.0 < e.activation < 1.0
    assert e.drive is not None
    assert 0.0 < e.drive <= 1.0
    assert len(e.activation_by_muscle) == 8
    assert all(0.0 < v < 1.0 for v in e.activation_by_muscle.values())
    # the same contract read back from summary.json
    assert SessionSummary.read(tmp_path) == s
    rec = open_recording(tmp_path)
    # each muscle's true activation is recorded beside its synthetic EMG, readable by name
    names = [f"truth_activation_{m}_{side}" for m in EMG_MUSCLES for side in ("left", "right")]
    truth = rec.read(names)
    for n, key in zip(names, e.activation_by_muscle, strict=True):
        x = truth[n]
        assert len(x) == len(truth.time)
        assert x.min() >= 0.0
        assert x.max() <= 1.0
        assert np.ptp(x) > 0.01, n  # it varies over the gait cycle
        assert rec.units[n] == "1"
        assert key == n.removeprefix("truth_activation_")
    ts = rec.read(["guidance", "phase_estimate_left", "cmd_belt_speed", "ref_hip_angle_left"])
    assert ts["guidance"][-1] == pytest.approx(1.0)
    assert ts["cmd_belt_speed"].max() == pytest.approx(2.0 / 3.6, abs=1e-4)
    assert np.ptp(ts["ref_hip_angle_left"]) > np.radians(20.0)
    states = [e.details["new"] for e in rec.events if e.kind == "state"]
    assert states == ["calibration", "warm_up", "training", "cool_down", "finished"]
    assert phase_error(tmp_path, from_s=10.0)["left"] <= 3.0  # % of the gait cycle
    # the summary scores the phase estimate online: steady strides of training
    pe = s.phase_error
    assert pe is not None
    rms = (pe.rms_pct.left, pe.rms_pct.right, pe.overall_rms_pct)
    assert all(v is not None and 0.0 < v <= 3.0 for v in rms), pe
    assert 0 < pe.steady_strides.left <= pe.scored_strides.left
    assert "simulated" in pe.note


def test_guidance_ramps_down_from_full_during_warm_up_and_is_recorded(tmp_path: Path) -> None:
    run_session(SessionSettings(profile="healthy", minutes=0.3, seed=1,
                                guidance_pct=40.0, warmup_s=6.0, patient_events=False), tmp_path)
    rec = open_recording(tmp_path)
    g = rec.read(["guidance"])
    assert g["guidance"][0] == pytest.approx(1.0, abs=1e-3)
    assert g["guidance"][-1] == pytest.approx(0.4)
    asked = [e for e in rec.events if e.kind == "change_requested"]
    assert asked[0].source == "session:warm-up"


@pytest.mark.parametrize("controller", ["path", "aan", "resist"])
def test_simulate_cli_runs_each_controller(tmp_path: Path, controller: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--profile", "hemiparetic-right-mild", "--minutes", "0.2",
                 "--seed", "2", "--out", str(tmp_path), "--controller", controller,
                 "--no-patient-events", "--quiet"])
    assert code == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["controller"] == controller
    assert s["strides"]["left"] >= 3
    assert "tracking error" in capsys.readouterr().out


def test_bad_controller_settings_are_one_line_errors(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--profile", "healthy", "--minutes", "0.1", "--out",
                 str(tmp_path), "--controller", "path", "--tunnel-width", "45"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "tunnel-width" in err[0]
    with pytest.raises(UserError, match="support bounds"):
        SessionSettings(profile="healthy", minutes=0.1, seed=1,
                        controller="aan", aan_min_pct=90.0, aan_max_pct=50.0).validate()
