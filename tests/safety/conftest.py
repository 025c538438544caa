"""Enforces the hazard list: a hazard whose named tests did not pass fails the session.

Outcomes are gathered on the controlling process (xdist sends every worker's reports there).
Locally a partial run only fails for hazard tests that ran and did not pass; with CI set, where
the whole suite runs, a hazard test that did not run fails too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gaitway.safety.hazards import HAZARD_FILE, load_hazards, unverified

ROOT = Path(__file__).resolve().parents[2]
_outcomes: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or report.outcome != "passed":
        prev = _outcomes.get(report.nodeid)
        if prev is None or prev == "passed":
            _outcomes[report.nodeid] = report.outcome


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput") or session.config.option.collectonly:
        return
    hazards = load_hazards(ROOT / HAZARD_FILE)
    problems = unverified(hazards, _outcomes)
    if not os.environ.get("CI"):
        problems = [p for p in problems if not p.endswith("did not run")]
    if problems:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        msg = "hazards without a passing test:\n  " + "\n  ".join(problems)
        if tr is not None:
            tr.write_line(msg, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
