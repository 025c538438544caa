"""``gaitway recording info``: a summary, JSON, and one clear line for bad input."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gaitway.cli import main as cli_main
from gaitway.cli import recording_cmd
from gaitway.recording import RECORDING_FILENAME


@pytest.fixture
def gaitway(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str]], int]:
    """The real ``gaitway`` entry point with only this part's command registered."""
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("gaitway.cli.recording_cmd",))
    return cli_main.main


@pytest.fixture
def session(
    rows: Callable[..., tuple[np.ndarray, np.ndarray]], write_recording: Callable[..., Path]
) -> Path:
    measured, truth = rows(1500)
    return write_recording(measured, truth, events=((0.5, "stride", "analytics", {}),) * 2)


def test_info_prints_a_human_summary(
    gaitway: Callable[[list[str]], int], session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gaitway(["recording", "info", str(session)]) == 0
    out = capsys.readouterr().out
    assert "SIMULATED session, complete" in out
    assert "1.500 s" in out
    assert "1500 samples at 1000 Hz" in out
    assert "stride x2" in out
    assert "[N] grf_x_left" in out
    assert "[rad] hip_angle_left" in out
    assert "truth [1] " in out
    assert "truth_fatigue" in out


def test_info_json_and_verify(
    gaitway: Callable[[list[str]], int], session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        gaitway(["recording", "info", str(session / RECORDING_FILENAME), "--json", "--verify"]) == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_samples"] == 1500
    assert summary["complete"] is True
    assert summary["events"] == {"stride": 2}
    assert summary["channels"]["knee_angle_left"] == "rad"
    assert summary["damaged_blocks"] == []
    assert summary["size_bytes"] == (session / RECORDING_FILENAME).stat().st_size


@pytest.mark.parametrize("problem", ["missing", "empty_dir", "garbage", "damaged"])
def test_bad_input_is_one_line_and_nonzero(
    gaitway: Callable[[list[str]], int],
    session: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    problem: str,
) -> None:
    args = ["recording", "info"]
    if problem == "missing":
        args.append(str(tmp_path / "nowhere"))
    elif problem == "empty_dir":
        (tmp_path / "empty").mkdir()
        args.append(str(tmp_path / "empty"))
    elif problem == "garbage":
        (tmp_path / "x.gwrec").write_bytes(b"hello, world" * 10)
        args.append(str(tmp_path / "x.gwrec"))
    else:
        path = session / RECORDING_FILENAME
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0xFF  # inside a samples payload
        path.write_bytes(bytes(raw))
        args += [str(session), "--verify"]
    assert gaitway(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaitway: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_register_adds_the_recording_group() -> None:
    parser = argparse.ArgumentParser()
    recording_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["recording", "info", "somewhere", "--json"])
    assert args.path == "somewhere"
    assert args.json
    assert not args.verify
