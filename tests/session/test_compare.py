"""`gaitway compare` on a 20-patient virtual cohort (simulated), and its statistics."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gaitway.cli.main import main
from gaitway.session.compare import mean_ci


def test_mean_ci_matches_a_hand_computed_t_interval() -> None:
    m, lo, hi, n = mean_ci([1.0, 2.0, 3.0, 4.0, math.nan])
    assert (m, n) == (2.5, 4)
    # t(0.975, 3) = 3.182; sd = 1.291; half-width = 3.182 * 1.291 / 2 = 2.054
    assert lo == pytest.approx(2.5 - 2.054, abs=1e-3)
    assert hi == pytest.approx(2.5 + 2.054, abs=1e-3)


@pytest.mark.slow
def test_compare_two_controllers_on_a_20_patient_cohort(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp.json"
    code = main(["compare", "--cohort", "20", "--seed", "5", "--controllers", "guidance,resist",
                 "--minutes", "0.06", "--workers", "2", "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "SIMULATED" in text
    assert "tracking error" in text
    result = json.loads(out.read_text())
    assert result["simulated"] is True
    assert result["cohort"] == 20
    assert len(result["runs"]) == 40
    rows = {r["metric"]: r for r in result["table"]}
    assert set(rows) == {"tracking_error_deg", "active_participation_pct", "patient_work_j",
                         "robot_work_j", "robot_resist_work_j", "cuff_participation_nm",
                         "steps", "phase_error_pct"}
    assert "phase error" in text
    err = rows["tracking_error_deg"]
    # full guidance tracks the timed reference far better than resistance does
    assert err["guidance"]["mean"] < err["resist"]["mean"]
    lo, _hi = err["difference"]["ci95"]
    assert lo > 0.0
    assert err["guidance"]["n"] >= 15


def test_compare_refuses_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--cohort", "20", "--seed", "1", "--controllers", "guidance"]) == 2
    assert "exactly two" in capsys.readouterr().err
    assert main(["compare", "--cohort", "20", "--seed", "1",
                 "--controllers", "guidance,fly"]) == 2
    assert "controller must be one of" in capsys.readouterr().err


@pytest.mark.slow
def test_assist_as_needed_gives_more_participation_and_less_robot_work(
    tmp_path: Path,
) -> None:
    """Issue 19: on a virtual cohort, assist-as-needed against 100 % guidance shows the
    patients doing more of the walking (their share of the positive work) and the robot less
    (its positive work per stride), as the same figures in the session summary define them."""
    out = tmp_path / "aan.json"
    code = main(["compare", "--cohort", "2", "--seed", "2", "--controllers", "guidance,aan",
                 "--minutes", "1.5", "--workers", "2", "--json", str(out)])
    assert code == 0
    rows = {r["metric"]: r for r in json.loads(out.read_text())["table"]}
    part = rows["active_participation_pct"]
    work = rows["robot_work_j"]
    assert part["aan"]["mean"] > part["guidance"]["mean"], part
    assert part["difference"]["mean"] > 0.0, part
    assert work["aan"]["mean"] < work["guidance"]["mean"], work
    assert work["difference"]["mean"] < 0.0, work
