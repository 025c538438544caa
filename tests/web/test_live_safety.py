"""Console sessions under the safety supervisor (API): the console's emergency stop reaches the
safe state through the supervisor, the fault shows with kind, reaction and time, resume is
refused until a therapist acknowledges, and the acknowledged resume is recorded with who."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import TEST_OVERRUN_BOUND_S, login

from gaitway.clinic.models import AuditEntry, SessionEvent, TrainingSession
from gaitway.errors import UserError
from gaitway.recording import open_recording
from gaitway.session.loop import BEHIND_EVENT
from gaitway.web.live import LiveStation, demo_setups
from gaitway.web.service import LiveService


def wait(cond: Callable[[], object], timeout_s: float = 30.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_estop_fault_acknowledgement_and_resume(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    _app, store, live = web
    st = live.get("sim-1")
    csrf = login(client, "therapist")
    h = {"X-CSRF-Token": csrf}
    assert client.post("/api/stations/sim-1/start", headers=h).status_code == 200
    wait(lambda: st.state == "warm_up")
    assert client.post("/api/stations/sim-1/acknowledge", headers=h).status_code == 400

    r = client.post("/api/stations/sim-1/estop", headers=h)
    assert r.status_code == 200, r.text
    wait(lambda: client.get("/api/stations/sim-1").json()["safety"]["safe_state"], 10.0)
    s = client.get("/api/stations/sim-1").json()
    assert s["safety"] == {"state": "immediate_stop", "safe_state": True, "holding": True}
    assert s["state"] == "paused"
    assert s["running"]
    (alert,) = s["alerts"]
    assert alert["kind"] == "emergency_stop"
    assert alert["reaction"] == "immediate_stop"
    assert alert["safe_state_at_s"] >= alert["t"] > 0.0
    kinds = [e["kind"] for e in s["events"]]
    for k in ("emergency_stop_pressed", "fault_detected", "safe_stop_started",
              "safe_state_reached"):
        assert k in kinds, k

    # settings asked for during the hold are refused (not kept to be applied on resuming),
    # confirmed or not, with a reason the console shows
    for kind, value in (("speed", 3.0), ("bws", 0.0), ("controller", "resist"),
                        ("guidance", 85.0)):
        r = client.post("/api/stations/sim-1/changes", headers=h,
                        json={"kind": kind, "value": value, "confirmed": True})
        assert r.status_code == 409, (kind, r.text)
        assert "holds its safe state" in r.json()["detail"]
        assert r.json()["needs_confirmation"] is False

    r = client.post("/api/stations/sim-1/resume", headers=h)
    assert r.status_code == 400
    assert "acknowledge the fault first" in r.json()["detail"]
    r = client.post("/api/stations/sim-1/start", headers=h)
    assert r.status_code == 400

    r = client.post("/api/stations/sim-1/acknowledge", headers=h)
    assert r.status_code == 200, r.text
    assert "emergency_stop" in r.json()["detail"]
    wait(lambda: client.get("/api/stations/sim-1").json()["safety"]["state"] == "running", 10.0)
    s = client.get("/api/stations/sim-1").json()
    assert s["alerts"] == []
    if s["state"] == "paused":  # the supervisor's own acknowledgement: resume is separate
        assert client.post("/api/stations/sim-1/resume", headers=h).status_code == 200
    wait(lambda: st.state == "warm_up", 10.0)
    # nothing asked for during the hold was applied on resuming
    assert not [e for e in st.events if e["kind"] == "change_applied"
                and e["source"].startswith("therapist")]
    # switching the controller asks for confirmation like any large change
    r = client.post("/api/stations/sim-1/changes", headers=h,
                    json={"kind": "controller", "value": "aan"})
    assert r.status_code == 409
    assert r.json()["needs_confirmation"] is True
    assert "controller" in r.json()["detail"]
    r = client.post("/api/stations/sim-1/changes", headers=h,
                    json={"kind": "controller", "value": "aan", "confirmed": True})
    assert r.status_code == 200, r.text
    r = client.post("/api/stations/sim-1/changes", headers=h,
                    json={"kind": "controller", "value": "impedance", "confirmed": True})
    assert r.status_code == 400
    assert "got 'impedance'" in r.json()["detail"]
    assert client.post("/api/stations/sim-1/stop", headers=h).status_code == 200
    wait(lambda: not st.running)
    st.wait_import()
    assert st.last_import["ok"], st.last_import
    live.flush_audit()

    with store.reader() as db:
        actions = {(a.actor, a.action) for a in db.scalars(select(AuditEntry)).all()}
        sess = db.get(TrainingSession, st.last_import["session_id"])
        assert sess is not None
        assert sess.simulated
        ev = db.scalars(select(SessionEvent).where(SessionEvent.session_id == sess.id)).all()
    assert ("therapist:therapist", "station.fault_acknowledged") in actions
    assert ("web:therapist", "station.acknowledge") in actions
    assert ("safety", "station.fault") in actions
    assert ("therapist:therapist", "station.estop_pressed") in actions
    acks = [e for e in ev if e.kind == "fault_acknowledged"]
    assert len(acks) == 1
    details = acks[0].details if isinstance(acks[0].details, dict) else json.loads(acks[0].details)
    assert details["by"] == "therapist:therapist"
    assert any(e.kind == "state" and e.details.get("old") == "paused" for e in ev)  # resumed
    rec = open_recording(Path(st.last_import["directory"]) / "recording.gwrec")
    assert rec.metadata["simulated"] is True
    assert "SIMULATED" in rec.metadata["label"]


def test_acknowledgement_is_refused_while_the_cause_is_present(tmp_path: Path) -> None:
    svc = LiveService([], recordings_dir=tmp_path)
    st = LiveStation(demo_setups(1, minutes=1.0)[0], recordings_dir=tmp_path,
                     overrun_bound_s=TEST_OVERRUN_BOUND_S)
    svc.stations["sim-1"] = st
    try:
        st.start("therapist:t")
        wait(lambda: st.state in ("calibration", "warm_up"))
        assert st._station is not None
        st._station.stop_button_until = 1e9  # the patient keeps holding the stop button
        wait(lambda: st.status()["safety"]["safe_state"], 10.0)
        assert st.alerts[0]["kind"] == "stop_button"
        with pytest.raises(UserError, match="still present"):
            st.acknowledge("therapist:t")
        assert st.status()["safety"]["holding"]
        st._station.stop_button_until = -1.0
        assert st.acknowledge("therapist:t")
    finally:
        svc.shutdown()


def test_a_stalled_simulated_live_loop_falls_behind_and_shows_it(tmp_path: Path) -> None:
    """With the device's 5 ms overrun bound, a simulated station whose loop thread is stalled
    (a busy host) does not stop: its simulated time falls behind wall time, and the live
    frame, the console's status and event log, the recording and the summary say by how
    much."""
    st = LiveStation(demo_setups(1, minutes=0.1)[0], decimation=1, recordings_dir=tmp_path)
    stalls = [0]
    after = [0]  # the last frame published before the fourth stall ended

    def stall() -> None:  # runs in the loop thread on every published tick
        if st.state == "warm_up" and stalls[0] < 4:
            time.sleep(0.25)  # beyond the clock's catch-up bound
            after[0] = st.seq
            stalls[0] += 1  # counted once over: a host's own slip (a loaded machine) may
            # have made the fourth before this one, and a frame read during it lacked it

    st.add_listener(stall)
    try:
        st.start("therapist:t")
        wait(lambda: stalls[0] == 4 and st.frames and st.frames[-1]["seq"] > after[0], 30.0)
        assert st._safety is not None
        assert st._safety.supervisor.limits.timing.overrun_bound_s == 0.005
        assert st.alerts == []
        assert not st._safety.latched
        frame = st.frames[-1]
        assert frame["behind_s"] >= 0.9
        status = st.status()
        assert status["slips"] >= 4
        assert status["behind_s"] >= 0.9
        wait(lambda: not st.running, 60.0)
    finally:
        st._closing = True
        if st._thread is not None:
            st._thread.join(10)
    summary = st.last_summary
    assert summary is not None
    assert summary.ended_by == "completed"
    assert not [f for f in summary.faults if f["kind"] == "loop_overrun"]
    timing = summary.loop_timing
    assert timing is not None
    assert timing.time_base == "simulated"
    assert timing.slips >= 4
    assert timing.behind_s >= 0.9
    # every slip is an event, folded into one entry that counts them (console, recording)
    (logged,) = [e for e in st.events if e["kind"] == BEHIND_EVENT]
    assert logged["details"]["count"] == timing.slips
    assert logged["details"]["behind_s"] == pytest.approx(timing.behind_s, abs=2e-3)
    assert st.recording is not None
    rec = open_recording(Path(st.recording) / "recording.gwrec")
    (recorded,) = [e for e in rec.events if e.kind == BEHIND_EVENT]
    assert recorded.details["count"] == timing.slips
    assert recorded.details["first_s"] == logged["details"]["first_s"]
