"""``gaitway plan`` through the real entry point: output, one-line errors, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitway.cli import main as cli_main
from gaitway.clinic import records
from gaitway.clinic.store import ClinicStore
from gaitway.planning import course


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("GAITWAY_DATABASE_URL", url)
    monkeypatch.setenv("GAITWAY_OPERATOR", "tester")
    return url


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli_main.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_enrol_and_its_errors(db_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["patients", "add", "--id", "SIM-C", "--simulated"], capsys)[0] == 0
    code, out, _ = run(["plan", "enrol", "SIM-C", "--profile", "hemiparetic-right-mild",
                        "--seed", "4", "--onset-days", "20"], capsys)
    assert code == 0
    assert "SIMULATED" in out
    with ClinicStore(db_env) as store, store.reader() as db:
        state = course.latest_state(db, records.find_patient(db, "SIM-C"))
    assert state is not None
    assert (state.profile, state.seed, state.days_since_onset_d) == (
        "hemiparetic-right-mild", 4, 20.0)
    for argv, words in (
        (["plan", "enrol", "SIM-C", "--profile", "healthy"], "already"),
        (["plan", "enrol", "NOBODY", "--profile", "healthy"], "no patient"),
    ):
        code, _, err = run(argv, capsys)
        assert code == 2
        assert words in err
        assert len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as exc:
        cli_main.main(["plan", "enrol", "SIM-C", "--profile", "x", "--onset-days", "-3"])
    assert exc.value.code == 2
