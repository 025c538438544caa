"""Acknowledgement and resume: refused before the safe state, recorded with who gave it,
refused for faults that must not be resumed, and a resumed session restarts from a safe start."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.safety.test_supervisor import Rig

from gaitway.cli.main import main
from gaitway.recording import RECORDING_FILENAME, open_recording
from gaitway.safety.session import parse_acknowledgement
from gaitway.session.runner import run_session
from gaitway.session.settings import SessionSettings
from gaitway.session.summary import SessionSummary

STOP_AT = 3.0
ACK_AT = 6.0


@pytest.fixture(scope="module")
def resumed(tmp_path_factory: pytest.TempPathFactory) -> tuple[SessionSummary, object]:
    out = tmp_path_factory.mktemp("resume") / "s"
    cfg = SessionSettings(profile="healthy", minutes=10.0 / 60.0, seed=4,
                          patient_events=False, injections=(f"stop_button@{STOP_AT}",),
                          acknowledgements=(f"early@{STOP_AT + 0.05}",
                                            f"therapist-A@{ACK_AT}"))
    summary = run_session(cfg, out)
    return summary, open_recording(out / RECORDING_FILENAME)


def test_ack_before_safe_state_is_refused_and_recorded(resumed: tuple) -> None:  # type: ignore[type-arg]
    summary, rec = resumed
    acks = summary.safety.acknowledgements
    assert [a["by"] for a in acks] == ["early", "therapist-A"]
    assert acks[0]["accepted"] is False
    assert "safe state" in acks[0]["reason"]
    assert acks[1]["accepted"] is True
    refused = [e for e in rec.events if e.kind == "acknowledgement_refused"]
    assert refused
    assert refused[0].details["by"] == "early"


def test_ack_is_in_the_fault_record_and_events(resumed: tuple) -> None:  # type: ignore[type-arg]
    summary, rec = resumed
    stop = next(f for f in summary.faults if f["kind"] == "stop_button")
    assert stop["safe_state_at_s"] is not None
    assert stop["safe_state_at_s"] < ACK_AT
    assert stop["acknowledged_by"] == "therapist-A"
    assert stop["acknowledged_at_s"] == pytest.approx(ACK_AT, abs=0.002)
    ev = [e for e in rec.events if e.kind == "fault_acknowledged"]
    assert ev[0].details["by"] == "therapist-A"
    assert ev[0].details["faults"] == ["stop_button"]
    states = [(e.details["old"], e.details["new"]) for e in rec.events if e.kind == "state"]
    assert ("training", "paused") in states
    assert ("paused", "training") in states


def test_resume_is_a_safe_start(resumed: tuple) -> None:  # type: ignore[type-arg]
    _summary, rec = resumed
    ts = rec.read()  # type: ignore[attr-defined]
    t = ts.time
    after = t > ACK_AT + 0.002
    # full guidance at once, then ramped back towards the set level (60 %)
    g = ts["guidance"][after]
    assert g[0] == pytest.approx(1.0, abs=1e-3)
    assert g[-1] < 0.95
    assert np.all(np.diff(g) <= 1e-9)
    # the legs stand first: no belt for a second, then the belt ramps up at its normal rate
    belt = ts["belt_speed_left"]
    standing = (t > ACK_AT + 0.01) & (t < ACK_AT + 0.9)
    assert np.all(np.abs(belt[standing]) < 0.02)
    cmd = ts["cmd_belt_speed"][after]
    assert cmd.max() > 0.3  # walking again
    assert np.all(np.diff(cmd) <= 0.5 * 0.001 + 1e-9)
    # the harness is never dropped on resuming (a wound-up force loop would)
    h = ts["cmd_harness_force"][(t > ACK_AT) & (t < ACK_AT + 0.5)]
    assert h.min() > 0.7 * ts["cmd_harness_force"][(t > ACK_AT - 0.5) & (t < ACK_AT)].mean()


def test_fall_cannot_be_acknowledged() -> None:
    rig = Rig()
    for _ in range(15):
        rig.tick(grf_z_left=1.0, grf_z_right=2.0, harness_force=500.0 + rig.rng.normal())
    for _ in range(5):
        rig.tick(**{f"{j}_torque_{s}": 0.0 for j in ("hip", "knee") for s in ("left", "right")})
    assert rig.sup.in_safe_state
    why = rig.sup.ack_refusal()
    assert why is not None
    assert "fall must not be resumed" in why


def test_parse_acknowledgement_and_cli_error(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    a = parse_acknowledgement("dr@who@12.5")
    assert (a.by, a.at_s) == ("dr@who", 12.5)
    code = main(["simulate", "--profile", "healthy", "--minutes", "0.05", "--out",
                 str(tmp_path / "x"), "--quiet", "--acknowledge", "nobody"])
    err = capsys.readouterr().err
    assert code != 0
    assert "NAME@SECONDS" in err
    assert "Traceback" not in err


def test_without_ack_the_summary_says_none(tmp_path: Path) -> None:
    cfg = SessionSettings(profile="healthy", minutes=3.0 / 60.0, seed=2,
                          patient_events=False, injections=("emergency_stop@1.5",))
    s = run_session(cfg, tmp_path / "s")
    f = next(f for f in s.faults if f["kind"] == "emergency_stop")
    assert f["acknowledged_by"] is None
    assert f["acknowledged_at_s"] is None
    assert s.safety.acknowledgements == ()
    assert s.ended_by.startswith("fault: emergency_stop")
    json.loads(s.to_json())


def test_session_safety_acknowledge_api() -> None:
    from gaitway.errors import UserError
    from gaitway.safety.session import SessionSafety
    from gaitway.station.interface import Command
    from gaitway.station.sim.patient import VirtualPatient
    from gaitway.station.sim.profiles import get_profile
    from gaitway.station.sim.twin import SimStation

    st = SimStation(VirtualPatient(get_profile("healthy"), seed=1, events=False), seed=1)
    safety = SessionSafety(st, ("emergency_stop@0.05",))
    with safety.station as station:
        s = station.last_sample
        with pytest.raises(UserError, match="name who"):
            safety.acknowledge("  ")
        r = safety.acknowledge("therapist:1", 0.0)
        assert not r.accepted
        assert "no latched fault" in r.reason
        cmd = Command(harness_force=220.0)
        for _ in range(600):  # pressed at 0.05 s for 1 s: held, braked, safe
            assert safety.take_resume(s.time) is None
            s = station.step(safety.judge(s, cmd))
        assert st.belt_brake_engaged
        r = safety.acknowledge("therapist:1")  # still pressed
        assert not r.accepted
        assert "still present" in r.reason
        assert r.faults == ("emergency_stop",)
        for _ in range(600):
            s = station.step(safety.judge(s, cmd))
        r = safety.acknowledge("therapist:1")  # released: accepted, carried out next tick
        assert r.accepted
        assert safety.latched
        assert safety.acknowledge("therapist:2").reason.startswith("already acknowledged")
        assert safety.take_resume(s.time) is r
        assert not safety.latched
        assert not st.belt_brake_engaged
    assert [a.accepted for a in safety.acks] == [False, False, True, False]


@pytest.mark.parametrize("profile", ["healthy", "hemiparetic-left-moderate",
                                     "hemiparetic-right-mild", "hemiparetic-left-severe"])
def test_walk_resumes_from_a_stop_mid_stride(profile: str, tmp_path: Path) -> None:
    """H21: an emergency stop leaves the legs mid-stride, one foot forward. The resumed walk
    holds them there, then goes on from the gait's phase nearest to that posture (robot and
    virtual patient alike): no jolt, and no second stop. Before, the legs were pulled towards
    the standing posture and the gait restarted from the phase the stop froze, and about half
    of such resumes ended in an interaction-force or fall stop at 100+ N*m."""
    stop_at, ack_at = 9.5, 12.0
    out = tmp_path / "s"
    s = run_session(SessionSettings(profile=profile, minutes=22.0 / 60.0, seed=101,
                                    guidance_pct=80.0, speed_kmh=1.8, patient_events=False,
                                    injections=(f"emergency_stop@{stop_at}",),
                                    acknowledgements=(f"therapist-A@{ack_at}",)), out)
    assert s.ended_by == "completed"
    assert s.safety.resumed == 1
    ts = open_recording(out / RECORDING_FILENAME).read(
        [f"interaction_torque_{c}_{side}" for side in ("left", "right")
         for c in ("thigh", "shank")] + ["cmd_belt_speed"])
    t = ts.time
    cuff = np.max(np.abs(np.vstack([ts[n] for n in ts.data if n.startswith("interaction")])),
                  axis=0)
    standing = (t > ack_at + 0.05) & (t < ack_at + 0.9)
    assert cuff[standing].max() < 20.0  # held where it stands, not pulled to another posture
    restart = (t > ack_at) & (t < ack_at + 5.0)
    assert cuff[restart].max() < 80.0  # no restart jolt (the hard limit is 100 N*m)
    assert ts["cmd_belt_speed"][t > ack_at + 5.0].min() > 0.4  # walking on at speed
    events = open_recording(out / RECORDING_FILENAME).events
    assert not [e for e in events if e.kind == "fault_detected" and e.time_s > ack_at]
