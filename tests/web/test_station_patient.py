"""Putting a patient on a station: care team and station assignment checked, strict input,
audited; the next session follows the patient's active prescription as it stands at the start
(no server restart), in this process and in a worker process (as `gaitway serve` runs it)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import TEST_OVERRUN_BOUND_S

from gaitway.clinic import audit, records
from gaitway.errors import UserError
from gaitway.session.replay import recorded_samples
from gaitway.web.demo import demo_pseudonym
from gaitway.web.live import demo_setups
from gaitway.web.service import LiveService
from gaitway.web.setup import patient_session_seed

from .conftest import login

pytestmark = pytest.mark.timeout(240)


def _wait(cond: Callable[[], object], timeout_s: float = 60.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _rx(client: TestClient, token: str, pid: int, guidance: float) -> int:
    r = client.post(f"/api/patients/{pid}/prescriptions", headers={"X-CSRF-Token": token},
                    json={"duration_min": 5.0, "speed_kmh": 1.4, "guidance_pct": guidance,
                          "bws_pct": 25.0})
    assert r.status_code == 201, r.text
    rx_id: int = r.json()["id"]
    return rx_id


def test_a_therapist_puts_a_patient_on_a_station_and_its_next_start_follows_the_rx(
        web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    _, store, live = web
    with store.reader() as db:
        first, second = (records.find_patient(db, demo_pseudonym(i)).id for i in (0, 1))
    url = "/api/stations/sim-1/patient"
    token = login(client, "patient1")  # sees station 1 (their own), controls nothing
    assert client.post(url, headers={"X-CSRF-Token": token},
                       json={"patient_id": first}).status_code == 403
    token = login(client, "therapist2")  # station 3 and its patient only
    h = {"X-CSRF-Token": token}
    assert client.post(url, headers=h, json={"patient_id": second}).status_code == 404
    r = client.post("/api/stations/sim-3/patient", headers=h, json={"patient_id": first})
    assert r.status_code == 404, r.text  # not on this patient's care team
    token = login(client, "therapist")
    h = {"X-CSRF-Token": token}
    for bad in ({"patient_id": str(second)}, {"patient_id": True}, {"patient_id": 0},
                {"patient_id": second, "minutes": 3}):
        assert client.post(url, headers=h, json=bad).status_code == 422, bad
    assert client.post(url, json={"patient_id": second}).status_code == 403  # no CSRF token
    rx1 = _rx(client, token, second, 55.0)
    r = client.post(url, headers=h, json={"patient_id": second})
    assert r.status_code == 200, r.text
    assert r.json()["detail"] == f"{demo_pseudonym(1)}; prescription {rx1}"
    st = client.get("/api/stations/sim-1").json()
    assert (st["patient"], st["prescription_id"]) == (demo_pseudonym(1), rx1)
    # a prescription written (or a proposal approved) afterwards applies from the next start
    rx2 = _rx(client, token, second, 45.0)
    r = client.post("/api/stations/sim-1/start", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["detail"] == f"prescription {rx2}"
    station = live.stations["sim-1"]
    try:
        assert (station.setup.guidance_pct, station.setup.speed_kmh) == (45.0, 1.4)
        assert client.post(url, headers=h, json={"patient_id": first}).status_code == 409
    finally:
        _wait(lambda: station.seq > 0)  # the loop is up: a stop now reaches it
        assert client.post("/api/stations/sim-1/stop", headers=h).status_code == 200
    _wait(lambda: not station.running)
    with store.reader() as db:
        entries = {e.action: e.details for e in audit.entries(db, entity="station")}
    assert entries["station.patient"]["prescription_id"] == rx1
    assert entries["station.start"]["prescription_id"] == rx2
    # the first patient has a prescription too (the demo's); back on the station, theirs
    r = client.post(url, headers=h, json={"patient_id": first})
    assert r.status_code == 200, r.text
    assert client.get("/api/stations/sim-1").json()["patient"] == demo_pseudonym(0)


def test_a_worker_process_station_takes_the_new_setup(tmp_path: Path) -> None:
    setup = demo_setups(1, minutes=0.05)[0]
    svc = LiveService([setup], recordings_dir=tmp_path, processes=True,
                      overrun_bound_s=TEST_OVERRUN_BOUND_S)
    got: list[tuple[Path, str]] = []
    svc.attach_store(lambda d, p: (got.append((d, p)), "stored-id")[1], None)
    st = svc.stations["sim-1"]
    try:
        new = dataclasses.replace(setup, patient="SIM-OTHER-01", patient_id=99,
                                  guidance_pct=35.0, prescription_id=7)
        st.configure(new)
        assert st.setup.patient_id == 99  # the server side: who may see it
        _wait(lambda: st.status()["patient"] == "SIM-OTHER-01", 20.0)
        st.start("therapist:t")
        _wait(lambda: st.seq > 0)
        with pytest.raises(UserError, match="running a session"):
            st.configure(setup)
        st.stop("therapist:t")
        _wait(lambda: not st.running)
        _wait(lambda: bool(got))
        st.wait_import()
    finally:
        svc.shutdown()
    directory, patient = got[0]
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    assert patient == summary["patient"] == "SIM-OTHER-01"
    assert summary["settings"]["guidance_pct"] == 35.0
    # the recording names the prescription it followed; its seed is the patient's first
    assert summary["settings"]["prescription_id"] == 7
    assert summary["settings"]["seed"] == patient_session_seed(99, 0)
    _, meta = recorded_samples(directory)
    assert meta["settings"]["prescription_id"] == 7
