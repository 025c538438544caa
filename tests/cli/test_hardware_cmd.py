"""``gaitway station check|run --config|replay`` end to end, on emulated drives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gaitway.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "exo4_canopen.toml"


def test_check_on_emulated_drives_prints_the_table_and_passes(
        capsys: pytest.CaptureFixture[str]) -> None:
    # The emulated drives are threads of this process: on a starved host their PDOs came
    # late past the configured 50-ms deadline three ticks running and the check rightly
    # stopped every drive (once in a full CI run on a83e56f). On emulated drives the check
    # runs with a headless session's widened deadlines (session.stations.unpaced_timing).
    rc = main(["station", "check", "--config", str(EXAMPLE), "--emulate", "--move"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "Commissioning checks" in out
    assert "inside end stops" in out
    assert "direction" in out
    assert "FAILED" not in out
    assert "checks passed" in out


def test_a_contradictory_config_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("heartbeat_consumer_ms = 300",
                                               "heartbeat_consumer_ms = 120"))
    assert main(["station", "check", "--config", str(bad), "--emulate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "heartbeat_consumer_ms" in err[0]


def test_run_over_canopen_writes_the_simulate_summary_with_its_transport(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["station", "run", "--config", str(EXAMPLE), "--emulate", "--minutes", "0.05",
                 "--profile", "healthy", "--out", str(tmp_path / "s")])
    assert code == 0
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert summary["transport"] == "canopen"
    assert summary["simulated"] is True
    assert summary["ended_by"] == "completed"
    assert "SIMULATED session over CANopen" in capsys.readouterr().out
    # and the same recording replays through the Station interface
    code = main(["station", "replay", str(tmp_path / "s"), "--speed", "max",
                 "--out", str(tmp_path / "r")])
    assert code == 0
    again = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert again["transport"] == "replay"
    assert again["strides"] == summary["strides"]


@pytest.mark.parametrize(("args", "words"), [
    (["station", "run", "--config", str(EXAMPLE)], "--emulate"),
    (["station", "run"], "--server URL and --station-id ID"),
    (["station", "replay", "nowhere", "--speed", "fast"], "--speed wants a number"),
])
def test_bad_station_commands_say_what_to_do(args: list[str], words: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert words in capsys.readouterr().err
