"""Calibration on a small virtual cohort (the full figures: docs/planning.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gaitway.cli import main as cli_main
from gaitway.errors import UserError
from gaitway.planning.calibration import calibrate


def test_small_cohort_is_roughly_calibrated() -> None:
    r = calibrate(patients=6, seed=2, weeks=8, folds=3)
    assert r.patients == 6
    assert 0.6 <= r.coverage80 <= 0.95
    assert set(r.coverage_by_outcome) >= {"gait_speed", "guidance", "fac"}
    assert set(r.to_json()) == {"coverage80", "mae_weeks_model", "mae_weeks_baseline",
                                "patients"}
    if r.target_events:
        assert r.mae_weeks_model is not None
        assert r.mae_weeks_baseline is not None
    assert calibrate(patients=6, seed=2, weeks=8, folds=3) == r  # seeded


def test_validate_prediction_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    out = tmp_path / "cal.json"
    code = cli_main.main(["validate", "prediction", "--patients", "4", "--seed", "1",
                          "--weeks", "6", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert set(data) == {"coverage80", "mae_weeks_model", "mae_weeks_baseline", "patients"}
    assert data["patients"] == 4
    assert 0.0 <= data["coverage80"] <= 1.0
    assert "SIMULATED" in capsys.readouterr().out
    assert cli_main.main(["validate", "prediction", "--patients", "2"]) == 2
    assert "4-500" in capsys.readouterr().err


def test_bad_course_lengths() -> None:
    with pytest.raises(UserError, match="weeks"):
        calibrate(patients=4, seed=0, weeks=4)
