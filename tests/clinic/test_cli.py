"""The clinic commands through the real entry point: output, one-line errors, no half-writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitway.cli import main as cli_main
from gaitway.clinic import audit, records
from gaitway.clinic.store import ClinicStore

from .helpers import course


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("GAITWAY_DATABASE_URL", url)
    monkeypatch.setenv("GAITWAY_OPERATOR", "tester")
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("gaitway.cli.clinic_cmd",))
    return url


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli_main.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_patients_add_list_show_and_assess(db_env: str, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    code, out, _ = run(["patients", "add", "--id", "P0042", "--sex", "female",
                        "--affected-side", "left", "--onset", "2026-01-15"], capsys)
    assert (code, out.strip()) == (0, "P0042")
    code, out, _ = run(["assess", "P0042", "--test", "10MWT", "--value", "0.45"], capsys)
    assert code == 0
    assert "10mwt = 0.45 m/s" in out
    code, out, _ = run(["patients", "list"], capsys)
    assert "P0042" in out
    assert "SIMULATED" not in out
    code, out, _ = run(["patients", "show", "P0042"], capsys)
    assert "10-metre walk test: 0.45 m/s" in out
    assert "limited community walker" in out
    with ClinicStore(db_env) as store, store.reader() as db:
        assert {e.actor for e in audit.entries(db)} == {"cli:tester"}


@pytest.mark.parametrize(("argv", "message"), [
    (["assess", "P1", "--test", "bbs", "--value", "60"], "0-56"),
    (["assess", "nobody", "--test", "bbs", "--value", "30"], "no patient 'nobody'"),
    (["patients", "add", "--id", "P1"], "already exists"),
    (["patients", "add", "--id", "bad name!"], "pseudonym"),
    (["report", "session", "abcdef12", "--pdf", "x.pdf"], "no session"),
])
def test_bad_input_is_one_line_and_writes_nothing(
    db_env: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert run(["patients", "add", "--id", "P1"], capsys)[0] == 0
    code, _, err = run(argv, capsys)
    assert code == 2
    assert message in err
    assert err.startswith("gaitway: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    with ClinicStore(db_env) as store, store.reader() as db:
        assert [p.pseudonym for p in records.list_patients(db)] == ["P1"]
        assert records.find_patient(db, "P1").assessments == []


def test_bad_argument_types_are_rejected_by_the_parser(
    db_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main.main(["patients", "add", "--onset", "15/01/2026"])
    assert exc.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_sessions_list_reports_and_exports(db_env: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with ClinicStore(db_env) as store:
        ids = course(store, n=3)
    code, out, _ = run(["sessions", "list", "--patient", "SIM-A"], capsys)
    assert code == 0
    assert all(i in out for i in ids)
    assert out.count("[SIMULATED]") == 3
    code, out, _ = run(["report", "progress", "SIM-A", "--pdf", str(tmp_path / "p.pdf"),
                        "--html", str(tmp_path / "p.html")], capsys)
    assert code == 0
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")
    assert "SIMULATED" in (tmp_path / "p.html").read_text()
    code, out, _ = run(["report", "session", ids[0][:8], "--pdf", str(tmp_path / "s.pdf")],
                       capsys)
    assert code == 0
    assert "[SIMULATED]" in out
    code, out, _ = run(["export", "session", ids[0], "--format", "fhir", "--out",
                        str(tmp_path / "b.json")], capsys)
    assert code == 0
    assert (tmp_path / "b.json").exists()
    code, _, err = run(["export", "session", ids[0], "--format", "c3d", "--out",
                        str(tmp_path / "s.c3d")], capsys)
    assert code == 2
    assert "recording" in err


def test_import_of_a_missing_directory_is_a_clear_error(
    db_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["sessions", "import", str(tmp_path / "nope")], capsys)
    assert code == 2
    assert "not a directory" in err
    (tmp_path / "empty").mkdir()
    code, _, err = run(["sessions", "import", str(tmp_path / "empty")], capsys)
    assert code == 2
    assert "recording.gwrec" in err
