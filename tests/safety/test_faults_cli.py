"""`gaitway faults` and `gaitway simulate --inject`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gaitway.cli.main import main
from gaitway.safety.faults import FaultKind


def test_faults_lists_every_fault_with_its_reaction(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faults", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["kind"] for r in rows} == {str(k) for k in FaultKind}
    by = {r["kind"]: r["reaction"] for r in rows}
    assert by["emergency_stop"] == "immediate_stop"
    assert by["stop_button"] == "controlled_stop"
    assert main(["faults"]) == 0
    assert "emergency_stop" in capsys.readouterr().out


def test_simulate_inject_reports_safe_state(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s"
    code = main(["simulate", "--profile", "healthy", "--minutes", "0.05", "--out", str(out),
                 "--no-patient-events", "--quiet", "--inject", "emergency_stop@1.5",
                 "--inject", "belt_mismatch@2.8"])
    text = capsys.readouterr().out
    assert code == 0
    assert "safe state was reached" in text
    summary = json.loads((out / "summary.json").read_text())
    faults = [f for f in summary["faults"] if f["reaction"] != "warn"]
    assert faults[0]["kind"] == "emergency_stop"
    assert faults[0]["injected_at_s"] == pytest.approx(1.5, abs=0.002)
    assert set(faults[0]) >= {"kind", "injected_at_s", "detected_at_s", "reaction",
                              "safe_state_at_s"}
    assert summary["ended_by"].startswith("fault: emergency_stop")
    assert summary["duration_s"] < 2.5  # ended in the safe state, before belt_mismatch
    assert "belt_mismatch" not in {f["kind"] for f in summary["faults"]}


@pytest.mark.parametrize(("arg", "msg"), [
    ("gremlins@2", "unknown fault"),
    ("emergency_stop", "FAULT@SECONDS"),
    ("emergency_stop@soon", "not a number"),
    ("emergency_stop@-1", "0 s or later"),
])
def test_bad_injection_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   arg: str, msg: str) -> None:
    code = main(["simulate", "--profile", "healthy", "--minutes", "0.05",
                 "--out", str(tmp_path / "s"), "--inject", arg])
    err = capsys.readouterr().err
    assert code == 2
    assert msg in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_the_same_fault_twice_is_refused(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--profile", "healthy", "--minutes", "0.05",
                 "--out", str(tmp_path / "s"), "--inject", "fall@1", "--inject", "fall@2"])
    assert code == 2
    assert "once per session" in capsys.readouterr().err
