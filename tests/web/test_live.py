"""The live station service: sessions run, frames flow, controls take effect."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from tests.web.conftest import TEST_OVERRUN_BOUND_S, login

from gaitway.clinic.models import Patient, TrainingSession
from gaitway.errors import UserError
from gaitway.recording import open_recording
from gaitway.session.loop import PhasePlan
from gaitway.session.state import SessionState
from gaitway.session.summary import SessionSummary
from gaitway.web.live import demo_setups
from gaitway.web.service import LiveService


def _wait(cond, timeout_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_the_console_shows_the_summarys_active_participation_stride_by_stride() -> None:
    """Per leg, the patient's share of the positive work over its last stride (SIMULATED
    truth), the summary's figure: within 0-100 %, none for a leg's first stride, and over the
    training about the summary's share (a mean of strides' shares against a share of sums)."""
    svc = LiveService(demo_setups(1, minutes=0.3), overrun_bound_s=TEST_OVERRUN_BOUND_S)
    st = svc.get("sim-1")
    try:
        st.start("therapist:t")
        _wait(lambda: not st.running, 60.0)
    finally:
        svc.shutdown()
    assert st.last_summary is not None
    assert st.last_summary.effort is not None
    strides = list(st.strides)
    assert len(strides) >= 8
    shares = [x["active_participation_pct"] for x in strides]
    assert all(v is None or 0.0 <= v <= 100.0 for v in shares)
    assert sum(v is not None for v in shares) >= len(shares) - 2
    frame = st.frames_after(0)[-1]
    for i, side in enumerate(("left", "right")):
        last = [x for x in strides if x["side"] == side][-1]
        assert frame["active_participation_pct"][i] == last["active_participation_pct"]
    plan = PhasePlan.for_minutes(0.3)
    training = [v for x, v in zip(strides, shares, strict=True)
                if v is not None and x["t"] >= plan.ends()[SessionState.WARM_UP] + 1.5]
    assert training
    overall = st.last_summary.effort.active_participation_pct
    assert overall is not None
    assert abs(sum(training) / len(training) - overall) < 10.0, (training, overall)


def test_a_session_streams_frames_and_obeys_changes_and_stop() -> None:
    svc = LiveService(demo_setups(1, minutes=2.0), overrun_bound_s=TEST_OVERRUN_BOUND_S)
    st = svc.get("sim-1")
    try:
        with pytest.raises(UserError, match="no running session"):
            st.change("guidance", 50, "therapist:t")
        st.start("therapist:t")
        _wait(lambda: st.seq > 10)
        f = st.frames_after(0)[-1]
        assert len(f["q"]) == 4
        assert len(f["ref"]) == 4
        assert st.frames_after(st.seq) == []
        _wait(lambda: st.state == "warm_up")
        with pytest.raises(UserError, match="large change"):
            st.change("guidance", 40, "therapist:t")  # 80 -> 40 %: asks first
        st.change("guidance", 40, "therapist:t", confirmed=True)
        _wait(lambda: any(e["kind"] == "change_applied" for e in st.events))
        with pytest.raises(UserError, match="guidance"):
            st.change("guidance", 140, "therapist:t")
        # a range too small for the belt's speed is refused outright, not asked to confirm
        # (that would only lead to the same refusal), and nothing is requested
        with pytest.raises(UserError, match=r"belt's travel.*raise the hip range of motion"):
            st.change("rom", [0.5, 0.5], "therapist:t")
        requested = [e["details"].get("change") for e in st.events
                     if e["kind"] == "change_requested"]
        assert "guidance" in requested
        assert "rom" not in requested
        st.stop("therapist:t")
        _wait(lambda: not st.running)
        assert st.state == "finished"
        assert st.last_result["stopped"] is True
    finally:
        svc.shutdown()


def test_a_fault_ended_session_blocks_restart_until_acknowledged(tmp_path: Path) -> None:
    """A stop that ends during the safe hold leaves an alert; a new start waits for the ack."""
    svc = LiveService(demo_setups(1, minutes=2.0), recordings_dir=tmp_path,
                      overrun_bound_s=TEST_OVERRUN_BOUND_S)
    st = svc.get("sim-1")
    try:
        st.start("therapist:t")
        _wait(lambda: st.seq > 5)
        st.emergency_stop("therapist:t")
        _wait(lambda: st.status()["safety"]["safe_state"])
        st.stop("therapist:t")
        _wait(lambda: not st.running)
        assert st.last_result["reason"].startswith("fault: emergency_stop (immediate_stop)")
        assert "during the safe hold" in st.last_result["reason"]
        first = Path(str(st.recording))
        with pytest.raises(UserError, match="acknowledge"):
            st.start("therapist:t")
        assert st.acknowledge("therapist:t")
        st.start("therapist:t")
        assert st.running
    finally:
        svc.shutdown()
    # ended by a fault: its summary says so, and the store marks it interrupted
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2
    held = SessionSummary.read(first)
    assert held is not None
    assert held.safety.ended_by_fault
    assert "during the safe hold" in held.ended_by
    assert (first / "recording.gwrec").exists()


def test_pause_stops_the_session_clock_and_is_recorded(tmp_path: Path) -> None:
    svc = LiveService(demo_setups(1, minutes=0.1), recordings_dir=tmp_path,
                      overrun_bound_s=TEST_OVERRUN_BOUND_S)
    st = svc.get("sim-1")
    plan = PhasePlan.for_minutes(0.1)
    try:
        st.start("therapist:t")
        _wait(lambda: st.state == "warm_up")
        st.pause("therapist:t")
        _wait(lambda: st.state == "paused")
        _wait(lambda: st.frames_after(0)[-1]["state"] == "paused")
        e0 = st.frames_after(0)[-1]["elapsed_s"]
        time.sleep(1.5)
        f = st.frames_after(0)[-1]
        assert f["state"] == "paused"
        assert f["elapsed_s"] == pytest.approx(e0, abs=0.05)  # the training clock stood still
        held = f["t"] - e0
        assert held > 0.5  # while the station's own time went on
        st.resume("therapist:t")
        _wait(lambda: not st.running, 30.0)
    finally:
        svc.shutdown()
    paused = st.last_result["paused_s"]
    assert paused >= held - 0.05
    assert st.last_result["session_s"] == pytest.approx(plan.total_s + paused, abs=0.05)
    rec = open_recording(next(tmp_path.iterdir()) / "recording.gwrec")
    ev = {e.kind: e for e in rec.events}
    assert ev["session_paused"].source == ev["session_resumed"].source == "therapist:t"
    training = [e for e in rec.events if e.kind == "state" and e.details.get("new") == "training"]
    ends = plan.ends()
    # warm-up ended its planned length after the start of walking, pauses not counted
    assert training[0].time_s == pytest.approx(ends[SessionState.WARM_UP] + paused, abs=0.01)
    assert json.loads((next(tmp_path.iterdir()) / "summary.json").read_text())[
        "ended_by"] == "completed"


def test_a_live_session_is_recorded_and_stored(web, client) -> None:  # type: ignore[no-untyped-def]
    _app, store, live = web
    st = live.get("sim-1")
    st.setup.minutes = 0.05
    st.start("therapist:t")
    _wait(lambda: not st.running, 30.0)
    st.wait_import()
    assert st.last_import.get("ok"), st.last_import
    with store.reader() as db:
        sess = db.get(TrainingSession, st.last_import["session_id"])
        assert sess is not None
        patient = db.get(Patient, sess.patient_id)
        assert patient is not None
        assert patient.pseudonym == st.setup.patient
        assert (sess.status, sess.simulated, sess.ended_by) == ("complete", True, "completed")
        assert sess.duration_s == pytest.approx(3.0, abs=0.05)
    login(client, "patient1")  # the patient's progress page lists it
    ids = [x["id"] for x in client.get("/api/me/progress").json()["sessions"]]
    assert st.last_import["session_id"] in ids


def test_the_console_gets_its_controllers_from_the_registry(web, client) -> None:  # type: ignore[no-untyped-def]
    from gaitway.control.registry import CONTROLLERS

    csrf = login(client, "therapist")
    got = client.get("/api/controllers").json()
    assert [c["name"] for c in got] == list(CONTROLLERS)
    assert got[0]["console_changes"] == list(CONTROLLERS[got[0]["name"]].console_changes)
    station = client.get("/api/stations").json()[0]["id"]
    r = client.post(f"/api/stations/{station}/changes", headers={"X-CSRF-Token": csrf},
                    json={"kind": "controller", "value": "turbo"})
    assert r.status_code == 400
    assert "controller must be one of guidance, path, aan, resist" in r.text


def test_every_console_change_kind_reaches_a_running_station_in_screen_units() -> None:
    """Each controller's own settings are set from the console in the units its screen shows
    (degrees, N*m, percent, [damping, torque]) and come back as in use in the status; a
    value out of range or of the wrong form is refused saying what to send."""
    from gaitway.web.screen_units import CHANGE_KINDS

    svc = LiveService(demo_setups(1, minutes=2.0), overrun_bound_s=TEST_OVERRUN_BOUND_S)
    st = svc.get("sim-1")
    try:
        assert st.status()["controller_settings"] is None  # nothing runs: nothing in use
        st.start("therapist:t")
        _wait(lambda: st.state in ("warm_up", "training"))
        sent = {"tunnel_width": 12.0, "path_flow": 8.0, "support_bounds": [20.0, 70.0],
                "resistance": [1.5, 4.0]}
        assert set(sent) < set(CHANGE_KINDS)
        for kind, value in sent.items():
            st.change(kind, value, "therapist:t")
        _wait(lambda: {e["details"].get("change") for e in st.events
                       if e["kind"] == "change_applied"} >= set(sent), 20.0)
        now = st.status()["controller_settings"]
        assert now == {"tunnel_width_deg": 12.0, "path_flow_nm": 8.0, "support_min_pct": 20.0,
                       "support_max_pct": 70.0, "resist_damping_nm_s_rad": 1.5,
                       "resist_torque_nm": 4.0}
        for kind, value, message in (
                # the therapist's words, not the command line's flag
                ("resistance", [2.5, 0.0],
                 r"^resistance damping must be a number within 0-2 N\*m\*s/rad, got 2.5$"),
                ("resistance", [1.0, 11.0],
                 r"^resistance torque must be a number within 0-10 N\*m, got 11.0$"),
                ("resistance", 1.0, r"\[damping N\*m\*s/rad, torque N\*m\]"),
                ("tunnel_width", 31.0, "tunnel width must be within 0-30 deg"),
                ("path_flow", -1.0, "^path flow must be within"),
                ("support_bounds", [80.0, 20.0], "support"),
                ("nonsense", 1.0, "kind must be one of guidance")):
            with pytest.raises(UserError, match=message):
                st.change(kind, value, "therapist:t")
        st.stop("therapist:t")
        _wait(lambda: not st.running)
    finally:
        svc.shutdown()
