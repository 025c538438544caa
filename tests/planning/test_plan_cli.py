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


def test_predict_prints_and_writes_the_issue_shape(db_env: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt
    import json

    from gaitway.clinic.importer import import_data
    from gaitway.clinic.models import TrainingSession
    from gaitway.clinic.synthetic import synthetic_session

    t0 = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)
    with ClinicStore(db_env) as store:
        with store.transaction() as db:
            p = records.add_patient(db, actor="t", pseudonym="SIM-F", simulated=True)
            course.enrol(db, p, profile_id="hemiparetic-left-moderate", seed=1, actor="t",
                         days_since_onset_d=10, when=t0)
        for i in range(9):
            data = synthetic_session(seed=i + 1, started_at=t0 + dt.timedelta(days=2.5 * i + 0.1),
                                     minutes=0.5, guidance_pct=80 - 3 * i, bws_pct=40 - i)
            sid = import_data(store, data, actor="t", patient_ref="SIM-F").session_id
            with store.transaction() as db:
                course.advance(db, records.find_patient(db, "SIM-F"),
                               db.get(TrainingSession, sid), actor="t")
    out = tmp_path / "f.json"
    code, text, _ = run(["plan", "predict", "SIM-F", "--json", str(out)], capsys)
    assert code == 0
    assert "SIMULATED" in text
    assert "TWIST" in text
    data = json.loads(out.read_text())
    assert {"gait_speed", "fac", "guidance", "body_weight_support"} <= set(data)
    for entry in data.values():
        assert set(entry) == {"unit", "trend_per_week", "predictions", "weeks_to_target"}
        assert [p["weeks"] for p in entry["predictions"]] == [2.0, 4.0, 8.0]
        for p in entry["predictions"]:
            assert p["low80"] <= p["value"] <= p["high80"]
    assert set(data["gait_speed"]["weeks_to_target"]) == {"0.4 m/s", "0.8 m/s"}
    assert set(data["fac"]["weeks_to_target"]) == {"FAC >= 4"}
    assert data["guidance"]["weeks_to_target"] is None
    html = tmp_path / "progress.html"
    code, _, _ = run(["report", "progress", "SIM-F", "--pdf", str(tmp_path / "p.pdf"),
                      "--html", str(html)], capsys)
    assert code == 0
    page = html.read_text()
    assert "On the current trend, your walking speed may be about" in page
    assert "not promises" in page
    assert "Forecast on the current trend (80 % intervals)" in page
    code, _, err = run(["plan", "predict", "NOBODY"], capsys)
    assert code == 2
    assert "no patient" in err
    assert run(["patients", "add", "--id", "SIM-EMPTY", "--simulated"], capsys)[0] == 0
    code, _, err = run(["plan", "predict", "SIM-EMPTY"], capsys)
    assert code == 2
    assert "fewer than two observations" in err
