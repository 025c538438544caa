"""The loop closed on the twin: prescription -> session -> import -> prediction -> proposal ->
approval -> the next session follows the new prescription (SIMULATED, seconds per session)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from gaitway.cli import main as cli_main
from gaitway.clinic import audit, records
from gaitway.clinic.models import RecoveryRecord, TrainingSession
from gaitway.clinic.store import ClinicStore
from gaitway.planning import course, proposals
from gaitway.planning.forecast import patient_forecast
from gaitway.planning.outcomes import true_gait_speed_mps
from gaitway.planning.recovery import TrainingDose, apply_to_profile, initial_state, update
from gaitway.planning.twin import run_next_session, twin_check
from gaitway.recording import open_recording
from gaitway.session.builder import SessionCore
from gaitway.session.settings import SessionSettings
from gaitway.station.sim.profiles import get_profile

MINUTES = 0.15  # 9 s of simulated walking per session
T0 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def test_the_loop_closes_on_the_twin(store: ClinicStore, tmp_path: Path) -> None:
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="SIM-LOOP", simulated=True,
                                affected_side="left")
        course.enrol(db, p, profile_id="hemiparetic-left-moderate", seed=5, actor="t",
                     days_since_onset_d=14.0, when=T0 - dt.timedelta(days=1))
        rx0 = records.add_prescription(db, actor="therapist", patient=p, duration_min=20.0,
                                       speed_kmh=1.5, guidance_pct=60.0, bws_pct=30.0,
                                       controller="guidance",
                                       created_at=T0 - dt.timedelta(hours=1)).id
    runs = [run_next_session(store, "SIM-LOOP", out_dir=tmp_path, actor="t", minutes=MINUTES,
                             started_at=T0 + dt.timedelta(days=2 * i)) for i in range(3)]
    assert [r.prescription_id for r in runs] == [rx0] * 3
    assert [r.state.sessions_done for r in runs] == [1, 2, 3]
    meta = open_recording(runs[-1].directory / "recording.gwrec").metadata
    assert meta["settings"]["guidance_pct"] == 60.0
    assert meta["patient"]["left"]["hip_strength"] > 0.55  # the recovering patient walked
    with store.reader() as db:
        p = records.find_patient(db, "SIM-LOOP")
        stored = [db.get(TrainingSession, r.session_id) for r in runs]
        assert all(s is not None and s.prescription_id == rx0 for s in stored)
        fc = patient_forecast(db, p)
        assert {"steps_per_session", "guidance"} <= set(fc.outcomes)
    with store.transaction() as db:
        p = records.find_patient(db, "SIM-LOOP")
        for s in db.scalars(select(TrainingSession)):
            assert s.tracking_error_rms_deg is not None
            assert s.tracking_error_rms_deg < 3.0, "the twin tracked well at 60 % guidance"
        out = proposals.propose(db, p, actor="planner", check=twin_check, seconds=8.0)
        assert out.proposal is not None, out.message
        assert out.proposal.twin_check["completed"] is True
        # tracking stayed under 3 deg for 3 sessions: the proposal takes support away. Which
        # support is the rules' choice on the twin's figures (tests/planning/test_rules.py
        # pins the choice): with issue 19's effort model the recovering patient's
        # participation fell 33.6 -> 31.0 % over the three 9-s sessions (a tracking patient
        # slacks), so the rules keep guidance and lower body-weight support instead
        assert (out.proposal.guidance_pct < 60.0 or out.proposal.bws_pct < 30.0), out.steps
        proposed = (out.proposal.guidance_pct, out.proposal.bws_pct, out.proposal.speed_kmh)
        pid = out.proposal.id
        assert proposals.active_prescription(db, p).id == rx0  # nothing without a therapist
        rx1 = proposals.approve(db, pid, actor="therapist", when=T0 + dt.timedelta(days=5)).id
    nxt = run_next_session(store, "SIM-LOOP", out_dir=tmp_path, actor="t", minutes=MINUTES,
                           started_at=T0 + dt.timedelta(days=6))
    assert nxt.prescription_id == rx1
    meta = open_recording(nxt.directory / "recording.gwrec").metadata
    st = meta["settings"]
    assert (st["guidance_pct"], st["bws_pct"], st["speed_kmh"]) == proposed
    with store.reader() as db:
        s = db.get(TrainingSession, nxt.session_id)
        assert s is not None
        assert s.prescription_id == rx1
        assert db.scalar(select(RecoveryRecord.sessions_done).where(
            RecoveryRecord.session_id == nxt.session_id)) == 4
        actions = [e.action for e in audit.entries(db)]
        assert {"proposal.create", "proposal.approve", "session.prescription",
                "recovery.advance"} <= set(actions)


def test_sessions_simulate_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("GAITWAY_DATABASE_URL", url)
    with ClinicStore(url) as store, store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="SIM-CLI", simulated=True)
        course.enrol(db, p, profile_id="hemiparetic-right-mild", seed=1, actor="t")
        records.add_prescription(db, actor="t", patient=p, duration_min=20.0, speed_kmh=1.8,
                                 guidance_pct=70.0, bws_pct=30.0, controller="guidance")
    code = cli_main.main(["sessions", "simulate", "--patient", "SIM-CLI", "--minutes", "0.1",
                          "--seed", "3", "--out", str(tmp_path / "runs")])
    out = capsys.readouterr()
    assert code == 0, out.err
    sid = out.out.strip()
    with ClinicStore(url) as store, store.reader() as db:
        s = db.get(TrainingSession, sid)
        assert s is not None
        assert s.prescription_id is not None
        assert s.guidance_pct is not None
    assert "SIMULATED" in out.err
    for argv, words in ((["sessions", "simulate", "--patient", "NOBODY"], "no patient"),
                        (["plan", "propose", "SIM-CLI"], "keep"),
                        (["plan", "approve", "77"], "no proposal")):
        code = cli_main.main(argv)
        o = capsys.readouterr()
        assert (code, words in o.err + o.out) == (2 if words != "keep" else 0, True), o
    js = tmp_path / "p.json"
    assert cli_main.main(["plan", "propose", "SIM-CLI", "--json", str(js)]) == 0
    assert json.loads(js.read_text()) is None
    capsys.readouterr()
    with ClinicStore(url) as store, store.transaction() as db:
        real = records.add_patient(db, actor="t", pseudonym="P-REAL")
        records.add_prescription(db, actor="t", patient=real, duration_min=20.0,
                                 speed_kmh=1.8, guidance_pct=70.0, bws_pct=20.0)
    assert cli_main.main(["sessions", "simulate", "--patient", "P-REAL"]) == 2
    assert "plan enrol" in capsys.readouterr().err


def test_six_weeks_trained_walks_better_on_the_twin_with_less_support() -> None:
    base = get_profile("hemiparetic-left-moderate")
    state = initial_state(base, seed=3, days_since_onset_d=14.0)
    day1 = state
    for _ in range(24):  # 6 weeks, 4 sessions a week, assist-as-needed-like guidance
        state = update(state, base, TrainingDose(minutes=30.0, steps=2000, guidance_pct=50.0,
                                                 bws_pct=30.0), days_elapsed_d=1.75)
    trained = apply_to_profile(base, state)
    low = SessionSettings(profile=base.id, minutes=0.4, seed=2, guidance_pct=20.0,
                          bws_pct=20.0, patient_events=False)
    before = SessionCore(low, profile=base).run()
    after = SessionCore(low, profile=trained).run()
    assert before.ended_by == after.ended_by == "completed"
    err_before = before.tracking_error_rms_deg.rms()
    err_after = after.tracking_error_rms_deg.rms()
    assert err_before is not None
    assert err_after is not None
    assert err_after < err_before - 0.1  # follows the reference better with less help
    assert err_after < 3.0  # the rules' "steady" threshold at 20 % guidance, 20 % support
    assert true_gait_speed_mps(state) > true_gait_speed_mps(day1) + 0.1
