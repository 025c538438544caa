"""Forecasts and proposals over HTTP: staff decide, patients see only their own forecast."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from gaitway.clinic import audit, records
from gaitway.clinic.importer import import_data
from gaitway.clinic.models import TrainingSession
from gaitway.clinic.synthetic import synthetic_session
from gaitway.planning import course
from gaitway.session.settings import SETTING_RANGES
from gaitway.web.demo import demo_pseudonym

from .conftest import login

T0 = dt.datetime(2026, 4, 6, 9, 0, tzinfo=dt.UTC)


def _history(store) -> int:  # type: ignore[no-untyped-def]
    pseudo = demo_pseudonym(0)
    with store.transaction() as db:
        p = records.find_patient(db, pseudo)
        course.enrol(db, p, profile_id="hemiparetic-left-moderate", seed=1, actor="t",
                     days_since_onset_d=20.0, when=T0 - dt.timedelta(days=2))
        records.add_prescription(db, actor="t", patient=p, duration_min=20.0, speed_kmh=1.5,
                                 guidance_pct=60.0, bws_pct=35.0, controller="guidance",
                                 created_at=T0 - dt.timedelta(days=1))
        pid = p.id
    for i in range(3):
        data = synthetic_session(seed=i + 1, started_at=T0 + dt.timedelta(days=2 * i),
                                 minutes=0.5, guidance_pct=60.0, bws_pct=35.0)
        import_data(store, data, actor="t", patient_ref=pseudo)
    with store.transaction() as db:
        for s in db.scalars(select(TrainingSession)):
            s.tracking_error_rms_deg = 2.0
    return pid


def test_forecast_and_proposal_decisions(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    _, store, _ = web
    pid = _history(store)
    token = login(client, "patient1")
    r = client.get(f"/api/patients/{pid}/forecast")
    assert r.status_code == 200
    assert r.json()["simulated"] is True
    assert set(r.json()["outcomes"]["guidance"]) == {"unit", "trend_per_week", "predictions",
                                                     "weeks_to_target"}
    assert client.get(f"/api/patients/{pid + 1}/forecast").status_code == 404
    lines = client.get("/api/me/progress").json()["lines"]  # the patient's page, plain words
    said = next(x for x in lines if x.startswith("On the current trend, the robot may guide"))
    assert "likely between" in said
    assert any("not promises" in x for x in lines)
    assert client.post(f"/api/patients/{pid}/proposals",
                       headers={"X-CSRF-Token": token}).status_code == 403
    token = login(client, "therapist2")  # not on this patient's care team
    assert client.post(f"/api/patients/{pid}/proposals",
                       headers={"X-CSRF-Token": token}).status_code == 404
    assert client.get(f"/api/patients/{pid}/forecast").status_code == 404
    token = login(client, "therapist")
    assert client.post(f"/api/patients/{pid}/proposals").status_code == 403  # no CSRF token
    r = client.post(f"/api/patients/{pid}/proposals", headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    prop = r.json()["proposal"]
    assert prop is not None, r.json()
    assert prop["settings"]["guidance_pct"] == 50.0
    assert prop["twin_check"]["completed"] is True
    assert r.json()["steps"][0].startswith("guidance 60 -> 50 %")
    r = client.post(f"/api/proposals/{prop['id']}/approve", headers={"X-CSRF-Token": token},
                    json={"bws_pct": 32.5, "note": "ok"})
    assert r.status_code == 200, r.text
    assert (r.json()["guidance_pct"], r.json()["bws_pct"]) == (50.0, 32.5)
    r = client.post(f"/api/proposals/{prop['id']}/reject", headers={"X-CSRF-Token": token},
                    json={})
    assert r.status_code == 400
    assert "approved" in r.json()["detail"]
    assert client.get(f"/api/patients/{pid}/proposals").json()[0]["status"] == "approved"
    with store.reader() as db:
        actors = {e.actor for e in audit.entries(db, entity="proposal")}
    assert actors == {"web:therapist"}


def test_console_stations_follow_the_active_prescription(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from gaitway.clinic.store import ClinicStore
    from gaitway.web.demo import setups_from_store

    store = ClinicStore(f"sqlite:///{tmp_path / 'c.sqlite'}")
    with store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="SIM-LIVE-01", simulated=True)
        rx = records.add_prescription(db, actor="t", patient=p, duration_min=25.0,
                                      speed_kmh=1.6, guidance_pct=45.0, bws_pct=22.0,
                                      controller="guidance")
        rx_id = rx.id
    setups = setups_from_store(store, stations=2)
    first = setups[0].session_settings(0)
    assert (first.minutes, first.guidance_pct, first.bws_pct, first.speed_kmh,
            first.controller) == (25.0, 45.0, 22.0, 1.6, "guidance")
    assert setups[1].session_settings(0).guidance_pct == 80.0  # no prescription: defaults
    assert rx_id is not None
    store.close()


def _pending_proposal(store, hip_rom_scale: float = 1.0) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A pending proposal for the first demo patient, stored as `propose` stores one (the
    twin check itself is tested above)."""
    from gaitway.clinic.models import Proposal

    with store.transaction() as db:
        p = records.find_patient(db, demo_pseudonym(0))
        rx = records.add_prescription(db, actor="t", patient=p, duration_min=20.0,
                                      speed_kmh=1.5, guidance_pct=60.0, bws_pct=35.0,
                                      controller="guidance", hip_rom_scale=hip_rom_scale)
        prop = Proposal(patient_id=p.id, from_prescription_id=rx.id, status="pending",
                        duration_min=20.0, speed_kmh=1.5, guidance_pct=50.0, bws_pct=35.0,
                        controller="guidance",
                        reasons={"steps": [{"sentence": "guidance 60 -> 50 %: tracking"}]},
                        twin_check={"completed": True, "ended_by": "completed",
                                    "duration_s": 20.0, "strides": 11,
                                    "profile": "hemiparetic-left-moderate", "seed": 7,
                                    "label": "SIMULATED check on the patient's twin"})
        db.add(prop)
        db.flush()
        return p.id, prop.id


