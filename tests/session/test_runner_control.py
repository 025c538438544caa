"""The runner and `gaitway simulate` with the control stack: summary fields, controllers,
recorded control channels and events (simulated sessions)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gaitway.cli.main import main
from gaitway.errors import UserError
from gaitway.recording import open_recording
from gaitway.session.runner import SessionConfig, run_session
from gaitway.session.validation import phase_error


def test_summary_reports_controller_tracking_and_participation(tmp_path: Path) -> None:
    s = run_session(SessionConfig(profile="hemiparetic-left-severe", minutes=0.4, seed=3,
                                  out_dir=tmp_path, guidance_pct=100.0, patient_events=False))
    assert s["controller"] == "guidance"
    assert set(s["tracking_error_rms_deg"]) == {
        "hip_left", "knee_left", "hip_right", "knee_right"
    }
    assert all(0.0 < v <= 3.0 for v in s["tracking_error_rms_deg"].values())
    assert set(s["active_participation"]) == {"left", "right"}
    assert all(isinstance(v, float) for v in s["active_participation"].values())
    # robot work with and against the patient, per joint; the patient's own share (truth)
    joints = {"hip_left", "knee_left", "hip_right", "knee_right"}
    for key in ("robot_assist_work_per_stride_j", "robot_resist_work_per_stride_j",
                "patient_positive_work_per_stride_j", "active_participation_pct_by_joint"):
        assert set(s[key]) == joints, key
        assert all(v is not None and v >= 0.0 for v in s[key].values()), (key, s[key])
    for j in joints:
        net = s["robot_assist_work_per_stride_j"][j] - s["robot_resist_work_per_stride_j"][j]
        assert s["robot_work_per_stride_j"][j] == pytest.approx(net, abs=2e-3)
    assert 0.0 < s["active_participation_pct"] < 100.0
    truth = s["patient_effort_truth"]
    assert "SIMULATED" in truth["label"]
    assert 0.0 < truth["activation"] < 1.0
    assert 0.0 < truth["drive"] <= 1.0
    rec = open_recording(tmp_path)
    ts = rec.read(["guidance", "phase_estimate_left", "cmd_belt_speed", "ref_hip_angle_left"])
    assert ts["guidance"][-1] == pytest.approx(1.0)
    assert ts["cmd_belt_speed"].max() == pytest.approx(2.0 / 3.6, abs=1e-4)
    assert np.ptp(ts["ref_hip_angle_left"]) > np.radians(20.0)
    states = [e.details["new"] for e in rec.events if e.kind == "state"]
    assert states == ["calibration", "warm_up", "training", "cool_down", "finished"]
    assert phase_error(tmp_path, from_s=10.0)["left"] <= 3.0  # % of the gait cycle
    # the summary scores the phase estimate online: steady strides of training
    pe = s["phase_error_rms_pct"]
    assert set(pe) == {"left", "right", "overall"}
    assert all(v is not None and 0.0 < v <= 3.0 for v in pe.values()), pe
    assert 0 < s["phase_error_strides"]["steady"]["left"] <= s["phase_error_strides"]["scored"][
        "left"]
    assert "simulated" in s["phase_error_note"]


def test_guidance_ramps_down_from_full_during_warm_up_and_is_recorded(tmp_path: Path) -> None:
    run_session(SessionConfig(profile="healthy", minutes=0.3, seed=1, out_dir=tmp_path,
                              guidance_pct=40.0, warmup_s=6.0, patient_events=False))
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
        SessionConfig(profile="healthy", minutes=0.1, seed=1, out_dir=tmp_path,
                      controller="aan", aan_min_pct=90.0, aan_max_pct=50.0).validate()
