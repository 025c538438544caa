"""`gaitway simulate`, `gaitway profiles` and the README's main command, as a user runs them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gaitway.cli.main import main
from gaitway.station.sim.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[2]


def _gaitway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gaitway.cli.main", *args],
                          capture_output=True, text=True, timeout=300, check=False)


def test_profiles_lists_every_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rows} == set(PROFILES)
    assert all("strength_left" in r and "participation" in r for r in rows)


def test_simulate_prints_a_summary_and_writes_summary_json(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = _gaitway("simulate", "--profile", "healthy", "--minutes", "0.1", "--seed", "3",
                      "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "SIMULATED" in result.stdout
    assert "strides: left" in result.stdout
    assert "real-time factor" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["simulated"] is True
    assert summary["seed"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "nobody", "--minutes", "1"], "unknown profile 'nobody'"),
        (["--profile", "healthy", "--minutes", "-2"], "--minutes must be"),
        (["--profile", "healthy", "--minutes", "1", "--speed", "4"], "beyond what the device"),
        (["--profile", "healthy", "--minutes", "abc"], "invalid float value"),
        # a halved range cannot follow the belt at 3.2 km/h (issue 12 item 4)
        (["--profile", "healthy", "--minutes", "1", "--speed", "3.2", "--rom-hip", "0.5",
          "--rom-knee", "0.5"], "raise the hip range of motion to x0.90 or more or lower the "
                                "speed to 0.8 km/h or less"),
    ],
)
def test_bad_arguments_give_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = _gaitway("simulate", *args, "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert not (tmp_path / "x").exists()


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _gaitway("simulate", "--profile", "healthy", "--minutes", "0.1",
                      "--out", str(blocker / "run"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "is a file, so" in result.stderr
    assert "choose another folder" in result.stderr


def test_the_readme_main_command_starts_the_clinic(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    assert "./scripts/run.sh" in readme
    assert "./scripts/test.sh" in readme
    env = {**os.environ, "GAITWAY_DATA_DIR": str(tmp_path)}
    env.pop("GAITWAY_DATABASE_URL", None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh"), "--no-history",
                             "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.monotonic() + 240
        health = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    health = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.5)
        assert health is not None, "the clinic server did not answer /health"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
    assert f"http://127.0.0.1:{port}/" in out
    assert "demo-therapist-pass" in out
    assert "SIMULATED" in out
