"""The hazard list is complete, well formed and names tests that exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gaitway.errors import UserError
from gaitway.safety.hazards import (
    HAZARD_FILE,
    load_hazards,
    missing_tests,
    uncovered_faults,
    unverified,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_fault_has_a_hazard() -> None:
    hazards = load_hazards(ROOT / HAZARD_FILE)
    assert len(hazards) >= 19
    assert uncovered_faults(hazards) == []


def test_every_named_test_exists() -> None:
    hazards = load_hazards(ROOT / HAZARD_FILE)
    files = sorted({t.split("::")[0] for h in hazards for t in h.tests})
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider", *files],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    collected = [ln.strip() for ln in out.stdout.splitlines() if "::" in ln]
    assert len(collected) > 60
    assert missing_tests(hazards, collected) == []


def test_checker_flags_missing_and_failed_tests(tmp_path: Path) -> None:
    f = tmp_path / "h.toml"
    f.write_text('[[hazard]]\nid = "X1"\nhazard = "h"\ncause = "c"\nharm = "x"\n'
                 'risk_control = "r"\nfaults = ["fall"]\n'
                 'tests = ["tests/a.py::test_a[*]", "tests/a.py::test_b"]\n')
    hz = load_hazards(f)
    assert missing_tests(hz, ["tests/a.py::test_a[1]"]) == ["X1: tests/a.py::test_b"]
    outcomes = {"tests/a.py::test_a[1]": "passed", "tests/a.py::test_a[2]": "failed"}
    bad = unverified(hz, outcomes)
    assert "X1: tests/a.py::test_a[2] failed" in bad
    assert "X1: tests/a.py::test_b did not run" in bad
    assert unverified(hz, {"tests/a.py::test_a[1]": "passed",
                           "tests/a.py::test_b": "passed"}) == []


@pytest.mark.parametrize(("text", "what"), [
    ('[[hazard]]\nid = "X"\nhazard = ""\ncause = "c"\nharm = "h"\nrisk_control = "r"\n'
     'tests = ["a.py::t"]\n', "hazard"),
    ('[[hazard]]\nid = "X"\nhazard = "h"\ncause = "c"\nharm = "h"\nrisk_control = "r"\n'
     'tests = []\n', "test"),
    ('[[hazard]]\nid = "X"\nhazard = "h"\ncause = "c"\nharm = "h"\nrisk_control = "r"\n'
     'faults = ["gremlins"]\ntests = ["a.py::t"]\n', "gremlins"),
    ("not toml [", "cannot read"),
])
def test_bad_hazard_lists_are_refused(tmp_path: Path, text: str, what: str) -> None:
    f = tmp_path / "h.toml"
    f.write_text(text)
    with pytest.raises(UserError, match=what):
        load_hazards(f)