def test_decisions_are_strict_and_within_bounds(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    _, store, _ = web
    pid, prop = _pending_proposal(store)
    token = login(client, "therapist")
    h = {"X-CSRF-Token": token}
    for bad in ({"bws_pct": True}, {"guidance_pct": "50"}, {"bws_pct": 150.0},
                {"speed_kmh": 0.1}, {"duration_min": 0}, {"controller": "impedance"},
                {"note": 5}):
        r = client.post(f"/api/proposals/{prop}/approve", headers=h, json=bad)
        assert r.status_code == 422, (bad, r.text)
    # a rejection carries a note only: edits there are refused, not silently dropped
    r = client.post(f"/api/proposals/{prop}/reject", headers=h, json={"bws_pct": 30.0})
    assert r.status_code == 422, r.text
    listed = client.get(f"/api/patients/{pid}/proposals").json()
    assert listed[0]["status"] == "pending"
    assert listed[0]["reasons"] == ["guidance 60 -> 50 %: tracking"]
    assert listed[0]["twin_check"]["completed"] is True
    # a JSON integer is a number: the edit within bounds is taken
    r = client.post(f"/api/proposals/{prop}/approve", headers=h,
                    json={"bws_pct": 30, "note": "a little less support"})
    assert r.status_code == 200, r.text
    assert (r.json()["guidance_pct"], r.json()["bws_pct"]) == (50.0, 30.0)
    with store.reader() as db:
        actions = [(e.action, e.actor) for e in audit.entries(db, entity="proposal")]
    assert ("proposal.approve.edited", "web:therapist") in actions


def test_an_edit_to_a_speed_the_range_cannot_walk_is_refused(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    """The prescription's halved hip range walks 1.5 km/h, not 3.2: an approval edited to
    3.2 km/h is refused as a session's start would refuse it (422, the same line), audited,
    and the proposal stays pending."""
    _, store, _ = web
    _, prop = _pending_proposal(store, hip_rom_scale=0.5)
    h = {"X-CSRF-Token": login(client, "therapist")}
    r = client.post(f"/api/proposals/{prop}/approve", headers=h, json={"speed_kmh": 3.2})
    assert r.status_code == 422, r.text
    assert "belt's travel" in r.json()["detail"]
    assert "lower the speed to" in r.json()["detail"]
    with store.reader() as db:
        refused = [e.details["status"] for e in audit.entries(db, entity="proposal")
                   if e.action == "proposal.approve.refused"]
    assert refused == [422]
    assert client.post(f"/api/proposals/{prop}/approve", headers=h,
                       json={}).status_code == 200  # as proposed, it walks


def test_refused_decisions_are_audited_with_why(web, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    _, store, _ = web
    _, prop = _pending_proposal(store)
    h = {"X-CSRF-Token": login(client, "therapist")}
    # out of bounds: refused before the decision (422), audited with the field and why
    assert client.post(f"/api/proposals/{prop}/approve", headers=h,
                       json={"bws_pct": 150.0}).status_code == 422
    assert client.post(f"/api/proposals/{prop}/approve", headers=h,
                       json={"note": "ok"}).status_code == 200
    # decided already: neither a second approval nor a rejection passes (400)
    assert client.post(f"/api/proposals/{prop}/approve", headers=h, json={}).status_code == 400
    assert client.post(f"/api/proposals/{prop}/reject", headers=h, json={}).status_code == 400
    with store.reader() as db:
        refused = [(e.action, e.actor, e.entity_id, e.details["status"], e.details["reason"])
                   for e in audit.entries(db, entity="proposal")
                   if e.action.endswith(".refused")]
    assert sorted(refused) == sorted([
        ("proposal.approve.refused", "web:therapist", str(prop), 422,
         f"bws_pct: Input should be less than or equal to {SETTING_RANGES.bws_pct[1]:g}"),
        ("proposal.approve.refused", "web:therapist", str(prop), 400,
         f"proposal {prop} is approved; only a pending proposal can be decided"),
        ("proposal.reject.refused", "web:therapist", str(prop), 400,
         f"proposal {prop} is approved; only a pending proposal can be decided"),
    ])
