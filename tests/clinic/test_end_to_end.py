"""End to end: a simulated session is run, imported, reported and exported, through the CLI.

Uses the real session runner and the real analytics (no stand-ins); one short simulated
session is shared by the tests of this module to keep them quick.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import ezc3d
import pytest
from fhir.resources.R4B.bundle import Bundle

from gaitway.cli import main as cli_main
from gaitway.clinic import records
from gaitway.clinic.store import ClinicStore
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings

from .recordings import drop_footer


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "s1"
    run_session(SessionSettings(profile="hemiparetic-left-moderate", minutes=0.25, seed=3,
                                guidance_pct=60, bws_pct=30, speed_kmh=2.0), out)
    return out


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> Run:
    monkeypatch.setenv("GAITWAY_DATABASE_URL", f"sqlite:///{tmp_path / 'e2e.sqlite'}")
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("gaitway.cli.clinic_cmd",))

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = cli_main.main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_import_report_export(session_dir: Path, tmp_path: Path, run: Run) -> None:
    code, out, err = run("sessions", "import", str(session_dir))
    assert code == 0, err
    sid = out.strip()
    summary = json.loads((session_dir / "summary.json").read_text())
    assert sid == summary["session_id"]
    assert "imported: complete" in err
    code, out, err = run("sessions", "import", str(session_dir))
    assert (code, out.strip()) == (0, sid)
    assert "already imported, nothing changed" in err
    code, out, _ = run("sessions", "list")
    assert out.count(sid) == 1
    assert "SIM-hemiparetic-left-moderate" in out
    assert run("report", "session", sid, "--pdf", str(tmp_path / "s.pdf"), "--html",
               str(tmp_path / "s.html"))[0] == 0
    assert "SIMULATED" in (tmp_path / "s.html").read_text()
    assert run("export", "session", sid, "--format", "c3d", "--out",
               str(tmp_path / "s.c3d"))[0] == 0
    c = ezc3d.c3d(str(tmp_path / "s.c3d"))
    assert c["parameters"]["EVENT"]["USED"]["value"][0] > 10
    assert run("export", "session", sid, "--format", "fhir", "--out",
               str(tmp_path / "b.json"))[0] == 0
    Bundle.model_validate_json((tmp_path / "b.json").read_text())
    with ClinicStore(f"sqlite:///{tmp_path / 'e2e.sqlite'}") as store, store.reader() as db:
        s = records.find_session(db, sid)
        assert s.status == "complete"
        assert s.steps > 10
        assert len(s.strides) > 10
        assert s.weight_bearing_left_pct is not None
        assert s.cycles["left"]["knee"]["mean"]


def test_crashed_session_imports_as_interrupted(session_dir: Path, tmp_path: Path,
                                                run: Run) -> None:
    crashed = tmp_path / "crashed"
    shutil.copytree(session_dir, crashed)
    (crashed / "summary.json").unlink()
    drop_footer(crashed / "recording.gwrec")
    code, out, err = run("sessions", "import", str(crashed))
    assert code == 0, err
    assert "interrupted" in err
    assert run("report", "session", out.strip(), "--pdf", str(tmp_path / "i.pdf"))[0] == 0


def test_demo_data_fills_the_store(tmp_path: Path, run: Run) -> None:
    code, out, err = run("demo-data", "--patients", "1", "--weeks", "1",
                         "--sessions-per-week", "1", "--minutes", "0.15", "--out",
                         str(tmp_path / "demo"))
    assert code == 0, err
    assert "SIM-DEMO-1-01: 1 sessions [SIMULATED]" in out
    code, out, _ = run("patients", "show", "SIM-DEMO-1-01")
    assert "sessions:      1" in out
    again = run("demo-data", "--patients", "1", "--weeks", "1", "--sessions-per-week", "1",
                "--minutes", "0.15", "--out", str(tmp_path / "demo"))
    assert again[0] == 0
    code, out, _ = run("sessions", "list")
    assert out.count("SIM-DEMO-1-01") == 1  # nothing imported twice
    with ClinicStore(f"sqlite:///{tmp_path / 'e2e.sqlite'}") as store, store.reader() as db:
        (s,) = records.list_sessions(db)
        assert s.prescription_id is not None
        assert len(records.find_patient(db, "SIM-DEMO-1-01").assessments) == 2
    assert run("report", "progress", "SIM-DEMO-1-01", "--pdf", str(tmp_path / "p.pdf"))[0] == 0


def test_demo_data_stores_no_interrupted_session(tmp_path: Path, run: Run) -> None:
    """Every demo profile at both ends of the demo's prescriptions (week 1: 100 % guidance,
    50 % BWS, 1.5 km/h; the last week: 50 %, 25 %, 2.1 km/h) trains without a false stop."""
    code, _, err = run("demo-data", "--patients", "5", "--weeks", "2",
                       "--sessions-per-week", "1", "--minutes", "0.15", "--out",
                       str(tmp_path / "demo"))
    assert code == 0, err
    with ClinicStore(f"sqlite:///{tmp_path / 'e2e.sqlite'}") as store, store.reader() as db:
        sessions = records.list_sessions(db)
        assert len(sessions) == 10
        interrupted = [(s.ended_by, s.status) for s in sessions if s.status != "complete"]
    assert not interrupted
